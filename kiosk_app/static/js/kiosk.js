// Idle reset for an enrolled kiosk: after a quiet spell, go home and forget what was typed.
(function () {
  "use strict";
  var form = document.getElementById("idle-reset");
  if (!form) return;
  var seconds = parseInt(form.getAttribute("data-idle-seconds"), 10) || 90;
  var timer = null;

  function reset() {
    document.querySelectorAll("form").forEach(function (f) { if (f !== form) f.reset(); });
    form.submit();
  }
  function restart() {
    if (timer) window.clearTimeout(timer);
    timer = window.setTimeout(reset, seconds * 1000);
  }
  ["pointerdown", "keydown", "input", "touchstart", "scroll"].forEach(function (name) {
    window.addEventListener(name, restart, { passive: true, capture: true });
  });
  // A page brought back by the Back button must not show the last resident's form.
  window.addEventListener("pageshow", function (event) { if (event.persisted) reset(); });
  restart();
})();
