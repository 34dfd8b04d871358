/* Added by scripts/browser-check.sh to a copy of an ftpsniff HTML report
   (never to the report itself): works the transfers table the way a click
   and a keystroke would, and writes what it saw into a pre element
   for the test to read from the dumped DOM. */
(function () {
  var out = [];
  function say(k, v) { out.push(k + "=" + v); }
  try {
    var t = document.getElementById("transfers-table");
    if (t) {
      var rows = function () { return Array.prototype.slice.call(t.tBodies[0].rows); };
      var visible = function () { return rows().filter(function (r) { return !r.hidden; }).length; };
      say("transfer_rows", rows().length);
      var th = t.querySelector('th[data-sort-key="bytes"]');
      th.click(); th.click(); /* ascending, then descending */
      var col = th.cellIndex;
      var vals = rows().map(function (r) { return Number(r.cells[col].getAttribute("data-value")); });
      say("sorted_desc", vals.every(function (v, i) { return i === 0 || vals[i - 1] >= v; }) &&
        th.getAttribute("aria-sort") === "descending");
      var f = document.querySelector('input[data-filter-for="transfers-table"]');
      f.value = rows()[0].getAttribute("data-transfer"); f.dispatchEvent(new Event("input"));
      say("filter_visible", visible());
      f.value = "no-such-row-anywhere"; f.dispatchEvent(new Event("input"));
      say("filter_none", visible());
      f.value = ""; f.dispatchEvent(new Event("input"));
      say("filter_cleared", visible());
      var box = document.querySelector('input[data-problems-for="transfers-table"]');
      box.checked = true; box.dispatchEvent(new Event("change"));
      say("problems_visible", visible());
      say("problems_marked", t.querySelectorAll("tbody tr[data-problem]").length);
      box.checked = false; box.dispatchEvent(new Event("change"));
    }
    var svgs = document.querySelectorAll("svg.ladder");
    say("svgs", svgs.length);
    /* Per ladder, as drawn: its data arrows, those that die and their ✕,
       and the rendered size (a drawing the browser could not lay out has
       none). */
    Array.prototype.forEach.call(svgs, function (svg) {
      var data = svg.querySelectorAll("g.row.arrow.data");
      var dies = Array.prototype.map.call(svg.querySelectorAll("g.row.arrow.data.dies"), function (g) {
        var mark = g.querySelector(".stop-mark");
        return g.getAttribute("data-frame") + ":" + (mark ? mark.textContent : "none");
      });
      var box = svg.getBBox();
      say("ladder", svg.getAttribute("data-session") + " data_arrows=" + data.length +
        " dies=" + (dies.join(",") || "-") + " rows=" + svg.querySelectorAll("g.row").length +
        " drawn=" + (box.width > 100 && box.height > 100));
    });
  } catch (e) { say("selftest_error", String(e)); }
  var pre = document.createElement("pre");
  pre.id = "browser-selftest";
  pre.textContent = out.join("\n");
  document.body.appendChild(pre);
})();
