// Time zone from the browser: a progressive enhancement of the time zone select. Without
// JavaScript the select simply keeps the zone the server marked as chosen.
//
// `data-detect-time-zone="preselect"` (a fresh registration form): choose the device's zone.
// `data-detect-time-zone="offer"` (the profile, a re-shown form): the learner has chosen
// already, so only offer the device's zone with a button, never change the choice unasked.
(function () {
  "use strict";
  var select = document.querySelector("select[data-detect-time-zone]");
  if (!select || !window.Intl) return;
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var option = Array.prototype.find.call(select.options, function (o) { return o.value === zone; });
  if (!option || select.value === zone) return;
  if (select.getAttribute("data-detect-time-zone") === "preselect") {
    select.value = zone;
    return;
  }
  var offer = document.getElementById(select.id + "-detected");
  if (!offer) return;
  offer.querySelector("[data-detected-zone]").textContent = zone.replace(/_/g, " ");
  offer.hidden = false;
  offer.querySelector("button").addEventListener("click", function () {
    select.value = zone;
    offer.hidden = true;
    select.focus();
  });
})();
