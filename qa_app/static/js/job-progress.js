// A job's page (templates/jobs/detail.html): follows its progress through the JSON status
// every few seconds and reloads the page once the job has finished, to show its result.
// Without this file the page reloads itself (a <noscript> refresh) until the job finishes.
(function () {
  "use strict";
  var box = document.getElementById("job-progress");
  if (!box) { return; }
  var bar = document.getElementById("job-bar");
  if (box.dataset.finished === "true" || !window.fetch) { return; }
  var delay = Number(box.dataset.pollSeconds || 2) * 1000;
  function text(id, value) {
    var node = document.getElementById(id);
    if (node) { node.textContent = value; }
  }
  function poll() {
    fetch(box.dataset.statusUrl, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        if (data.finished) { window.location.reload(); return; }
        text("job-status", data.status_label);
        text("job-rows", data.rows_text);
        text("job-percent", data.percent_text);
        text("job-estimate", data.estimate_text);
        if (bar) { bar.value = data.percent; bar.textContent = data.percent_text; }
        window.setTimeout(poll, delay);
      })
      .catch(function () { window.setTimeout(poll, delay * 3); });
  }
  window.setTimeout(poll, delay);
})();
