/* Job page: poll the job until it finishes, then reload once to show the server-rendered report. */
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || box.getAttribute("data-finished") === "true") { return; }
  var id = box.getAttribute("data-job");
  var bar = document.getElementById("job-progress");
  function poll() {
    fetch("/api/v1/jobs/" + id, { credentials: "same-origin" }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (job) {
      if (!job) { setTimeout(poll, 2000); return; }
      if (job.progress_total) { bar.max = job.progress_total; bar.value = job.progress_done; }
      if (job.status === "done" || job.status === "failed") { window.location.reload(); return; }
      setTimeout(poll, 500);
    }, function () { setTimeout(poll, 2000); });
  }
  poll();
})();
