#!/usr/bin/env python3
"""Opens a faultbench HTML report in headless Chromium and reports, as one
JSON object on stdout, what a reader would see: whether the page's script
ran without errors, which charts are there, what clicking a trial shows, and
whether the page tried to load anything.

Drives Debian's chromium directly over the DevTools protocol on a pipe
(--remote-debugging-pipe: requests on fd 3, replies on fd 4, each message
NUL-terminated), with the standard library only. Playwright's own browser
cannot be downloaded on these machines.

usage: check-html-report.py REPORT.html SCREENSHOT.png [--click-text TEXT]
exit 0 with the JSON; exit 1 with one line on stderr when the browser
cannot be driven at all.
"""
import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time


class Browser:
    def __init__(self, binary):
        self.profile = tempfile.mkdtemp(prefix="faultbench-chromium-")
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()
        # The child must see the pipe at fds 3 and 4 exactly.
        # (copied high first, so neither dup2 clobbers the other's source;
        # pass_fds keeps 3 and 4 open past subprocess's closing of the rest).
        def setup():
            r, w = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(r, 3)
            os.dup2(w, 4)
        self.proc = subprocess.Popen(
            [binary, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking", "--disable-sync", "--mute-audio",
             "--hide-scrollbars", "--remote-debugging-pipe", "--user-data-dir=" + self.profile, "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=setup, pass_fds=(3, 4), start_new_session=True)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self.receive(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def receive(self, deadline):
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the browser did not answer in time")
            ready, _, _ = select.select([self.from_browser], [], [], left)
            if ready:
                chunk = os.read(self.from_browser, 1 << 20)
                if not chunk:
                    raise RuntimeError("the browser closed the DevTools pipe")
                self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def wait_for(self, method, timeout=30):
        deadline = time.monotonic() + timeout
        for i, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events.pop(i)
        while True:
            event = self.receive(deadline)
            if event.get("method") == method:
                return event
            self.events.append(event)

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # our own child, by its pid
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    if len(sys.argv) < 3:
        print("usage: check-html-report.py REPORT.html SCREENSHOT.png [--click-text TEXT]", file=sys.stderr)
        return 1
    report, screenshot = os.path.abspath(sys.argv[1]), sys.argv[2]
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if not binary:
        print("check-html-report: no chromium on PATH; install it with: apt-get install -y chromium", file=sys.stderr)
        return 1
    browser = Browser(binary)
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(domain + ".enable", session=session)
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": 1280, "height": 1000, "deviceScaleFactor": 1, "mobile": False}, session=session)
        browser.send("Page.navigate", {"url": "file://" + report}, session=session)
        browser.wait_for("Page.loadEventFired")

        def evaluate(expression):
            result = browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session)
            if "exceptionDetails" in result:
                raise RuntimeError("evaluating in the page failed: " + json.dumps(result["exceptionDetails"])[:300])
            return result["result"].get("value")

        state = evaluate("""(() => {
          const html = document.documentElement;
          const count = (id, sel) => { const e = document.getElementById(id); return e ? e.querySelectorAll(sel).length : -1; };
          return {
            ready: html.getAttribute("data-report-ready"),
            scriptErrors: html.getAttribute("data-script-errors"),
            scriptErrorText: document.getElementById("script-errors") ? document.getElementById("script-errors").textContent : null,
            svgIds: Array.from(document.querySelectorAll("svg.chart")).map(s => s.id),
            preventionPoints: count("chart-prevention", "circle.point"),
            outcomeSegments: count("chart-outcomes", "rect.seg"),
            timeDots: count("chart-times", "circle.trial-dot"),
            baselinePoints: count("chart-baseline", "circle.point"),
            trialRows: document.querySelectorAll("tr.trial").length,
            partialBanner: document.getElementById("partial-banner") ? document.getElementById("partial-banner").textContent : null,
            pwned: typeof window.__pwned === "undefined" ? null : String(window.__pwned),
            title: document.title
          };
        })()""")

        # Click the first trial dot in the time chart, then a trial row, as a
        # user would: a real mouse event at the element's place on screen.
        def click(selector):
            box = evaluate(f"""(() => {{
              const e = document.querySelector({json.dumps(selector)});
              if (!e) return null;
              const d = e.closest("details"); if (d) d.open = true;
              e.scrollIntoView({{block: "center"}});
              const r = e.getBoundingClientRect();
              return {{x: r.left + r.width / 2, y: r.top + r.height / 2, trial: e.getAttribute("data-trial")}};
            }})()""")
            if box is None:
                return None
            for kind in ("mousePressed", "mouseReleased"):
                browser.send("Input.dispatchMouseEvent", {"type": kind, "x": box["x"], "y": box["y"], "button": "left",
                                                          "clickCount": 1}, session=session)
            shown = evaluate("""(() => {
              const p = document.getElementById("trial-detail");
              const text = id => { const e = document.getElementById(id); return e ? e.textContent : null; };
              return {hidden: p.hidden, shown: p.getAttribute("data-shown"), claim: text("trial-claim"),
                      groundTruth: text("trial-ground-truth"), faults: text("trial-faults"), stderr: text("trial-stderr"),
                      heading: p.querySelector("h3") ? p.querySelector("h3").textContent : null};
            })()""")
            shown["clicked"] = box["trial"]
            return shown

        clicks = {"dot": click("#chart-times circle.trial-dot")}
        click_text = sys.argv[sys.argv.index("--click-text") + 1] if "--click-text" in sys.argv else None
        if click_text:
            index = evaluate(f"""(() => {{
              const data = JSON.parse(document.getElementById("trial-data").textContent);
              return data.findIndex(t => JSON.stringify(t).includes({json.dumps(click_text)}));
            }})()""")
            clicks["row"] = click(f'tr.trial[data-trial="{index}"]') if index is not None and index >= 0 else None
        else:
            clicks["row"] = click("tr.trial")
        state["pwnedAfterClicks"] = evaluate('typeof window.__pwned === "undefined" ? null : String(window.__pwned)')
        state["scriptErrorsAfterClicks"] = evaluate('document.documentElement.getAttribute("data-script-errors")')
        state["clicks"] = clicks

        # Everything the browser logged or tried to fetch.
        exceptions, console_errors, requests = [], [], []
        for event in browser.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                exceptions.append(params["exceptionDetails"].get("text", "") + " " +
                                  str(params["exceptionDetails"].get("exception", {}).get("description", "")))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                console_errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                console_errors.append(params["entry"].get("text", ""))
            elif method == "Network.requestWillBeSent":
                requests.append(params["request"]["url"])
        state["exceptions"] = exceptions
        state["consoleErrors"] = console_errors
        state["requests"] = requests

        shot = browser.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=session)
        with open(screenshot, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        state["screenshot"] = screenshot
        print(json.dumps(state))
        return 0
    except Exception as error:  # one line, as every faultbench tool does
        print(f"check-html-report: {error}", file=sys.stderr)
        return 1
    finally:
        browser.close()


if __name__ == "__main__":
    sys.exit(main())
