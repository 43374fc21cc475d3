/* Behaviour of every portal page, kept out of the HTML so the Content-Security-Policy can forbid
   inline script and event handlers. Each is declared on the element by a data attribute:
   - data-autosubmit: changing the control submits its form (organization switcher, Is Active);
   - data-confirm="…": submitting the form asks first (revoke an API key);
   - data-select-on-focus: focusing the field selects its text (a new API key);
   - data-copy-target="id": the button copies that element's text (the Xero redirect URI). */
(function () {
  "use strict";

  document.querySelectorAll("[data-autosubmit]").forEach(function (control) {
    control.addEventListener("change", function () { control.form.submit(); });
  });

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });

  document.querySelectorAll("[data-select-on-focus]").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
  });

  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.dataset.copyTarget);
      var done = function () { button.textContent = "Copied"; };
      var bySelection = function () {
        var range = document.createRange();
        range.selectNodeContents(source);
        window.getSelection().removeAllRanges();
        window.getSelection().addRange(range);
        document.execCommand("copy");
        done();
      };
      if (navigator.clipboard) {
        navigator.clipboard.writeText(source.textContent.trim()).then(done, bySelection);
      } else {
        bySelection();
      }
    });
  });
})();
