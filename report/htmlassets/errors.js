/* Any uncaught script error is listed at the top of the page (and kept for
   tests in the list ol#script-errors), so a broken report says so. */
(function () {
  "use strict";
  function note(msg) {
    var ol = document.getElementById("script-errors");
    if (!ol) { return; }
    var li = document.createElement("li");
    li.textContent = msg;
    ol.appendChild(li);
  }
  window.addEventListener("error", function (e) {
    note("script error: " + (e.message || String(e)) + (e.lineno ? " (line " + e.lineno + ")" : ""));
  });
  window.addEventListener("unhandledrejection", function (e) {
    note("script error: " + String(e.reason));
  });
})();
