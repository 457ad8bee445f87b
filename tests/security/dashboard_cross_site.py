#!/usr/bin/python3
"""A real cross-site attack on the dashboard, for tests/security/dashboard.sh.

Headless Chromium (Selenium 4.8, the Debian chromedriver) first logs an admin in on the
server's own origin, as the dashboard's page would (a same-origin fetch to /api/login), so
the browser holds the session cookie.  It then opens the attacker's page, served by
`python3 -m http.server` from another origin, which posts to the server:
  - a form (application/x-www-form-urlencoded, the classic CSRF: no preflight) into an
    iframe, to /api/deploy/pc01;
  - a fetch with credentials, mode no-cors (a simple request, sent with the cookie), to
    /api/deploy/pc02;
  - a fetch with credentials and an X-Strata-CSRF header (which forces a CORS preflight
    the server never grants), to /api/deploy/pc03;
  - a form to /api/logout (ending the admin's session would be a denial of service).
Every request leaves with an Origin header naming the attacker's page; the shell suite
then checks the server's log and its audit.  This program only drives the browser and
prints what the attacker's page saw, one "name: result" line each.

usage: dashboard_cross_site.py SERVER_URL ATTACKER_URL NAME PASSWORD
"""
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def browser(tmp):
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
              "--window-size=1366,768", "--user-data-dir=" + tmp):
        opts.add_argument(a)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


LOGIN_JS = """
const done = arguments[arguments.length - 1];
fetch('/api/login', {method: 'POST', credentials: 'same-origin',
    headers: {'Content-Type': 'application/x-www-form-urlencoded'},
    body: 'name=' + encodeURIComponent(arguments[0]) + '&password=' + encodeURIComponent(arguments[1])})
  .then(r => r.text().then(t => done(r.status + ' ' + t)))
  .catch(e => done('error ' + e));
"""

SESSION_JS = """
const done = arguments[arguments.length - 1];
fetch('/api/session', {credentials: 'same-origin'}).then(r => done(String(r.status)))
  .catch(e => done('error ' + e));
"""


def main():
    server, attacker, name, password = sys.argv[1:5]
    import tempfile
    tmp = tempfile.mkdtemp(prefix="strata-xsite-")
    d = browser(tmp)
    try:
        d.set_script_timeout(20)
        d.get(server + "/api/session")      # any page of the server's origin
        print("login:", d.execute_async_script(LOGIN_JS, name, password).split(" ")[0])
        print("session before:", d.execute_async_script(SESSION_JS))
        d.get(attacker + "/attack.html")
        for _ in range(100):
            if d.execute_script("return window.attackDone === true"):
                break
            time.sleep(0.1)
        print("attack page finished:", d.execute_script("return window.attackDone === true"))
        for line in d.execute_script("return window.attackLog || []"):
            print(line)
        d.get(server + "/api/session")
        print("session after:", d.execute_async_script(SESSION_JS))
    finally:
        d.quit()
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
