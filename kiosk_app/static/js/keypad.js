// The terminal's on-screen numeric keypad fills the code field (the field also works on its own).
(function () {
  "use strict";
  var input = document.getElementById("f-code");
  if (!input) return;
  document.querySelectorAll(".keypad .key").forEach(function (key) {
    key.addEventListener("click", function () {
      var k = key.getAttribute("data-key");
      if (k === "⌫") input.value = input.value.slice(0, -1);
      else if (k === "✓") input.form.requestSubmit();
      else if (input.value.replace(/\D/g, "").length < Number(input.dataset.digits || 8)) input.value += k;
    });
  });
})();
