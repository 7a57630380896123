// ARIA Marketplace: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Dates: the server writes UTC; show them in the reader's time zone.
  function localizeTimes(root) {
    var fmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) return;
      el.title = fmt.format(d);
      if (el.dataset.format === "absolute") el.textContent = fmt.format(d);
    });
  }

  // Destructive actions ask first.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);

  // Selects marked data-autosubmit submit their form on change (the button stays for keyboards).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("select[data-autosubmit]")) el.form.submit();
  });

  // Copy buttons.
  document.addEventListener("click", function (event) {
    var btn = event.target.closest && event.target.closest("[data-copy]");
    if (!btn) return;
    var input = document.querySelector(btn.dataset.copy);
    if (!input) return;
    input.select();
    if (navigator.clipboard) navigator.clipboard.writeText(input.value);
    btn.textContent = "Copied";
  });

  // Search as you type: fetch the results fragment and swap it in.
  var search = document.querySelector("form[data-live-search]");
  if (search) {
    var timer = null, seq = 0;
    var results = document.getElementById("results");
    var run = function () {
      var params = new URLSearchParams(new FormData(search));
      var mine = ++seq;
      fetch(search.dataset.liveSearch + "?" + params, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null || mine !== seq) return;
          results.innerHTML = html;
          var featured = document.getElementById("featured");
          if (featured) featured.hidden = Boolean(params.get("q") || params.get("category"));
          localizeTimes(results);
          history.replaceState(null, "", "/integrations?" + params);
        });
    };
    search.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 200); });
    search.querySelector("select").addEventListener("change", run);
  }

  // Inline "Test Connection": post the form, show only the result, keep what was typed.
  document.querySelectorAll("form[data-inline-test]").forEach(function (form) {
    form.addEventListener("click", function (event) {
      var btn = event.target.closest("button[name=action][value=test]");
      if (!btn) return;
      event.preventDefault();
      var data = new FormData(form);
      data.set("action", "test");
      var box = form.querySelector("#test-result");
      box.innerHTML = '<p class="muted">Testing the connection…</p>';
      btn.disabled = true;
      fetch(form.getAttribute("action"), { method: "POST", body: data, credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.querySelector("#test-result");
          var problem = doc.querySelector("main .error");
          if (fresh && fresh.innerHTML.trim()) box.innerHTML = fresh.innerHTML;
          else if (problem) box.innerHTML = problem.outerHTML;
          else box.innerHTML = '<p class="error">The test could not run. Submit the form to see why.</p>';
        })
        .catch(function () { box.innerHTML = '<p class="error">The server did not answer.</p>'; })
        .finally(function () { btn.disabled = false; });
    });
  });

  // Live sync progress: poll the JSON API for each running job shown on the page.
  var FINISHED = { succeeded: 1, failed: 1, cancelled: 1 };
  document.querySelectorAll(".sync-progress[data-job]").forEach(function (box) {
    var bar = box.querySelector("progress"), text = box.querySelector(".progress-text");
    var poll = function () {
      fetch("/api/v1/jobs/" + box.dataset.job, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (job) {
          if (!job) return;
          bar.value = Number(job.progress);
          text.textContent = "Sync " + job.status + " · " + job.records_processed.toLocaleString() + " records so far";
          box.dataset.status = job.status;
          if (FINISHED[job.status]) {
            bar.value = job.status === "succeeded" ? 100 : bar.value;
            text.textContent = (job.status === "succeeded" ? "Sync finished · " : "Sync " + job.status + " · ") +
              job.records_processed.toLocaleString() + " records";
            setTimeout(function () { window.location.reload(); }, 1200);
            return;
          }
          setTimeout(poll, 1000);
        })
        .catch(function () { setTimeout(poll, 3000); });
    };
    var status = box.dataset.status;
    if (!FINISHED[status]) poll();
  });

  localizeTimes(document);
})();
