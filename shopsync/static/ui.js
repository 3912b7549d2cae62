// Small behaviours every page shares: the collapsible menu on narrow screens and copy buttons.
(function () {
  document.documentElement.classList.add("js");

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest(".nav-toggle");
    if (toggle) {
      var links = document.getElementById(toggle.getAttribute("aria-controls"));
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      links.classList.toggle("open", open);
      return;
    }
    var copy = event.target.closest && event.target.closest("[data-copy]");
    if (copy) {
      var source = document.getElementById(copy.getAttribute("data-copy"));
      var text = source.value || source.textContent;
      var done = function () {
        copy.textContent = "Copied";
        copy.setAttribute("aria-live", "polite");
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { source.select && source.select(); });
      } else if (source.select) {
        source.select();
        document.execCommand("copy");
        done();
      }
    }
  });
})();

// Buttons of a plain (non-HTMX) form are disabled while it is sent, so a second click sends nothing twice;
// after the submit event, so the pressed button's name and value still go with the form. HTMX forms use
// hx-disabled-elt instead.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (event.defaultPrevented || form.hasAttribute("hx-post") || form.hasAttribute("hx-get")) return;
  setTimeout(function () {
    form.querySelectorAll("button").forEach(function (button) {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
    });
  }, 0);
});
window.addEventListener("pageshow", function () {
  document.querySelectorAll("button[aria-busy=true]").forEach(function (button) {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  });
});
document.addEventListener("htmx:afterSwap", function (event) {
  var dialog = event.detail.target.querySelector && event.detail.target.querySelector("[role=alertdialog]");
  if (dialog) {
    var first = dialog.querySelector("input:not([type=hidden]), button");
    if (first) first.focus();
  }
});
