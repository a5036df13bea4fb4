/* Souk Expo: small progressive enhancement. Every page works without it.
   Load with <script defer>, after htmx if the page uses htmx. No inline script (CSP). */
(function () {
  "use strict";
  var doc = document;

  /* Confirm destructive actions: data-confirm="message" on a form, its submit
     button, a link, or a button outside a form (htmx). */
  function ask(el, e) {
    var msg = el && el.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }
  doc.addEventListener("submit", function (e) {
    var by = e.submitter;
    ask(by && by.hasAttribute("data-confirm") ? by : e.target, e);
  }, true);
  doc.addEventListener("click", function (e) {
    var el = e.target.closest && e.target.closest("a[data-confirm], button[data-confirm]");
    if (!el) return;
    if (el.tagName === "BUTTON" && el.form && el.type === "submit") return; /* checked on submit */
    ask(el, e);
  }, true);

  /* Mobile navigation: the nav is visible without JS; with JS, CSS hides it
     on small screens until the toggle opens it. */
  var toggle = doc.querySelector("[data-nav-toggle]");
  var nav = doc.getElementById("souk-nav");
  if (toggle && nav) {
    doc.documentElement.classList.add("nav-js");
    toggle.setAttribute("aria-controls", "souk-nav");
    toggle.setAttribute("aria-expanded", "false");
    var setOpen = function (open) {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("is-open", open);
    };
    toggle.addEventListener("click", function () {
      setOpen(toggle.getAttribute("aria-expanded") !== "true");
    });
    doc.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && nav.classList.contains("is-open")) {
        setOpen(false);
        toggle.focus();
      }
    });
  }

  /* htmx under a strict CSP: no injected <style>, no eval; send the CSRF
     token from <meta name="csrf-token"> with every htmx request. */
  if (window.htmx) {
    window.htmx.config.includeIndicatorStyles = false;
    window.htmx.config.allowEval = false;
    var csrf = doc.querySelector('meta[name="csrf-token"]');
    if (csrf) {
      doc.addEventListener("htmx:configRequest", function (e) {
        e.detail.headers["X-CSRF-Token"] = csrf.getAttribute("content");
      });
    }
  }
})();
