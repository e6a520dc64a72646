// Idle reset for an enrolled kiosk: after a quiet spell, go home and forget what was typed.  For the
// last seconds a dialog asks "are you still there?": one tap anywhere (or "Continue") keeps the page
// and what was typed, so a resident who was reading loses nothing.
(function () {
  "use strict";
  var form = document.getElementById("idle-reset");
  if (!form) return;
  var seconds = parseInt(form.getAttribute("data-idle-seconds"), 10) || 90;
  var warnFor = Math.min(parseInt(form.getAttribute("data-warning-seconds"), 10) || 20, Math.floor(seconds / 2));
  var dialog = document.getElementById("idle-warning"), count = document.getElementById("idle-count");
  var button = document.getElementById("idle-continue");
  var warnTimer = null, tick = null, left = 0, resetting = false;

  function reset() {
    if (resetting) return;
    resetting = true;
    document.querySelectorAll("form").forEach(function (f) { if (f !== form) f.reset(); });
    form.submit();
  }
  function show() {
    if (count) count.textContent = String(left);
  }
  function warn() {
    if (!dialog) { reset(); return; }
    left = warnFor;
    show();
    dialog.hidden = false;
    if (button) button.focus({ preventScroll: true });
    tick = window.setInterval(function () {
      left -= 1;
      show();
      if (left <= 0) { window.clearInterval(tick); reset(); }
    }, 1000);
  }
  function restart() {
    if (resetting) return;
    if (warnTimer) window.clearTimeout(warnTimer);
    if (tick) window.clearInterval(tick);
    tick = null;
    if (dialog) dialog.hidden = true;
    warnTimer = window.setTimeout(warn, (seconds - warnFor) * 1000);
  }
  function activity(event) {
    // While the question is shown, a tap on it answers by its click (below), and scrolling is no answer.
    if (dialog && !dialog.hidden && (event.type === "scroll" || dialog.contains(event.target))) return;
    restart();
  }
  ["pointerdown", "keydown", "input", "touchstart", "scroll"].forEach(function (name) {
    window.addEventListener(name, activity, { passive: true, capture: true });
  });
  if (dialog) dialog.addEventListener("click", restart);  // "Continue", or anywhere on the dimmed screen
  // A page brought back by the Back button must not show the last resident's form.
  window.addEventListener("pageshow", function (event) { if (event.persisted) reset(); });
  restart();
})();

// No context menu on a kiosk's screen (a long press would offer "open in new tab", "inspect", …).
document.addEventListener("contextmenu", function (event) { event.preventDefault(); });

// The kiosk's start page is where Back ends: Back from it (after an idle reset, or "Finish") stays
// there instead of returning to the last resident's pages.
(function () {
  "use strict";
  if (!document.body.hasAttribute("data-kiosk-start")) return;
  history.replaceState({ kioskStart: true }, "", location.href);
  history.pushState({ kioskStart: true }, "", location.href);
  window.addEventListener("popstate", function (event) {
    if (event.state && event.state.kioskStart) history.pushState({ kioskStart: true }, "", location.href);
  });
})();
