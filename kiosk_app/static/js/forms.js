// A form whose htmx request timed out or never reached the server is sent again as a plain form:
// its submission key makes the server answer with the ticket it already made (never a second one),
// so the resident lands on their ticket instead of an unchanged form.
(function () {
  "use strict";
  function resend(event) {
    var form = event.target && event.target.closest && event.target.closest("form[data-resend-on-failure]");
    if (form && !form.dataset.resent) {
      form.dataset.resent = "1";
      HTMLFormElement.prototype.submit.call(form);
    }
  }
  document.addEventListener("htmx:timeout", resend);
  document.addEventListener("htmx:sendError", resend);
})();
