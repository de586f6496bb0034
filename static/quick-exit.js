// Quick exit: a progressive enhancement of the plain "Quick exit" link at the top of every
// page. With JavaScript the page is hidden at once and replaced (location.replace), so the
// back button does not come back to it; pressing Escape twice within a second does the same
// from anywhere on the page. Without JavaScript the link still leaves, as an ordinary link.
(function () {
  "use strict";
  var link = document.getElementById("quick-exit");
  if (!link) return;
  var WITHIN_MS = 1000;
  var lastEscape = 0;

  function leave(event) {
    if (event) event.preventDefault();
    document.documentElement.classList.add("quick-exit-leaving");
    window.location.replace(link.href);
  }

  link.addEventListener("click", leave);
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" && event.key !== "Esc") return;
    var now = Date.now();
    if (now - lastEscape <= WITHIN_MS) {
      leave(event);
    } else {
      lastEscape = now;
    }
  });

  var hint = document.querySelector("[data-quick-exit-hint]");
  if (hint) hint.hidden = false;
})();
