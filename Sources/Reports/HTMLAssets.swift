/// The HTML report's inline style and script. Their exact text is hashed
/// into the page's Content Security Policy, so they are constants.
enum HTMLAssets {
    static let style = """
    :root{--fg:#1d2430;--muted:#6a7382;--line:#d9dee5;--bg:#fff;--accent:#1f5fbf}
    body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1180px;padding:16px 24px 80px}
    h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
    .meta,.muted{color:var(--muted)}
    .banner{background:#fff4d6;border:1px solid #e0b000;padding:8px 12px;border-radius:6px;font-weight:600}
    #script-errors{background:#ffe3e3;border-color:#c00}
    table{border-collapse:collapse;margin:8px 0 16px;font-variant-numeric:tabular-nums}
    th,td{border-bottom:1px solid var(--line);padding:3px 8px;text-align:right;white-space:nowrap}
    th{background:#f3f5f8}td.text,th:first-child,th:nth-child(2){text-align:left}
    td.reason{text-align:left;white-space:normal;max-width:420px;color:var(--muted)}
    figure{margin:12px 0 20px}
    svg.chart{max-width:100%;height:auto;font-size:12px}
    svg .caption{font-weight:600;font-size:13px;fill:var(--fg)}
    svg .label,svg .value{fill:var(--fg)}svg .muted{fill:var(--muted)}
    svg .tick{fill:var(--muted);font-size:11px}
    svg .grid{stroke:#eceff3}svg .axis-zero{stroke:#8b94a3}
    svg .ci{stroke:var(--accent);stroke-width:3}svg .point{fill:var(--accent)}
    svg .baseline .ci{stroke:#9aa3b0}svg .baseline .point{fill:#9aa3b0}
    svg .suite .ci{stroke:#0b3d91}svg .suite .point{fill:#0b3d91}
    svg .median{stroke:#111;stroke-width:2.5}
    .o-success{fill:#2e8b57;background:#2e8b57}.o-detected{fill:#4f8fd6;background:#4f8fd6}
    .o-silent{fill:#f29d38;background:#f29d38}.o-corrupt{fill:#d64545;background:#d64545}
    .o-crash{fill:#8e44ad;background:#8e44ad}.o-hang{fill:#555;background:#555}
    svg .trial-dot{fill-opacity:.75;cursor:pointer}
    .badge{color:#fff;border-radius:3px;padding:0 6px}
    details.scenario{margin:4px 0}details.scenario summary{cursor:pointer;padding:2px 0}
    tr.trial{cursor:pointer}tr.trial:hover,tr.trial.selected{background:#eef4ff}
    #trial-detail{position:fixed;top:0;right:0;width:min(560px,46vw);height:100vh;overflow:auto;background:#fff;border-left:2px solid var(--accent);box-shadow:-4px 0 16px rgba(0,0,0,.12);padding:12px 18px;box-sizing:border-box}
    #trial-detail[hidden]{display:none}
    #trial-detail-close{float:right;font-size:20px;border:0;background:none;cursor:pointer}
    #trial-detail pre{background:#f6f8fa;padding:8px;white-space:pre-wrap;word-break:break-all;font-size:12px}
    #trial-detail dt{font-weight:600;float:left;width:90px}#trial-detail dd{margin-left:100px}
    """

    /// Reads the trials' JSON block; shows a trial on a click or Enter on any
    /// element with `data-trial`. Untrusted text only ever goes through
    /// `textContent`.
    static let script = """
    (function () {
      "use strict";
      var root = document.documentElement, caught = [];
      function noteError(message) {
        caught.push(String(message));
        root.setAttribute("data-script-errors", String(caught.length));
        var box = document.getElementById("script-errors");
        if (box) { box.hidden = false; box.textContent = "Script errors: " + caught.join("; "); }
      }
      window.addEventListener("error", function (e) { noteError(e.message || "error"); });
      window.addEventListener("unhandledrejection", function (e) { noteError("unhandled rejection: " + e.reason); });
      root.setAttribute("data-script-errors", "0");
      var trials = JSON.parse(document.getElementById("trial-data").textContent);
      var panel = document.getElementById("trial-detail"), body = document.getElementById("trial-detail-body");
      function el(tag, text, cls) {
        var e = document.createElement(tag);
        if (text !== undefined && text !== null) { e.textContent = String(text); }
        if (cls) { e.className = cls; }
        return e;
      }
      function section(title, child, id) {
        body.appendChild(el("h4", title));
        if (id) { child.id = id; }
        body.appendChild(child);
      }
      function exitText(x) {
        var parts = [];
        if (x.code !== undefined && x.code !== null) { parts.push("exit code " + x.code); }
        if (x.signal !== undefined && x.signal !== null) { parts.push("signal " + x.signal); }
        if (x.timedOut) { parts.push("killed at the timeout"); }
        if (x.killedByFault) { parts.push("killed by the injected fault"); }
        return parts.join(", ") || "unknown";
      }
      function show(index) {
        var t = trials[index];
        if (!t) { return; }
        body.textContent = "";
        body.appendChild(el("h3", "Trial " + t.id));
        var facts = el("dl"), rows = [["scenario", t.scenario], ["arm", t.arm], ["number", t.number + (t.warmup ? " (warm-up, not counted)" : "")],
          ["outcome", t.outcome], ["reason", t.reason], ["exit", exitText(t.exit)], ["time", t.seconds.toFixed(4) + " s"], ["attempts", t.attempts]];
        rows.forEach(function (r) { facts.appendChild(el("dt", r[0])); facts.appendChild(el("dd", r[1])); });
        body.appendChild(facts);
        var claim = t.claim ? JSON.stringify(t.claim, null, 2) : (t.rawClaim !== undefined && t.rawClaim !== null ? "no valid claim; last line of output:\\n" + t.rawClaim : "no claim");
        section("Claim", el("pre", claim), "trial-claim");
        var truth = el("table");
        truth.appendChild(el("tr")).append(el("th", "path"), el("th", "exists"), el("th", "size"), el("th", "sha256"));
        (t.groundTruth || []).forEach(function (f) {
          var tr = el("tr");
          tr.append(el("td", f.path, "text"), el("td", f.exists ? "yes" : "no"), el("td", f.size === undefined ? "" : f.size), el("td", f.sha256 ? f.sha256.slice(0, 16) + "…" : "", "text"));
          truth.appendChild(tr);
        });
        if (!(t.groundTruth || []).length) { truth.appendChild(el("tr")).appendChild(el("td", "nothing checked")); }
        section("Ground truth", truth, "trial-ground-truth");
        section("Fault trace", el("pre", (t.faults || []).length ? t.faults.join("\\n") : "no fault injected"), "trial-faults");
        if (t.stderrTail) { section("Standard error (tail)", el("pre", t.stderrTail), "trial-stderr"); }
        panel.hidden = false;
        panel.setAttribute("data-shown", String(index));
        Array.prototype.forEach.call(document.querySelectorAll("tr.trial.selected"), function (r) { r.classList.remove("selected"); });
        Array.prototype.forEach.call(document.querySelectorAll("tr.trial[data-trial=\\"" + index + "\\"]"), function (r) { r.classList.add("selected"); });
      }
      document.addEventListener("click", function (e) {
        var target = e.target instanceof Element ? e.target : null;
        if (!target) { return; }
        if (target.closest("#trial-detail-close")) { panel.hidden = true; return; }
        var hit = target.closest("[data-trial]");
        if (hit) { show(Number(hit.getAttribute("data-trial"))); }
      });
      document.addEventListener("keydown", function (e) {
        if (e.key === "Escape") { panel.hidden = true; return; }
        var hit = e.target instanceof Element ? e.target.closest("[data-trial]") : null;
        if (hit && e.key === "Enter") { show(Number(hit.getAttribute("data-trial"))); }
      });
      root.setAttribute("data-report-ready", "1");
    })();
    """
}
