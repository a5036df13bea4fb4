/* Organizers' application list: a "select all" box for the bulk decision. The list works
   without it (each box is ticked by hand). */
(function () {
  "use strict";
  document.querySelectorAll("[data-select-all]").forEach(function (all) {
    var form = all.form;
    if (!form) return;
    all.hidden = false;
    var label = all.closest("label");
    if (label) label.hidden = false;
    var boxes = function () { return form.querySelectorAll('input[name="ids"]'); };
    all.addEventListener("change", function () {
      boxes().forEach(function (b) { b.checked = all.checked; });
    });
    form.addEventListener("change", function (e) {
      if (e.target === all || e.target.name !== "ids") return;
      var list = Array.prototype.slice.call(boxes());
      all.checked = list.length > 0 && list.every(function (b) { return b.checked; });
    });
  });
})();
