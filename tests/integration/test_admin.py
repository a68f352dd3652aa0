"""The admin page (issue 7, "Admin page"; docs/admin.md) and the promtool
check of /metrics (issue 7, "Conformance and observability").

The page is driven end to end in headless Chromium (Debian's chromium and
chromium-driver, through python3-selenium) against a real zesd and
PostgreSQL: sign-in refused for a desk token (403), sign-in with an admin
token, an agreement created, seen in the matrix, edited (and a 412 when it
changed meanwhile), ended, and a rule comparison read.  A screenshot is kept
as a test artefact in the build folder (test-artifacts/, beside zesd).

`promtool check metrics` (Debian's prometheus package) reads a real scrape
of /metrics taken after traffic of every kind the metrics count.

These tools are installed by scripts/test.sh; a missing one fails the test.
"""

import json
import os
import shutil
import subprocess
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conftest import JSON_CT, auth

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ROTTERDAM, DELFT = "GM0599", "GM0503"
AMS = ZoneInfo("Europe/Amsterdam")
WAIT = 15


def today():
    return datetime.now(AMS).date()


def utc_text(t):
    return t.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")


def artefact_dir(env):
    """test-artifacts/ in the build folder (the folder zesd was built in)."""
    d = os.path.join(os.path.dirname(os.path.abspath(env.zesd)), "test-artifacts")
    os.makedirs(d, exist_ok=True)
    return d


@pytest.fixture(scope="module")
def world(db, module_zesd_factory):
    toks = {r: db.token(r)[1] for r in ("admin", "desk", "enforcement", "auditor")}
    z = module_zesd_factory(db.url)
    return {"z": z, "db": db, "tok": toks}


def api(world, method, path, body=None, role="admin", headers=None):
    h = dict(auth(world["tok"][role]))
    if body is not None:
        h.update(JSON_CT)
        body = json.dumps(body)
    h.update(headers or {})
    return world["z"].request(method, path, headers=h, body=body)


# --------------------------------------------------------------------------
# Serving


@pytest.mark.parametrize("path,ctype,name", [
    ("/admin", "text/html", "index.html"),
    ("/admin/admin.css", "text/css", "admin.css"),
    ("/admin/admin.js", "text/javascript", "admin.js"),
])
def test_page_files_are_served_as_built_without_a_token(env, world, path, ctype, name):
    r = world["z"].get(path)
    assert r.status == 200, r
    assert r.content_type == ctype
    with open(os.path.join(env.source_dir, "admin", name), "rb") as f:
        assert r.body == f.read(), f"{path} differs from admin/{name}"
    csp = r.header_all("Content-Security-Policy")
    # The common frame-ancestors policy and the page's own strict one.
    assert "frame-ancestors 'none'" in csp, csp
    strict = [p for p in csp if "default-src 'none'" in p]
    assert strict and "script-src 'self'" in strict[0] and "style-src 'self'" in strict[0], csp
    assert "unsafe-inline" not in " ".join(csp)
    assert r.header("X-Frame-Options") == "DENY"
    assert r.header("Referrer-Policy") == "no-referrer"


def test_page_loads_nothing_from_outside_and_has_no_inline_code(env):
    with open(os.path.join(env.source_dir, "admin", "index.html"), encoding="utf-8") as f:
        html = f.read()
    assert "http://" not in html and "https://" not in html and "//" not in html.replace("<!--", "")
    assert "<style" not in html and " style=" not in html
    assert "<script>" not in html and " on" + "click=" not in html
    with open(os.path.join(env.source_dir, "admin", "admin.js"), encoding="utf-8") as f:
        js = f.read()
    assert "http://" not in js and "https://" not in js
    assert "innerHTML" not in js, "server text must be set with textContent"
    assert "document.cookie" not in js and "localStorage" not in js


def test_unknown_admin_file_is_404(world):
    world["z"].get("/admin/other.js").problem(404)
    world["z"].get("/admin/").problem(404)


# --------------------------------------------------------------------------
# The browser


@pytest.fixture(scope="module")
def browser(env):
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            pytest.fail(f"{path} is missing: apt-get install chromium chromium-driver "
                        "(scripts/test.sh installs them)", pytrace=False)
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("python3-selenium is missing (scripts/test.sh installs it)", pytrace=False)
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
              "--disable-gpu", "--window-size=1400,2400", "--lang=en-GB"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    log = os.path.join(artefact_dir(env), "chromedriver.log")
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER, log_path=log), options=opts)
    drv.set_page_load_timeout(30)
    yield drv
    drv.quit()


class Page:
    """The admin page in the browser, by the ids of admin/index.html."""

    def __init__(self, drv, base, artefacts):
        from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as EC
        from selenium.webdriver.support.ui import Select, WebDriverWait
        self.drv, self.base, self.artefacts = drv, base, artefacts
        self.Stale, self.NoSuch = StaleElementReferenceException, NoSuchElementException
        self.By, self.EC, self.Select, self.Wait = By, EC, Select, WebDriverWait

    def open(self):
        self.drv.get(self.base + "/admin")
        self.drv.execute_script("sessionStorage.clear()")
        self.drv.get(self.base + "/admin")
        self.until(lambda d: d.execute_script("return document.body.dataset.ready") == "yes",
                   "the page's script to start")

    def until(self, cond, what, timeout=WAIT):
        try:
            return self.Wait(self.drv, timeout, ignored_exceptions=[
                self.Stale, self.NoSuch]).until(cond)
        except Exception as e:
            self.drv.save_screenshot(os.path.join(self.artefacts, "admin-failure.png"))
            raise AssertionError(f"timed out waiting for {what}; page text:\n"
                                 f"{self.drv.find_element(self.By.TAG_NAME, 'body').text[:3000]}") from e

    def by_id(self, i):
        return self.drv.find_element(self.By.ID, i)

    def css(self, sel):
        return self.drv.find_elements(self.By.CSS_SELECTOR, sel)

    def text_of(self, i):
        return self.by_id(i).text

    def wait_text(self, i, *parts):
        self.until(lambda d: all(p in self.text_of(i) for p in parts),
                   f"#{i} to show {parts!r} (shows {self.text_of(i)!r})")
        return self.text_of(i)

    def set_value(self, i, value):
        self.drv.execute_script(
            "arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
            self.by_id(i), value)

    def type_into(self, i, text):
        e = self.by_id(i)
        e.clear()
        e.send_keys(text)

    def sign_in(self, token):
        self.type_into("token", token)
        self.by_id("signin-button").click()

    def row(self, table, **data):
        sel = f"#{table} tbody tr" + "".join(f'[data-{k}="{v}"]' for k, v in data.items())
        rows = self.css(sel)
        return rows[0] if rows else None

    def browser_errors(self):
        out = []
        for e in self.drv.get_log("browser"):
            m = e["message"]
            if e["level"] != "SEVERE" or "favicon.ico" in m:
                continue
            # The refusals the test provokes on purpose, logged by Chromium.
            if "Failed to load resource" in m and any(
                    f"status of {s} " in m for s in (400, 401, 403, 412)):
                continue
            out.append(e["message"])
        return out


def test_admin_page_end_to_end(env, world, browser):
    z, tok = world["z"], world["tok"]
    page = Page(browser, f"http://127.0.0.1:{z.port}", artefact_dir(env))
    stale = os.path.join(artefact_dir(env), "admin-failure.png")
    if os.path.exists(stale):
        os.unlink(stale)
    page.open()

    # A desk token is refused with the 403 message, and nothing is shown.
    page.sign_in(tok["desk"])
    msg = page.wait_text("signin-msg", "Forbidden (403)")
    assert "admin token" in msg and "the role desk may not call this route" in msg, msg
    assert not page.by_id("app").is_displayed()
    # An unknown token: 401.
    page.sign_in("not-a-token")
    page.wait_text("signin-msg", "Unauthorized (401)", "unknown or revoked")
    assert not page.by_id("app").is_displayed()
    assert page.browser_errors() == []

    # Sign in as admin: the matrix is shown (statute pairs, from 2026-01-01).
    page.sign_in(tok["admin"])
    page.until(lambda d: page.by_id("app").is_displayed(), "the signed-in view")
    matrix = api(world, "GET", "/v1/recognition-matrix").json()
    page.until(lambda d: len(page.css("#matrix tbody tr[data-issuer]")) == len(matrix["items"]),
               f"the matrix to list {len(matrix['items'])} pairs")
    assert page.by_id("signin").is_displayed() is False
    token_in_storage = browser.execute_script("return sessionStorage.getItem('zesd.adminToken')")
    assert token_in_storage == tok["admin"]
    assert tok["admin"] not in browser.current_url
    assert browser.get_cookies() == []

    # Create without a type: the 400 lists the field.
    page.Select(page.by_id("create-issuer")).select_by_value(ROTTERDAM)
    page.until(lambda d: page.css("#create-types input[value=long_delivery]"),
               "Rotterdam's types")
    page.Select(page.by_id("create-recognizer")).select_by_value(DELFT)
    page.by_id("create-submit").click()
    msg = page.wait_text("create-msg", "(400)", "types")
    assert "not created" in msg, msg

    # Create: Rotterdam's long_delivery exemptions valid in Delft from today.
    page.css("#create-types input[value=long_delivery]")[0].click()
    page.type_into("create-note", "made in the browser")
    page.by_id("create-submit").click()
    msg = page.wait_text("create-msg", "created")
    items = api(world, "GET", f"/v1/recognition-agreements?issuer={ROTTERDAM}&recognizer={DELFT}").json()["items"]
    assert len(items) == 1, items
    agr = items[0]
    assert agr["id"] in msg and agr["types"] == ["long_delivery"] and agr["note"] == "made in the browser"
    t0 = today()
    assert agr["validFrom"] == utc_text(datetime(t0.year, t0.month, t0.day, tzinfo=AMS)), agr

    # It shows in the matrix and in the list.
    def matrix_cell():
        r = page.row("matrix", issuer=ROTTERDAM, recognizer=DELFT)
        return r.text if r is not None else ""
    page.until(lambda d: f"long_delivery: agreement {agr['id']}" in matrix_cell(),
               "the agreement in the matrix")
    page.until(lambda d: page.row("agreements", id=agr["id"]) is not None, "the agreement in the list")

    # Edit: a last day in 30 days and another note; PATCH with If-Match.
    last = today() + timedelta(days=30)
    page.row("agreements", id=agr["id"]).find_element(page.By.CSS_SELECTOR, "button.edit").click()
    page.until(lambda d: page.by_id("edit-section").is_displayed()
               and page.text_of("edit-id") == agr["id"], "the edit form")
    page.set_value("edit-until", last.isoformat())
    page.type_into("edit-note", "edited in the browser")
    page.by_id("edit-save").click()
    page.wait_text("edit-msg", "Saved: version 2")
    got = api(world, "GET", f"/v1/recognition-agreements/{agr['id']}")
    assert got.header("ETag") == '"2"', got.header("ETag")
    a2 = got.json()
    assert a2["note"] == "edited in the browser"
    end_instant = datetime(last.year, last.month, last.day, tzinfo=AMS) + timedelta(days=1)
    assert a2["validUntil"] == utc_text(end_instant), a2
    page.until(lambda d: page.row("agreements", id=agr["id"]).find_element(
        page.By.CSS_SELECTOR, "td.until").text == last.isoformat(), "the new last day in the list")

    # Someone else changes it meanwhile: the page's save is a 412, shown so.
    other = api(world, "PATCH", f"/v1/recognition-agreements/{agr['id']}", {"note": "changed elsewhere"},
                headers={"If-Match": '"2"'})
    assert other.status == 200, other
    page.type_into("edit-note", "second edit in the browser")
    page.by_id("edit-save").click()
    msg = page.wait_text("edit-msg", "changed meanwhile", "(412)")
    assert api(world, "GET", f"/v1/recognition-agreements/{agr['id']}").json()["note"] == "changed elsewhere"
    # Reload, and the same change goes through.
    page.by_id("edit-reload").click()
    page.until(lambda d: page.by_id("edit-note").get_attribute("value") == "changed elsewhere",
               "the reloaded agreement")
    page.type_into("edit-note", "second edit in the browser")
    page.by_id("edit-save").click()
    page.wait_text("edit-msg", "Saved: version 4")
    assert api(world, "GET", f"/v1/recognition-agreements/{agr['id']}").json()["note"] == \
        "second edit in the browser"

    # The rule comparison for long_delivery, as tables matching the API.
    cmp_ = api(world, "GET", "/v1/rule-comparisons?type=long_delivery").json()
    page.Select(page.by_id("compare-type")).select_by_value("long_delivery")
    page.by_id("compare-show").click()
    page.until(lambda d: page.by_id("compare-result").is_displayed(), "the comparison")
    mrows = page.css("#compare-municipalities tbody tr")
    prows = page.css("#compare-pairs tbody tr")
    assert len(mrows) == len(cmp_["municipalities"]) and len(prows) == len(cmp_["pairs"])
    for p in cmp_["pairs"]:
        r = page.row("compare-pairs", a=p["a"], b=p["b"])
        assert r is not None and r.find_element(page.By.CSS_SELECTOR, "td.verdict").text == p["verdict"]
    first = cmp_["municipalities"][0]
    r = page.row("compare-municipalities", municipality=first["municipality"])
    for c in first["conditions"]:
        assert c["reason"] in r.text

    # Screenshot of the page with the agreement and the comparison.
    shot = os.path.join(artefact_dir(env), "admin-e2e.png")
    if os.path.exists(shot):
        os.unlink(shot)
    assert browser.save_screenshot(shot)
    with open(shot, "rb") as f:
        head = f.read(8)
    assert head == b"\x89PNG\r\n\x1a\n" and os.path.getsize(shot) > 10000

    # End it: DELETE after the confirmation; gone from the matrix at now.
    page.row("agreements", id=agr["id"]).find_element(page.By.CSS_SELECTOR, "button.end").click()
    page.until(page.EC.alert_is_present(), "the confirmation")
    browser.switch_to.alert.accept()
    page.wait_text("agreements-msg", f"Agreement {agr['id']} ended at")
    ended = api(world, "GET", f"/v1/recognition-agreements/{agr['id']}").json()
    assert ended["endedAt"] is not None and ended["status"] == "ended", ended
    page.until(lambda d: "agreement " + agr["id"] not in matrix_cell(), "the matrix without it")
    row = page.row("agreements", id=agr["id"])
    assert row.get_attribute("data-status") == "ended"
    assert row.find_elements(page.By.CSS_SELECTOR, "button") == []
    assert page.browser_errors() == []

    # Signing out forgets the token.
    page.by_id("signout-button").click()
    assert browser.execute_script("return sessionStorage.getItem('zesd.adminToken')") is None
    assert page.by_id("signin").is_displayed()


def test_csp_violations_are_none(env, world, browser):
    """The strict policy holds for the whole page: nothing it needs is refused."""
    page = Page(browser, f"http://127.0.0.1:{world['z'].port}", artefact_dir(env))
    page.open()
    page.sign_in(world["tok"]["admin"])
    page.until(lambda d: page.by_id("app").is_displayed(), "the signed-in view")
    page.until(lambda d: page.css("#compare-type option"), "the type choices")
    bad = [m for m in page.browser_errors() if "Content Security Policy" in m or "Refused" in m]
    assert bad == []
    # The style sheet applied (so it was not blocked): the header's accent border.
    border = browser.execute_script(
        "return getComputedStyle(document.querySelector('header')).borderBottomWidth")
    assert border == "3px", border


# --------------------------------------------------------------------------
# promtool


def test_metrics_pass_promtool(env, world):
    promtool = shutil.which("promtool") or "/usr/bin/promtool"
    if not os.access(promtool, os.X_OK):
        pytest.fail("promtool is missing: apt-get install prometheus (scripts/test.sh installs it)",
                    pytrace=False)
    z = world["z"]
    # Traffic of every kind the metrics count: routes and statuses, access
    # decisions, a 404 without a route, a 401, a 400.
    z.get("/healthz")
    z.get("/nowhere").problem(404)
    z.get("/v1/municipalities").problem(401)
    api(world, "GET", "/v1/recognition-matrix?at=yesterday").problem(400)
    r = z.post_json("/v1/access-checks", {"checks": [{"plate": "AB123C", "municipality": ROTTERDAM}]},
                    token=world["tok"]["enforcement"])
    assert r.status == 200, r
    text = z.get("/metrics").body
    assert b"zes_http_requests_total" in text and b"zes_access_decisions_total" in text
    p = subprocess.run([os.path.join(env.source_dir, "scripts", "check-metrics.sh"),
                        f"http://127.0.0.1:{z.port}/metrics"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, f"promtool check metrics failed:\n{p.stdout}{p.stderr}"
    # promtool reads the same text we gave it: a broken exposition fails it.
    bad = subprocess.run([os.path.join(env.source_dir, "scripts", "check-metrics.sh"), "-"],
                         input="# TYPE x counter\nx{a=\"1\" 1\n",
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1, bad
