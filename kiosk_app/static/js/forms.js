// A form whose htmx request timed out or never reached the server is sent again as a plain form:
// its submission key makes the server answer with the ticket it already made (never a second one),
// so the resident lands on their ticket instead of an unchanged form.
(function () {
  "use strict";
  function resend(event) {
    // Only the form's own request: a field check inside it that failed sends nothing.
    var form = event.target && event.target.matches && event.target.matches("form[data-resend-on-failure]")
      ? event.target : null;
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

// A field checked as the resident leaves it: its red frame and aria-invalid follow the answer, so a
// field put right no longer looks wrong (the error summary is updated by the server's answer).
(function () {
  "use strict";
  document.addEventListener("htmx:afterSettle", function (event) {
    var input = event.detail.requestConfig ? event.detail.requestConfig.elt : event.detail.elt;
    if (!input || !input.name || !input.closest || input.tagName === "FORM") return;
    var message = document.getElementById("err-" + input.name), field = input.closest(".field");
    if (!message || !field) return;
    var invalid = !message.hidden && message.textContent.trim() !== "";
    field.classList.toggle("invalid", invalid);
    if (invalid) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
  });
})();

// "Share or save the link" on a resident's phone: the phone's own share sheet where there is one,
// otherwise the link copied; without either the button stays hidden (the link is on the page).
(function () {
  "use strict";
  var button = document.querySelector("[data-share]");
  if (!button || !(navigator.share || (navigator.clipboard && window.isSecureContext))) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    var url = button.getAttribute("data-share"), result = document.getElementById("share-result");
    if (navigator.share) {
      navigator.share({title: button.getAttribute("data-share-title"), url: url}).catch(function () {});
    } else {
      navigator.clipboard.writeText(url).then(function () {
        if (result) result.textContent = button.getAttribute("data-copied");
      });
    }
  });
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
