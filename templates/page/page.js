// Filters the train's releases as you type, and writes any script error into the page
// (data-script-error on <body>) so that it shows where the page is looked at.
(function () {
  "use strict";
  window.addEventListener("error", function (e) {
    document.body.setAttribute("data-script-error", String(e.message));
  });
  var input = document.getElementById("filter");
  if (!input) {
    return;
  }
  var rows = document.querySelectorAll("[data-release]");
  var count = document.getElementById("filter-count");
  input.parentElement.hidden = false;
  input.addEventListener("input", function () {
    var wanted = input.value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (row) {
      var hit = wanted === "" || row.textContent.toLowerCase().indexOf(wanted) >= 0;
      row.hidden = !hit;
      if (hit) {
        shown += 1;
      }
    });
    count.textContent = shown + " of " + rows.length + " shown";
  });
})();
