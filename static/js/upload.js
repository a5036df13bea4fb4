/* Souk Expo studio: photo uploads with a progress bar per file. Progressive enhancement:
   without this script the form posts normally and the server answers with a page. With it,
   each file of a form[data-upload] is sent on its own XMLHttpRequest (Accept: application/json,
   X-Csrf-Token from <meta name="csrf-token">), its <progress> follows the bytes sent, the
   server's message (in the user's language) is shown next to it, and the parts of the page
   named in data-refresh are reloaded when at least one photo was added. When the store is down
   (503) or the account's upload limit is reached (429), the remaining files are not sent. No
   inline script (CSP script-src 'self'). */
(function () {
  "use strict";
  var doc = document;
  if (!window.XMLHttpRequest || !window.FormData || !window.DOMParser) return;

  function csrfToken() {
    var m = doc.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }

  function el(tag, cls, text) {
    var e = doc.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  /* One row of the list: name, state text, progress bar. */
  function row(list, name, sending) {
    var li = el("li");
    var label = el("bdi", "upload-name", name);
    var state = el("span", "upload-state", sending);
    var bar = el("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", name);
    li.appendChild(label);
    li.appendChild(state);
    li.appendChild(bar);
    list.appendChild(li);
    return { li: li, state: state, bar: bar };
  }

  function finish(r, ok, text) {
    r.li.classList.add(ok ? "is-ok" : "is-error");
    r.state.textContent = text;
    if (r.bar.parentNode) r.bar.parentNode.removeChild(r.bar);
  }

  /* Sends one file; calls done(ok, message, status). */
  function send(form, field, file, r, done) {
    var msgs = form.dataset;
    var body = new FormData();
    body.append(field, file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("action"));
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-Csrf-Token", csrfToken());
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) r.bar.value = Math.round((e.loaded / e.total) * 100);
    });
    xhr.upload.addEventListener("load", function () {
      r.bar.removeAttribute("value"); /* indeterminate while the server processes the photo */
      r.state.textContent = msgs.msgProcessing || "";
    });
    xhr.addEventListener("load", function () {
      var reply = null;
      try { reply = JSON.parse(xhr.responseText); } catch (err) { reply = null; }
      var file0 = reply && reply.files && reply.files[0];
      var text = (file0 && file0.message) || (reply && reply.message) || msgs.msgFailed || String(xhr.status);
      done(xhr.status >= 200 && xhr.status < 300 && (!file0 || file0.ok), text, xhr.status);
    });
    xhr.addEventListener("error", function () { done(false, msgs.msgFailed || "", 0); });
    xhr.addEventListener("timeout", function () { done(false, msgs.msgFailed || "", 0); });
    xhr.timeout = 120000;
    xhr.send(body);
  }

  /* Reloads the parts of the page named in data-refresh, keeping the list of results. */
  function refresh(form, list) {
    var sels = (form.dataset.refresh || "").split(",").filter(Boolean);
    if (!sels.length || !window.fetch) return;
    window.fetch(window.location.pathname + window.location.search, {
      credentials: "same-origin", headers: { Accept: "text/html" }
    }).then(function (resp) {
      return resp.ok ? resp.text() : Promise.reject(resp.status);
    }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html");
      sels.forEach(function (sel) {
        var now = doc.querySelector(sel.trim());
        var next = fresh.querySelector(sel.trim());
        if (now && next) now.replaceWith(doc.importNode(next, true));
      });
      /* Keep the per-file results under the (new) form, or at the end of its section. */
      var target = doc.querySelector(sels[0].trim());
      if (!target) return;
      var slot = target.querySelector("[data-upload-list]");
      if (slot) slot.replaceWith(list);
      else target.appendChild(list);
    }).catch(function () { /* the page still works: a reload shows the new photos */ });
  }

  doc.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches("form[data-upload]") || e.defaultPrevented) return;
    var input = form.querySelector('input[type="file"]');
    var list = form.querySelector("[data-upload-list]");
    if (!input || !list || !input.files || input.files.length === 0) return; /* the server explains */
    e.preventDefault();
    var files = Array.prototype.slice.call(input.files);
    var button = form.querySelector('button[type="submit"]');
    if (button) button.disabled = true;
    input.disabled = true;
    while (list.firstChild) list.removeChild(list.firstChild);
    var rows = files.map(function (f) { return row(list, f.name, form.dataset.msgSending || ""); });
    var added = 0;
    var i = 0;
    function next() {
      if (i >= files.length) {
        if (button) button.disabled = false;
        input.disabled = false;
        input.value = "";
        if (added > 0) refresh(form, list);
        return;
      }
      var k = i++;
      send(form, input.name, files[k], rows[k], function (ok, text, status) {
        finish(rows[k], ok, text);
        if (ok) added++;
        if (status === 503 || status === 429) {
          /* The object store is down (503), or this account sent too many photos for now (429,
             the server's message says when to try again): do not send the others now. */
          var rest = status === 429 ? text : form.dataset.msgSkipped || "";
          for (var j = k + 1; j < files.length; j++) finish(rows[j], false, rest);
          i = files.length;
        }
        next();
      });
    }
    next();
  });
})();
