// Sightline web UI: small improvements over pages that work without this script.
(function () {
  "use strict";

  // Copy buttons (hidden until this script runs).
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () {
      var el = document.getElementById(b.getAttribute("data-copy"));
      if (!el || !navigator.clipboard) { return; }
      navigator.clipboard.writeText(el.textContent.trim()).then(function () {
        b.textContent = "Copied";
        setTimeout(function () { b.textContent = "Copy"; }, 1500);
      });
    });
  });

  // Selects that choose a pick list submit their form on change.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
    s.addEventListener("change", function () { s.form.requestSubmit ? s.form.requestSubmit() : s.form.submit(); });
  });

  // Long actions show progress: a busy label and a disabled button while the page loads.
  document.querySelectorAll("form[data-busy]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      var b = e.submitter || f.querySelector("button[type=submit]");
      if (f.getAttribute("data-probe") && b && b.value === "probe") { return; }
      if (b) {
        setTimeout(function () { b.disabled = true; }, 0);
        var status = f.querySelector("[data-busy-status]");
        if (status) { status.textContent = b.getAttribute("data-busy-label") || "Working…"; }
      }
    });
  });

  // Namespace buttons fill the form's namespace field.
  document.addEventListener("click", function (e) {
    var t = e.target.closest ? e.target.closest("button[data-ns]") : null;
    if (!t) { return; }
    e.preventDefault();
    var field = document.querySelector("[data-namespace-field]");
    if (!field) { return; }
    var have = field.value.split(/[\s,]+/).filter(Boolean);
    if (have.indexOf(t.getAttribute("data-ns")) < 0) { have.push(t.getAttribute("data-ns")); }
    field.value = have.join(", ");
    field.focus();
  });

  // The namespace picker: stream the probe's steps live instead of waiting for the whole page.
  document.querySelectorAll("form[data-probe]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      var b = e.submitter;
      if (!b || b.value !== "probe" || !window.fetch || !window.TextDecoder) { return; }
      e.preventDefault();
      var out = document.getElementById("probe-result");
      var body = new URLSearchParams(new FormData(form));
      body.set("action", "probe");
      b.disabled = true;
      out.innerHTML = "";
      var live = document.getElementById("probe-live-template").content.cloneNode(true);
      out.appendChild(live);
      var clock = out.querySelector("[data-elapsed]");
      var t0 = Date.now();
      var timer = setInterval(function () {
        clock.textContent = ((Date.now() - t0) / 1000).toFixed(1) + " s";
      }, 100);
      function step(name) { return out.querySelector("li[data-step='" + name + "']"); }
      function handle(ev) {
        if (ev.type === "started") {
          var li = step(ev.step);
          if (li) { li.querySelector(".st").textContent = "running…"; li.querySelector(".st").className = "st s-running"; }
        } else if (ev.type === "ended") {
          var l = step(ev.step);
          if (l) {
            l.querySelector(".st").textContent = ev.status;
            l.querySelector(".st").className = "st s-" + ev.status;
            l.querySelector(".ms").textContent = ev.status === "skipped" ? "" : ev.millis + " ms";
            l.querySelector(".d").textContent = ev.detail || "";
          }
        } else if (ev.type === "result") {
          out.innerHTML = ev.html;
          var h = out.querySelector("[tabindex='-1']");
          if (h) { h.focus(); }
        }
      }
      fetch(form.getAttribute("data-probe"), {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded" }
      }).then(function (res) {
        var reader = res.body.getReader();
        var dec = new TextDecoder();
        var buf = "";
        function pump() {
          return reader.read().then(function (r) {
            if (r.done) { return; }
            buf += dec.decode(r.value, { stream: true });
            var i;
            while ((i = buf.indexOf("\n")) >= 0) {
              var line = buf.slice(0, i); buf = buf.slice(i + 1);
              if (line.trim()) { handle(JSON.parse(line)); }
            }
            return pump();
          });
        }
        return pump();
      }).catch(function () {
        out.textContent = "The probe could not be streamed; press Probe again, or use the page without scripts.";
      }).then(function () { clearInterval(timer); b.disabled = false; });
    });
  });
})();
