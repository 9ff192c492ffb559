{% raw %}
(function () {
  "use strict";
  function all(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }

  var picker = document.getElementById("confusion-run");
  function showConfusion() {
    all(".confusion").forEach(function (el) {
      el.classList.toggle("hidden", el.getAttribute("data-run") !== picker.value);
    });
  }
  if (picker) {
    picker.addEventListener("change", showConfusion);
    showConfusion();
  }

  var filter = document.getElementById("case-filter");
  var runPicker = document.getElementById("case-run");
  var counter = document.getElementById("case-count");
  function visibleCases() {
    return all("details.case").filter(function (el) { return !el.classList.contains("hidden"); });
  }
  function applyFilter() {
    var text = filter.value.trim().toLowerCase();
    var run = runPicker.value;
    var cases = all("details.case");
    var shown = 0;
    cases.forEach(function (el) {
      var textOk = !text || el.getAttribute("data-search").toLowerCase().indexOf(text) >= 0;
      var runOk = !run || (" " + el.getAttribute("data-failing") + " ").indexOf(" " + run + " ") >= 0;
      el.classList.toggle("hidden", !(textOk && runOk));
      if (textOk && runOk) { shown += 1; }
      all("[data-run]", el).forEach(function (block) {
        block.classList.toggle("hidden", run !== "" && block.getAttribute("data-run") !== run);
      });
    });
    counter.textContent = shown + " of " + cases.length + " cases shown";
  }
  if (filter && runPicker && counter) {
    filter.addEventListener("input", applyFilter);
    runPicker.addEventListener("change", applyFilter);
    applyFilter();
    document.getElementById("expand-all").addEventListener("click", function () {
      visibleCases().forEach(function (el) { el.open = true; });
    });
    document.getElementById("collapse-all").addEventListener("click", function () {
      all("details.case").forEach(function (el) { el.open = false; });
    });
  }

  function cellValue(row, column, numeric) {
    var cell = row.cells[column];
    var raw = cell ? (cell.getAttribute("data-value") || cell.textContent) : "";
    if (!numeric) { return raw.toLowerCase(); }
    var value = parseFloat(raw);
    return isNaN(value) ? null : value;
  }
  all("table.sortable").forEach(function (table) {
    var headers = all("thead th", table);
    headers.forEach(function (th, column) {
      th.addEventListener("click", function () {
        var numeric = th.getAttribute("data-type") === "num";
        var descending = numeric ? !th.classList.contains("sorted-desc") : th.classList.contains("sorted-asc");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a, column, numeric);
          var y = cellValue(b, column, numeric);
          if (x === y) { return 0; }
          if (x === null) { return 1; }
          if (y === null) { return -1; }
          return (x < y ? -1 : 1) * (descending ? -1 : 1);
        });
        rows.forEach(function (row) { body.appendChild(row); });
        headers.forEach(function (h) { h.classList.remove("sorted-asc", "sorted-desc"); });
        th.classList.add(descending ? "sorted-desc" : "sorted-asc");
      });
    });
  });
}());
{% endraw %}
