/* Sorting and filtering for the report's tables. Tables opt in with
   data-sortable; a header with data-sort-type ("num" or "text") sorts by
   its column on click (or Enter/Space), ascending then descending, by each
   cell's data-value when it has one, else its text. An
   <input data-filter-for="TABLE-ID"> hides the rows that do not contain
   every word typed; a checkbox data-problems-for="TABLE-ID" keeps only rows
   marked data-problem. */
(function () {
  "use strict";
  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  function key(row, col, num) {
    var cell = row.cells[col];
    if (!cell) { return num ? -Infinity : ""; }
    var v = cell.getAttribute("data-value");
    if (v === null) { v = cell.textContent.trim(); }
    if (num) {
      var n = parseFloat(v);
      return isNaN(n) ? -Infinity : n;
    }
    return v;
  }

  function sortBy(th) {
    var table = th.closest("table");
    var body = table.tBodies[0];
    var col = th.cellIndex;
    var num = th.getAttribute("data-sort-type") === "num";
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    each(th.parentNode.cells, function (h) {
      if (h.hasAttribute("data-sort-type")) { h.setAttribute("aria-sort", "none"); }
    });
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    var rows = Array.prototype.map.call(body.rows, function (r, i) { return { k: key(r, col, num), i: i, r: r }; });
    rows.sort(function (a, b) {
      var c = num ? (a.k < b.k ? -1 : a.k > b.k ? 1 : 0) : collator.compare(a.k, b.k);
      return c !== 0 ? c * dir : a.i - b.i;
    });
    var frag = document.createDocumentFragment();
    rows.forEach(function (x) { frag.appendChild(x.r); });
    body.appendChild(frag);
  }

  function filter(table) {
    var id = table.id;
    var input = document.querySelector('input[data-filter-for="' + id + '"]');
    var box = document.querySelector('input[data-problems-for="' + id + '"]');
    var words = input ? input.value.toLowerCase().split(/\s+/).filter(Boolean) : [];
    var problems = box ? box.checked : false;
    var shown = 0;
    each(table.tBodies[0].rows, function (r) {
      var text = r.textContent.toLowerCase();
      var ok = words.every(function (w) { return text.indexOf(w) !== -1; }) &&
        (!problems || r.hasAttribute("data-problem"));
      r.hidden = !ok;
      if (ok) { shown++; }
    });
    var count = document.querySelector('[data-count-for="' + id + '"]');
    if (count) { count.textContent = shown + " of " + table.tBodies[0].rows.length + " rows"; }
  }

  each(document.querySelectorAll("table[data-sortable]"), function (table) {
    each(table.tHead.rows[0].cells, function (th) {
      if (!th.hasAttribute("data-sort-type")) { return; }
      th.tabIndex = 0;
      th.setAttribute("aria-sort", "none");
      th.title = "sort by this column";
      th.addEventListener("click", function () { sortBy(th); });
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(th); }
      });
    });
    filter(table);
  });
  each(document.querySelectorAll("input[data-filter-for], input[data-problems-for]"), function (input) {
    var table = document.getElementById(input.getAttribute("data-filter-for") || input.getAttribute("data-problems-for"));
    if (!table) { return; }
    input.addEventListener("input", function () { filter(table); });
    input.addEventListener("change", function () { filter(table); });
  });
  document.documentElement.setAttribute("data-js", "ready");
})();
