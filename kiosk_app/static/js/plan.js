// An admin drags a building on a grid's plan (templates/partials/staff/grid_plan.html) to its place;
// on release the place is saved (POST x, y with the page's CSRF token).  A drag is not a click: the
// building's link opens its register only when it was not moved.
(function () {
  "use strict";
  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  }
  function toPlan(svg, event) {
    var point = svg.createSVGPoint();
    point.x = event.clientX; point.y = event.clientY;
    var local = point.matrixTransform(svg.getScreenCTM().inverse());
    return { x: Math.max(0, Math.min(1000, Math.round(local.x))), y: Math.max(0, Math.min(1000, Math.round(local.y))) };
  }
  document.querySelectorAll("svg.plan[data-draggable]").forEach(function (svg) {
    var dragging = null, moved = false;
    svg.addEventListener("pointerdown", function (event) {
      var building = event.target.closest("[data-place-url]");
      if (!building) return;
      dragging = building; moved = false;
      building.setPointerCapture(event.pointerId);
      event.preventDefault();
    });
    svg.addEventListener("pointermove", function (event) {
      if (!dragging) return;
      var at = toPlan(svg, event);
      moved = true;
      dragging.setAttribute("transform", "translate(" + at.x + "," + at.y + ")");
    });
    svg.addEventListener("pointerup", function (event) {
      if (!dragging) return;
      var building = dragging, at = toPlan(svg, event);
      dragging = null;
      if (!moved) return;
      var body = new URLSearchParams({ x: at.x, y: at.y, csrf_token: csrfToken() });
      fetch(building.getAttribute("data-place-url"), {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" }
      }).then(function (response) {
        building.classList.toggle("plan-unsaved", !response.ok);
        if (response.ok) building.setAttribute("data-placed", at.x + "," + at.y);
      });
    });
    // A building is also a link: the browser would drag the link itself (and cancel the pointer).
    svg.addEventListener("dragstart", function (event) { event.preventDefault(); });
    svg.addEventListener("pointercancel", function () { dragging = null; });
    svg.addEventListener("click", function (event) {
      if (moved && event.target.closest("[data-place-url]")) { event.preventDefault(); moved = false; }
    }, true);
  });
})();
