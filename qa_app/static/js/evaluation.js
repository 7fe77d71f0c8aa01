// Live score on the evaluation form and the dispute decision form (its `data-score-url`).
// The page works without this file: saving shows the score too. The server computes the score (qa_app/scoring.py); nothing is saved here.
(function () {
  "use strict";
  var form = document.getElementById("evaluation-form");
  var target = document.getElementById("live-score");
  if (!form || !target || !window.fetch) { return; }
  var number = new Intl.NumberFormat(document.documentElement.lang || undefined,
    { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  var timer = null;

  function badge(text, style) {
    var span = document.createElement("span");
    span.className = "badge text-bg-" + style + " ms-1";
    span.textContent = text;
    return span;
  }

  function show(data) {
    target.textContent = "";
    if (!data.valid) {
      target.appendChild(badge(target.dataset.invalid || "?", "secondary"));
      return;
    }
    if (data.score === null) {
      var none = document.createElement("span");
      none.className = "text-body-secondary";
      none.textContent = form.dataset.noScore || "–";
      target.appendChild(none);
      return;
    }
    var value = document.createElement("span");
    value.className = "fw-semibold";
    value.textContent = number.format(data.score);
    target.appendChild(value);
    if (data.auto_failed) {
      target.appendChild(badge(form.dataset.autoFail || "auto-fail", "danger"));
      var raw = document.createElement("span");
      raw.className = "small text-body-secondary ms-1";
      raw.textContent = (form.dataset.raw || "raw") + " " + number.format(data.raw_score);
      target.appendChild(raw);
    }
    if (data.passed === true) { target.appendChild(badge(form.dataset.pass || "pass", "success")); }
    if (data.passed === false) { target.appendChild(badge(form.dataset.below || "below", "warning")); }
    var count = document.createElement("div");
    count.className = "small text-body-secondary";
    count.textContent = data.answered + " / " + data.total;
    target.appendChild(count);
  }

  function update() {
    fetch(form.dataset.scoreUrl, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { show(data); } })
      .catch(function () { /* the saved score stays; nothing to do */ });
  }

  // Only answers change the score (not comments, texts or a dispute's decision and note);
  // nothing is asked once the form is being sent.
  form.addEventListener("change", function (event) {
    if (!event.target.name || event.target.name.indexOf("answer-") !== 0) { return; }
    window.clearTimeout(timer);
    timer = window.setTimeout(update, 250);
  });
  form.addEventListener("submit", function () { window.clearTimeout(timer); });
})();
