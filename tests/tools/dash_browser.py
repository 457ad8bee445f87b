#!/usr/bin/python3
"""The dashboard in a real browser (headless Chromium through Selenium 4.8) for
tests/e2e/dashboard.sh.  Each step is one run with a fresh browser that logs in first:

  dash_browser.py STEP --url URL --user NAME --password-file F --machine NAME --out DIR
                  [--room ROOM]

  login   1: the lab shows NAME's tile (01-lab.png; 01-lab-phone.png at 375x667)
  deploy  2+3: select NAME, order a deploy through the preview dialog (02-preview.png)
          when POST /api/orders/preview answers, else through the dialog's fallback to
          POST /api/deploy/NAME (printed: "ordered by ..."); touch DIR/ordered; then
          sample the tile every 500 ms until it is idle again: aria-valuenow must rise at
          least 3 times and the state pass through deploying (03a/03b/03c-*.png), the
          layout-shift sum stays under 0.01
  fail    4: order a deploy as above (04a-order.png, touch DIR/ordered), wait for the tile to fail, open
          the machine page: its <pre> names the chunk ("layer root: chunk N: ...")
          (04-failure.png, 04-failure-phone.png)
  logout  5: log out (05-logout.png); the old session cookie then gets 401 from
          /api/session
  tour    the other screens, for docs/dashboard.md (06-library.png, 07-audit.png,
          08-newpcs.png, 09-machine.png, 10-order-form.png, 11-preview.png: the
          preview or its refusal, 12-lab-dark.png: prefers-color-scheme dark), no checks
          beyond loading
  room    ROOM's tiles (default B.204) ticked one by one: the bar says "Order room ROOM
          (N machines)" (N as /api/machines counts the room); Clear; then "Select room"
          on ROOM's heading: every tile of it checked, the bar says the same;
          Deploy, Preview: the dialog says "room ROOM (N machines)" and room:ROOM, the
          button names N (13-room-preview.png); confirm: GET /api/audit then has exactly
          one more row with target room:ROOM, action deploy, N machines (14-room-lab.png;
          14-room-phone.png at 375x667, no horizontal scroll); the layout-shift sum under
          0.01.  No VM: ui/dev/fake_lab.sh's lab will do
  live    the page of NAME, a machine deploying (fake_lab.sh's b205-03), follows its
          progress without a reload: aria-valuenow changes at least twice in 15 s
          (15-machine-live.png)

Prints "ok: ..." / "FAIL: ..." lines and exits non-zero on a failure.  The browser's
console goes to DIR/console-STEP.log.  Needs /usr/bin/chromedriver (Debian's
chromium-driver: no selenium-manager), run as root with --no-sandbox.
"""
import argparse
import json
import os
import re
import shutil
import ssl
import sys
import tempfile
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

WIDE = (1366, 768)
PHONE = (375, 667)
FAILS = []


def ok(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        FAILS.append(what)
    return cond


PROFILE = tempfile.mkdtemp(prefix="dash-chrome.")   # the browser's profile, removed at the end


def browser(out):
    opt = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
              "--window-size=%d,%d" % WIDE, "--user-data-dir=" + PROFILE):
        opt.add_argument(a)
    opt.accept_insecure_certs = True
    opt.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opt)


def size(d, wh):
    """Make the page's viewport exactly wh (the window's frame differs in headless)."""
    d.set_window_size(*wh)
    iw, ih = d.execute_script("return [window.innerWidth, window.innerHeight]")
    d.set_window_size(2 * wh[0] - iw, 2 * wh[1] - ih)
    time.sleep(0.4)


def shot(d, a, name):
    d.save_screenshot(os.path.join(a.out, name))
    print("screenshot: " + name, flush=True)


def login(d, a):
    d.get(a.url + "/")
    wait = WebDriverWait(d, 20)
    wait.until(lambda d: d.find_elements(By.ID, "login-name"))
    d.find_element(By.ID, "login-name").send_keys(a.user)
    d.find_element(By.ID, "login-password").send_keys(open(a.password_file).read().strip())
    d.find_element(By.CSS_SELECTOR, "form.login button[type=submit]").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "li.tile"))


def fresh(d, fn, timeout=20):
    """fn(d) until it returns a true value, found afresh each time: the live pages rebuild
    their sections (a stream's first frame reloads the machine's record), so an element
    found once can be replaced before it is read or clicked."""
    def attempt(d):
        try:
            return fn(d)
        except StaleElementReferenceException:
            return None
    return WebDriverWait(d, timeout).until(attempt)


def tile(d, a):
    t = d.find_elements(By.CSS_SELECTOR, 'li.tile[data-name="%s"]' % a.machine)
    return t[0] if t else None


def tile_state(d, a):
    """(state, aria-valuenow, aria-label) of the machine's tile, or None."""
    return d.execute_script("""
        const t = document.querySelector('li.tile[data-name="' + arguments[0] + '"]');
        if (!t) return null;
        return [t.className.replace(/.*s-(\\w+).*/, '$1'),
                Number(t.querySelector('[role=progressbar]').getAttribute('aria-valuenow')),
                t.getAttribute('aria-label')];""", a.machine)


def watch_shifts(d):
    d.execute_script("""
        window.__cls = 0;
        new PerformanceObserver((l) => { for (const e of l.getEntries())
            if (!e.hadRecentInput) window.__cls += e.value; }).observe({type: 'layout-shift', buffered: true});""")


def order_deploy(d, a, png):
    """Select the machine, open Deploy, preview, confirm.  Returns how it was ordered."""
    box = tile(d, a).find_element(By.CSS_SELECTOR, "input[type=checkbox]")
    if not box.is_selected():
        box.click()
    d.find_element(By.CSS_SELECTOR, '#actionbar button[data-action="deploy"]').click()
    d.find_element(By.CSS_SELECTOR, "#order-dialog form button[type=submit]").click()
    WebDriverWait(d, 20).until(lambda d: d.find_elements(By.ID, "order-confirm"))
    time.sleep(0.3)
    err = d.find_elements(By.CSS_SELECTOR, "#order-dialog .error")
    how = ("POST /api/deploy/%s (the dialog's fallback: /api/orders/preview said: %s)" % (a.machine, err[0].text)
           if err else "POST /api/orders/preview + POST /api/orders preview=ID")
    btn = d.find_element(By.ID, "order-confirm")
    ok(re.search(r"\b1 machine\b", btn.text) is not None, "the confirm button names the count: " + btn.text)
    shot(d, a, png)
    btn.click()
    WebDriverWait(d, 20).until(lambda d: re.match(r"Ordered|Scheduled|Refused", d.find_element(
        By.CSS_SELECTOR, "#order-dialog [role=status]").text))
    said = d.find_element(By.CSS_SELECTOR, "#order-dialog [role=status]").text
    if not ok(not said.startswith("Refused"), "ordered by %s: %s" % (how, said)):
        raise RuntimeError("the order was refused")
    open(os.path.join(a.out, "ordered"), "w").close()
    WebDriverWait(d, 10).until(lambda d: not d.find_element(By.ID, "order-dialog").get_attribute("open"))
    return how


def api(d, path):
    """GET path with the page's own session cookie; the parsed answer, or None."""
    return d.execute_async_script("""const cb = arguments[arguments.length - 1];
        fetch(arguments[0], {credentials: 'same-origin'}).then((r) => r.ok ? r.json() : null).then(cb, () => cb(null));""", path)


def step_room(d, a):
    size(d, WIDE)
    login(d, a)
    watch_shifts(d)
    target = "room:" + a.room
    n = next(r["counts"]["total"] for r in api(d, "/api/machines")["rooms"] if r["name"] == a.room)
    before = [r["id"] for r in api(d, "/api/audit?limit=500") if r["target"] == target]
    words = "room %s (%d machines)" % (a.room, n)
    # Every tile of the room ticked one by one is the room too (all on this page).
    for box in d.find_elements(By.CSS_SELECTOR, 'section[aria-label="Room %s"] li.tile input' % a.room):
        box.click()
    bar = d.find_element(By.CSS_SELECTOR, "#actionbar .count").text
    ok(bar == "Order " + words, "room: its %d tiles ticked one by one, the bar says %s" % (n, bar))
    d.find_element(By.CSS_SELECTOR, "#actionbar button.clear").click()
    d.find_element(By.CSS_SELECTOR, '.room-pick input[aria-label^="select room %s,"]' % a.room).click()
    time.sleep(0.3)
    checked = d.execute_script("""return [...document.querySelectorAll('li.tile')].map((t) =>
        [t.closest('section').getAttribute('aria-label'), t.querySelector('input').checked]);""")
    ok(checked and all(c == (s == "Room " + a.room) for s, c in checked),
       "room: the tiles of %s checked, no other (%d tiles)" % (a.room, len(checked)))
    bar = d.find_element(By.CSS_SELECTOR, "#actionbar .count").text
    ok(bar == "Order " + words, "room: the bar says " + bar)
    d.find_element(By.CSS_SELECTOR, '#actionbar button[data-action="deploy"]').click()
    d.find_element(By.CSS_SELECTOR, "#order-dialog form button[type=submit]").click()
    WebDriverWait(d, 20).until(lambda d: d.find_elements(By.ID, "order-confirm"))
    time.sleep(0.3)
    said = d.find_element(By.CSS_SELECTOR, "#order-dialog .target").text
    ok(words in said and target in said, "room: the preview says: " + said)
    btn = d.find_element(By.ID, "order-confirm")
    ok(re.search(r"\b%d machines\b" % n, btn.text) is not None, "room: the confirm button names the count: " + btn.text)
    shot(d, a, "13-room-preview.png")
    btn.click()
    WebDriverWait(d, 20).until(lambda d: re.match(r"Ordered|Scheduled|Refused", d.find_element(
        By.CSS_SELECTOR, "#order-dialog [role=status]").text))
    said = d.find_element(By.CSS_SELECTOR, "#order-dialog [role=status]").text
    ok(said.startswith("Ordered"), "room: confirmed: " + said)
    WebDriverWait(d, 10).until(lambda d: not d.find_element(By.ID, "order-dialog").get_attribute("open"))
    rows = [r for r in api(d, "/api/audit?limit=500") if r["target"] == target and r["id"] not in before]
    ok(len(rows) == 1 and rows[0]["action"] == "deploy" and rows[0]["machines"] == n,
       "room: one new audit row with target %s: %s" % (target, rows))
    time.sleep(1)
    shot(d, a, "14-room-lab.png")
    cls = d.execute_script("return window.__cls")
    ok(cls < 0.01, "room: layout shift sum %.4f under 0.01" % cls)
    size(d, PHONE)
    d.refresh()
    WebDriverWait(d, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "li.tile"))
    box = d.find_element(By.CSS_SELECTOR, '.room-pick input[aria-label^="select room %s,"]' % a.room)
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)   # not under the bar
    box.click()
    time.sleep(0.5)
    ok(d.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"),
       "room: no horizontal scroll at 375 px")
    shot(d, a, "14-room-phone.png")


def step_live(d, a):
    size(d, WIDE)
    login(d, a)
    d.get(a.url + "/ui#/m/" + a.machine)
    sel = ".facts [role=progressbar]"
    WebDriverWait(d, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, sel))
    d.execute_script("window.__same = 1")   # gone if the page loaded again
    seen, t0 = [], time.time()
    while time.time() - t0 < 15 and len(seen) < 3:
        v = d.execute_script("const b = document.querySelector(arguments[0]); return b && b.getAttribute('aria-valuenow');", sel)
        if v is not None and (not seen or seen[-1] != v):
            seen.append(v)
        time.sleep(0.5)
    ok(len(seen) >= 3, "live: %s's progress moved without a reload: %s" % (a.machine, seen))
    ok(d.execute_script("return window.__same") == 1, "live: the document was not loaded again")
    shot(d, a, "15-machine-live.png")


def step_login(d, a):
    size(d, WIDE)
    login(d, a)
    ok(tile(d, a) is not None, "1: %s's tile is on the lab" % a.machine)
    ok(d.find_element(By.ID, "actionbar").is_displayed(), "1: the action bar is shown")
    shot(d, a, "01-lab.png")
    unnamed = d.execute_script("""
        return [...document.querySelectorAll('input, select, button, a[href]')].filter((e) =>
            e.offsetParent !== null && !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
            && !e.textContent.trim()).map((e) => e.outerHTML.slice(0, 80));""")
    ok(not unnamed, "1: every visible control has a name (a label, aria-label or text): %s" % (unnamed or "all"))
    d.find_element(By.TAG_NAME, "body").click()
    walk = []
    for _ in range(16):
        ActionChains(d).send_keys(Keys.TAB).perform()
        w = d.execute_script("""const e = document.activeElement;
            if (e === document.body) return null;   // past the last control: the browser's
            return [e.id || e.getAttribute('aria-label') || e.textContent.trim().slice(0, 20),
                    getComputedStyle(e).outlineStyle];""")
        if not w:
            break
        walk.append(w)
    names = [w[0] for w in walk]
    ok("search" in names and all(w[1] != "none" for w in walk[1:]),
       "1: Tab from the page walks the counts, search, room, filters, then each tile's checkbox and link, each with a visible focus ring: %s" % names)
    size(d, PHONE)
    d.refresh()
    WebDriverWait(d, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "li.tile"))
    time.sleep(0.5)
    ok(d.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"),
       "1: no horizontal scroll at 375 px")
    shot(d, a, "01-lab-phone.png")


def step_deploy(d, a):
    size(d, WIDE)
    login(d, a)
    watch_shifts(d)
    order_deploy(d, a, "02-preview.png")
    seen, states, shots, t0 = [], [], 0, time.time()
    while time.time() - t0 < a.timeout:
        s = tile_state(d, a)
        if s:
            if not states or states[-1] != s[0]:
                states.append(s[0])
                print("state: %s (%s)" % (s[0], s[2]), flush=True)
            if s[0] == "deploying" and (not seen or s[1] != seen[-1]):
                seen.append(s[1])
                print("aria-valuenow: %d" % s[1], flush=True)
                if shots < 2 and (shots == 0 or s[1] >= 40):
                    shot(d, a, "03%s-deploying.png" % "ab"[shots])
                    shots += 1
            if s[0] in ("idle", "failed") and "deploying" in states:
                break
        time.sleep(0.5)
    rises = sum(1 for x, y in zip(seen, seen[1:]) if y > x)
    ok(rises >= 3, "3: aria-valuenow rose %d times (%s)" % (rises, seen))
    ok("deploying" in states and states[-1] == "idle", "3: the tile went %s" % " -> ".join(states))
    # The stream refreshes the database's fields (the layers deployed) every 10 s.
    t0 = time.time()
    while time.time() - t0 < 25 and "gold current" not in tile_state(d, a)[2]:
        time.sleep(0.5)
    label = tile_state(d, a)[2]
    ok("gold current" in label, "3: gold current after it (%s)" % label)
    shot(d, a, "03c-done.png")
    cls = d.execute_script("return window.__cls")
    ok(cls < 0.01, "3: layout shift sum %.4f under 0.01" % cls)


def step_fail(d, a):
    size(d, WIDE)
    login(d, a)
    order_deploy(d, a, "04a-order.png")
    t0, last = time.time(), None
    while time.time() - t0 < a.timeout:
        s = tile_state(d, a)
        if s and s[0] != last:
            last = s[0]
            print("state: %s (%s)" % (s[0], s[2]), flush=True)
        if s and s[0] == "failed":
            break
        time.sleep(0.5)
    ok(last == "failed", "4: the tile shows failed")
    fresh(d, lambda d: tile(d, a).find_element(By.CSS_SELECTOR, "a.t-name").click() or True)
    said = fresh(d, lambda d: [(e.tag_name, e.text) for e in d.find_elements(By.ID, "failure-text")
                               if re.search(r"layer root: chunk \d+", e.text)])
    ok(said[0][0] == "pre", "4: the machine page's <pre> names the chunk: " + said[0][1])
    shot(d, a, "04-failure.png")
    size(d, PHONE)
    ok(d.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"),
       "4: no horizontal scroll at 375 px")
    shot(d, a, "04-failure-phone.png")


def step_logout(d, a):
    size(d, WIDE)
    login(d, a)
    cookies = [c for c in d.get_cookies() if "strata" in c["name"]]
    ok(len(cookies) == 1 and cookies[0].get("httpOnly"), "5: one HttpOnly session cookie")
    d.find_element(By.ID, "logout").click()
    WebDriverWait(d, 20).until(lambda d: d.find_elements(By.ID, "login-name"))
    shot(d, a, "05-logout.png")
    req = urllib.request.Request(a.url + "/api/session",
                                 headers={"Cookie": "%s=%s" % (cookies[0]["name"], cookies[0]["value"])})
    try:
        code = urllib.request.urlopen(req, context=ssl._create_unverified_context(), timeout=10).status
    except urllib.error.HTTPError as e:
        code = e.code
    ok(code == 401, "5: the old cookie gets %d from /api/session" % code)


def step_tour(d, a):
    size(d, WIDE)
    login(d, a)
    for hash_, name, sel in (("#/library", "06-library.png", "dl.facts, .error"), ("#/audit", "07-audit.png", "tbody tr"),
                             ("#/new", "08-newpcs.png", "h1"), ("#/m/" + a.machine, "09-machine.png", ".facts")):
        d.get(a.url + "/ui" + hash_)
        WebDriverWait(d, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, sel))
        time.sleep(1)
        shot(d, a, name)
    d.get(a.url + "/ui#/lab")
    WebDriverWait(d, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "li.tile"))
    d.find_element(By.CSS_SELECTOR, "li.tile input[type=checkbox]").click()
    d.find_element(By.CSS_SELECTOR, '#actionbar button[data-action="deploy"]').click()
    time.sleep(0.5)
    shot(d, a, "10-order-form.png")
    d.find_element(By.CSS_SELECTOR, "#order-dialog form button[type=submit]").click()
    WebDriverWait(d, 20).until(lambda d: d.find_elements(By.ID, "order-confirm"))
    time.sleep(0.5)
    shot(d, a, "11-preview.png")
    d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    d.refresh()
    WebDriverWait(d, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "li.tile"))
    time.sleep(1)
    shot(d, a, "12-lab-dark.png")
    ok(True, "tour: 7 screens shown (06-12)")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("step", choices=["login", "deploy", "fail", "logout", "tour", "room", "live"])
    p.add_argument("--url", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password-file", required=True)
    p.add_argument("--machine", required=True)
    p.add_argument("--room", default="B.204")
    p.add_argument("--out", required=True)
    p.add_argument("--timeout", type=int, default=300)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    d = browser(a.out)
    try:
        {"login": step_login, "deploy": step_deploy, "fail": step_fail, "logout": step_logout,
         "tour": step_tour, "room": step_room, "live": step_live}[a.step](d, a)
    except Exception as e:  # a timeout or a missing element: say where, keep the evidence
        ok(False, "%s: %s: %s" % (a.step, type(e).__name__, str(e).splitlines()[0] if str(e) else ""))
        shot(d, a, "error-%s.png" % a.step)
    finally:
        with open(os.path.join(a.out, "console-%s.log" % a.step), "w") as f:
            for e in d.get_log("browser"):
                f.write(json.dumps(e) + "\n")
        d.quit()
        shutil.rmtree(PROFILE, ignore_errors=True)
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
