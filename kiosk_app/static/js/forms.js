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

// A request the server failed (5xx) or that never reached it says so where the person is looking,
// instead of leaving the page as it was without a word; the next answer that works takes it away.
(function () {
  "use strict";
  function notice() { return document.getElementById("connection-notice"); }
  function show(kind) {
    var box = notice();
    if (!box) return;
    box.textContent = box.getAttribute(kind === "send" ? "data-send-error" : "data-server-error");
    box.hidden = false;
  }
  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr && event.detail.xhr.status >= 500) show("server");
  });
  document.addEventListener("htmx:sendError", function () { show("send"); });
  document.addEventListener("htmx:afterSwap", function () { var box = notice(); if (box) box.hidden = true; });
})();

// What used to be inline handlers (a Content-Security-Policy allows no inline script): a print
// button, and a choice that submits its form as soon as it changes.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
  });
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("[data-submit-on-change]") && field.form) field.form.submit();
  });
})();
