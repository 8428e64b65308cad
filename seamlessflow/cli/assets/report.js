// Sorting and filtering of the instance table; a click on the graph or the timeline
// filters the table to what was clicked.
(function () {
  "use strict";
  var table = document.getElementById("instance-table");
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var text = document.getElementById("filter-text");
  var status = document.getElementById("filter-status");
  var shown = document.getElementById("shown");

  // an instance's or a step's exact name shows just that; other text, the names holding it
  function matcher(t) {
    if (!t) { return function () { return true; }; }
    var field = ["name", "step"].find(function (f) {
      return rows.some(function (r) { return r.dataset[f] === t; });
    });
    return field ? function (r) { return r.dataset[field] === t; }
      : function (r) { return r.dataset.name.indexOf(t) >= 0; };
  }

  function apply() {
    var s = status.value, n = 0, match = matcher(text.value.trim());
    rows.forEach(function (r) {
      var ok = (!s || r.dataset.status === s) && match(r);
      r.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = n + " of " + rows.length + " shown";
  }

  function sortBy(col, th) {
    var up = !th.classList.contains("asc");
    Array.prototype.forEach.call(th.parentNode.cells, function (c) {
      c.classList.remove("asc", "desc");
    });
    th.classList.add(up ? "asc" : "desc");
    var key = function (r) {
      var v = r.getAttribute("data-sort-" + col);
      return v === null ? r.cells[col].textContent : parseFloat(v);
    };
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      if (typeof x !== typeof y) { return typeof x === "number" ? -1 : 1; }
      var d = typeof x === "number" ? x - y : x.localeCompare(y, undefined, {numeric: true});
      return up ? d : -d;
    });
    rows.forEach(function (r) { table.tBodies[0].appendChild(r); });
  }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
    th.addEventListener("click", function () { sortBy(i, th); });
  });
  text.addEventListener("input", apply);
  status.addEventListener("change", apply);

  function show(name) {
    text.value = name;
    status.value = "";
    apply();
    table.scrollIntoView();
  }
  document.querySelectorAll("svg.dag g.node").forEach(function (g) {
    g.addEventListener("click", function () {
      show(g.dataset.instances ? g.dataset.step : g.dataset.name);
    });
  });
  document.querySelectorAll("svg.timeline rect.bar").forEach(function (bar) {
    bar.addEventListener("click", function () { show(bar.dataset.name); });
  });
  apply();
})();
