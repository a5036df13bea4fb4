/* Souk Expo: the stand sign's print button (the page prints without it, by the browser's
   menu). Loaded with <script defer>; no inline script (CSP). */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
