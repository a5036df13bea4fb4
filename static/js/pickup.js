// Pickup at the stand: a "scan" button that reads the buyer's QR code with the camera when the
// browser has BarcodeDetector; the typed form works without it. The QR holds the URL
// /studio/pickup?code=…, so a scan simply opens that page.
(function () {
  "use strict";
  // The packing list's print button.
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[data-print]")) window.print();
  });
  var box = document.querySelector("[data-scan]");
  if (!box || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  var button = box.querySelector("[data-scan-start]");
  var video = box.querySelector("[data-scan-video]");
  var status = box.querySelector("[data-scan-status]");
  box.hidden = false;
  button.addEventListener("click", function () {
    var detector;
    try { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); } catch (e) { status.textContent = status.dataset.msgDenied; return; }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      status.textContent = status.dataset.msgLooking;
      return video.play().then(function () {
        var stop = function () { stream.getTracks().forEach(function (t) { t.stop(); }); };
        var tick = function () {
          detector.detect(video).then(function (codes) {
            for (var i = 0; i < codes.length; i++) {
              var raw = codes[i].rawValue || "";
              var m = raw.match(/[?&]code=([A-Za-z0-9-]+)/);
              var code = m ? m[1] : (/^[A-Za-z0-9 -]{6,20}$/.test(raw) ? raw : "");
              if (code) { stop(); window.location.assign("/studio/pickup?code=" + encodeURIComponent(code)); return; }
            }
            window.requestAnimationFrame(tick);
          }).catch(function () { window.requestAnimationFrame(tick); });
        };
        tick();
      });
    }).catch(function () { status.textContent = status.dataset.msgDenied; });
  });
})();
