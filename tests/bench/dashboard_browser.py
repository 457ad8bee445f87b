#!/usr/bin/python3
"""The dashboard's page in headless Chromium (Selenium 4.8, the Debian chromedriver),
measured for tests/bench/dashboard.sh:

  dashboard_browser.py URL NAME PASSWORD SECONDS OUT.json

Logs NAME in on URL's origin (a same-origin fetch to /api/login, as the page's form does),
then loads URL/ui twice, cold (a fresh profile) and warm (its cache and the server's
ETags): first-contentful-paint (the Paint Timing entry) and "tiles-painted", a mark this
program adds from outside the page (a MutationObserver installed before the page's
scripts run, through CDP Page.addScriptToEvaluateOnNewDocument) at the animation frame
after the first page of tiles (200 li.tile elements: the lab must have 200) is in the
document.  Then, for SECONDS with the page open on a lab whose reports keep arriving:
the event stream's events handed to the page's listeners (every type: tiles, summary,
machine...) and the time the listeners spent on them (EventSource wrapped by the same
script), and the renderer's main-thread busy time (CDP Performance.getMetrics
TaskDuration, its difference over the window) as a share of one core.  Writes OUT.json
and prints it.
"""
import json
import shutil
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

OBSERVE = """
(() => {
  const t = { frames: 0, applyMs: 0, bytes: 0, painted: null };
  window.__bench = t;
  const seen = () => {
    if (t.painted === null && document.querySelectorAll('li.tile').length >= 200) {
      t.painted = -1;
      requestAnimationFrame(() => { performance.mark('tiles-painted');
        t.painted = performance.now(); });
    }
  };
  new MutationObserver(seen).observe(document, { childList: true, subtree: true });
  const Orig = window.EventSource;
  window.EventSource = function (url, opts) {
    const es = new Orig(url, opts);
    const add = es.addEventListener.bind(es);
    es.addEventListener = (type, fn, o) => add(type, (ev) => {
      const s = performance.now();
      t.frames++; t.bytes += (ev.data || '').length;
      try { return fn(ev); } finally { t.applyMs += performance.now() - s; }
    }, o);
    return es;
  };
  window.EventSource.prototype = Orig.prototype;
  Object.assign(window.EventSource, { CONNECTING: 0, OPEN: 1, CLOSED: 2 });
})();
"""

LOGIN_JS = """
const done = arguments[arguments.length - 1];
fetch('/api/login', {method: 'POST', credentials: 'same-origin',
    headers: {'Content-Type': 'application/x-www-form-urlencoded'},
    body: 'name=' + encodeURIComponent(arguments[0]) + '&password=' + encodeURIComponent(arguments[1])})
  .then(r => done(r.status)).catch(e => done('error ' + e));
"""


def browser(tmp):
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
              "--window-size=1366,768", "--user-data-dir=" + tmp):
        opts.add_argument(a)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def load(d, url):
    """One load of url: (first-contentful-paint ms, tiles-painted ms), None when absent."""
    d.get(url)
    for _ in range(600):
        if d.execute_script("return window.__bench && window.__bench.painted > 0"):
            break
        time.sleep(0.05)
    fcp = d.execute_script("const e = performance.getEntriesByName('first-contentful-paint');"
                           " return e.length ? e[0].startTime : null;")
    tiles = d.execute_script("return window.__bench.painted > 0 ? window.__bench.painted : null")
    n = d.execute_script("return document.querySelectorAll('li.tile').length")
    return fcp, tiles, n


METRICS = ("TaskDuration", "ScriptDuration", "RecalcStyleDuration", "LayoutDuration")


def metrics(d):
    """The renderer's busy seconds so far: all its main thread's tasks, and of them script,
    style and layout (what is left is mostly paint and the rest of the frame)."""
    m = d.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]
    got = {x["name"]: x["value"] for x in m}
    return {k: got.get(k, 0.0) for k in METRICS}


def main():
    url, name, password, secs, out = sys.argv[1], sys.argv[2], sys.argv[3], \
        float(sys.argv[4]), sys.argv[5]
    tmp = tempfile.mkdtemp(prefix="strata-dash-bench-")
    d = browser(tmp)
    res = {}
    try:
        d.set_script_timeout(30)
        d.get(url + "/api/session")
        res["login"] = d.execute_async_script(LOGIN_JS, name, password)
        d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": OBSERVE})
        for kind in ("cold", "warm"):
            fcp, tiles, n = load(d, url + "/ui")
            res[kind] = {"fcp_ms": fcp and round(fcp, 1), "tiles_painted_ms": tiles and round(tiles, 1),
                         "tiles": n}
        d.execute_cdp_cmd("Performance.enable", {})
        b0 = d.execute_script("return Object.assign({}, window.__bench)")
        c0, t0 = metrics(d), time.monotonic()
        time.sleep(secs)
        c1, t1 = metrics(d), time.monotonic()
        b1 = d.execute_script("return Object.assign({}, window.__bench)")
        w = t1 - t0
        res["live"] = {"seconds": round(w, 1),
                       "frames_per_s": round((b1["frames"] - b0["frames"]) / w, 2),
                       "frame_bytes_per_s": round((b1["bytes"] - b0["bytes"]) / w),
                       "apply_ms_per_s": round((b1["applyMs"] - b0["applyMs"]) / w, 2),
                       "renderer_main_thread_pct": round(100 * (c1["TaskDuration"] - c0["TaskDuration"]) / w, 1),
                       "of_which_pct": {k[:-8].lower(): round(100 * (c1[k] - c0[k]) / w, 1)
                                        for k in METRICS[1:]}}
    finally:
        d.quit()
        shutil.rmtree(tmp, ignore_errors=True)
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
