/* Data-quality charts with plotly's bundled JS; the data is the stored report's counts. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var msg = JSON.parse(document.getElementById("messages").textContent);
  var config = { responsive: true, displaylogo: false };
  var layout = function (extra) {
    return Object.assign({ margin: { l: 48, r: 16, t: 16, b: 80 }, height: 300, autosize: true,
      font: { family: "system-ui, 'Noto Sans CJK SC', sans-serif" } }, extra || {});
  };
  var bar = function (id, rows) {
    if (!rows.length) { return; }
    Plotly.newPlot(id, [{ type: "bar", x: rows.map(function (r) { return r[0]; }),
      y: rows.map(function (r) { return r[1]; }) }],
      layout({ yaxis: { title: { text: msg["dq.items"] } } }), config);
  };
  bar("chart-missing", data.missing);
  bar("chart-flags", data.flags);
  bar("chart-pii", data.pii);
  bar("chart-labels", data.labels);
  var d = data.duplicates;
  if (d.length) {
    var kinds = d.map(function (r) { return r[0]; });
    Plotly.newPlot("chart-duplicates", [
      { type: "bar", name: msg["dq.groups"], x: kinds, y: d.map(function (r) { return r[1]; }) },
      { type: "bar", name: msg["dq.items"], x: kinds, y: d.map(function (r) { return r[2]; }) },
      { type: "bar", name: msg["dq.conflicting"], x: kinds, y: d.map(function (r) { return r[3]; }) }
    ], layout({ barmode: "group", showlegend: true, legend: { orientation: "h", y: 1.15 } }), config);
  }
})();
