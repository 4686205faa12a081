/* Dashboard charts with plotly's bundled JS; the data is counts computed by the server.
   While a quality snapshot job is queued or running, poll it and reload once it finishes. */
(function () {
  "use strict";
  var box = document.getElementById("snapshot");
  var job = box && box.getAttribute("data-job");
  if (job) {
    var poll = function () {
      fetch("/api/v1/jobs/" + job, { credentials: "same-origin" }).then(function (r) {
        return r.ok ? r.json() : null;
      }).then(function (j) {
        if (j && (j.status === "done" || j.status === "failed")) {
          window.location.replace(window.location.pathname);
          return;
        }
        setTimeout(poll, 500);
      }, function () { setTimeout(poll, 2000); });
    };
    poll();
  }
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var msg = JSON.parse(document.getElementById("messages").textContent);
  var config = { responsive: true, displaylogo: false };
  var layout = function (extra) {
    return Object.assign({ margin: { l: 48, r: 16, t: 16, b: 48 }, height: 300, autosize: true,
      font: { family: "system-ui, 'Noto Sans CJK SC', sans-serif" } }, extra || {});
  };
  var bucketMs = data.bucket === "day" ? 86400000 : 3600000;
  Plotly.newPlot("chart-activity", [{
    type: "bar", x: data.activity.map(function (r) { return r[0]; }),
    y: data.activity.map(function (r) { return r[1]; }), marker: { color: "#0b5cad" },
    xperiod: bucketMs, xperiodalignment: "start", width: bucketMs * 0.8
  }], layout({ xaxis: { type: "date", title: { text: msg["dash.bucket_" + data.bucket] } },
               yaxis: { title: { text: msg["dash.labels_total"] } } }), config);
  var p = data.progress;
  Plotly.newPlot("chart-progress", [{
    type: "bar", x: [msg["projects.done"], msg["projects.open"], msg["projects.review"]],
    y: [p.done, p.open, p.review], marker: { color: ["#2e7d32", "#0b5cad", "#c98a00"] }
  }], layout({ yaxis: { title: { text: msg["dash.items"] } } }), config);
  Plotly.newPlot("chart-labels", [{
    type: "bar", x: data.labels.map(function (r) { return r[0]; }), y: data.labels.map(function (r) { return r[1]; })
  }], layout({ yaxis: { title: { text: msg["dash.items"] } } }), config);
  var conf = data.confidence || { edges: [0, 0.1], counts: [] };
  var e = conf.edges;
  Plotly.newPlot("chart-confidence", [{
    type: "bar", x: conf.counts.map(function (_, i) { return (e[i] + e[i + 1]) / 2; }),
    y: conf.counts, width: e[1] - e[0]
  }], layout({ xaxis: { range: [0, 1] }, yaxis: { title: { text: msg["dash.items"] } } }), config);
  Plotly.newPlot("chart-per-item", [{
    type: "bar", x: data.per_item.map(function (r) { return r[0]; }), y: data.per_item.map(function (r) { return r[1]; })
  }], layout({ xaxis: { title: { text: msg["dash.labels_per_item"] }, dtick: 1 },
               yaxis: { title: { text: msg["dash.items"] } } }), config);
  var bins = { start: 0, end: 1.0001, size: 0.1 };
  Plotly.newPlot("chart-accuracy", [
    { type: "histogram", name: msg["dash.w_gold"], x: data.gold, xbins: bins, opacity: 0.7 },
    { type: "histogram", name: msg["dash.w_consensus"], x: data.consensus, xbins: bins, opacity: 0.7 }
  ], layout({ barmode: "overlay", showlegend: true, xaxis: { range: [0, 1] }, legend: { orientation: "h", y: 1.15 },
              yaxis: { title: { text: msg["dash.workers"] } } }), config);
  Plotly.newPlot("chart-cost", [{
    type: "scatter", mode: "lines+markers", x: data.cost.map(function (r) { return r[0]; }),
    y: data.cost.map(function (r) { return r[1]; }), text: data.cost.map(function (r) { return r[2]; })
  }], layout({ xaxis: { title: { text: msg["dash.cost_x"] } },
               yaxis: { title: { text: msg["dash.cost_y"] }, range: [0, 1.02] } }), config);
})();
