"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

- the real login form, the dashboard, the htmx-filtered customer list (pinyin initials) and a
  detail page; session cookie flags as the browser stores them (RELIABILITY S5);
- a stored and reflected XSS sweep (S8): a payload corpus in every free-text field of customers,
  contacts, assignment/release reasons, key dates, a user's display name and an import file;
  every GET page of the access matrix plus the htmx fragments, once with the CSP enforced and
  once with the CSP bypassed (so escaping alone must hold); a ``dialog`` listener, a DOM check
  for injected elements, the CSP header on every HTML response and CSP errors on the console;
- salesperson scope in the browser (S1): another team's customer is the 404 page;
- screenshots of the list and a detail page (also copied to /tmp/shots-e2e/ for a human look).

Never downloads a browser: it launches /usr/bin/chromium (``NEIQIN_CHROMIUM`` overrides) and
skips when that binary or Playwright is missing. Run:
``.venv/bin/pytest neiqin/tests/test_browser.py -q -p no:xdist``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import shutil
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from neiqin.accounts.roles import Role
from neiqin.accounts.services import user_create
from neiqin.customers import importer, services
from neiqin.customers.choices import Stage

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

CHROMIUM = os.environ.get("NEIQIN_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "demo1234"
SHOTS_DIR = Path("/tmp/shots-e2e")
TIMEOUT_MS = 10_000
expect.set_options(timeout=TIMEOUT_MS)

PAYLOADS = {
    "img": '"><img src=x onerror=alert(1)>',
    "svg": "<svg onload=alert(1)>",
    "script": "<script>alert(1)</script>",
    "template": "{{7*7}}",
    "quote": "'-alert(1)-'",
}
JS_URL = "javascript:alert(1)"
SHORT_PAYLOAD = "<svg onload=alert()>"  # 20 characters: for fields too short for the corpus


def wrap(payload: str) -> str:
    """Brackets make the payload findable in page text and show whether {{7*7}} became 49."""
    return f"〔{payload}〕"


TEMPLATE_EVALUATED = wrap("49")

# Elements or attributes that only exist if a payload became markup; the app itself has no
# inline handlers, no inline scripts (except JSON data islands) and no javascript: URLs.
INJECTED_JS = r"""
() => {
  const found = [];
  const short = (el) => el.outerHTML.slice(0, 160);
  const badScheme = (url) => {
    try { return ['javascript:', 'data:', 'vbscript:'].includes(new URL(url, document.baseURI).protocol); }
    catch (e) { return false; }
  };
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith('on')) found.push('handler ' + name + ': ' + short(el));
      // The browser's own URL parsing (tabs, newlines, case): what a click would run.
      if (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(name) && badScheme(attr.value)
          && !(el.tagName === 'LINK' && attr.value.startsWith('data:,')))
        found.push('javascript:/data: URL: ' + short(el));
    }
  }
  for (const el of document.querySelectorAll('img[src="x"]')) found.push('element: ' + short(el));
  for (const s of document.querySelectorAll('script')) {
    if (!s.src && s.type !== 'application/json') found.push('inline script: ' + short(s));
  }
  return found;
}
"""


# ---- browser plumbing ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not installed (never download a browser: install Debian's chromium)")
    # Playwright's sync API keeps an asyncio event loop running on this thread (in a greenlet)
    # from start() to stop(). Django's async-safety guard sees that loop and refuses every ORM
    # call made here, including the flush transactional_db runs after each test, with
    # SynchronousOnlyOperation. Our ORM calls are plain synchronous calls from the test thread,
    # never from a coroutine, so the guard is a false positive: switch it off only while this
    # module's browser runs, and restore the previous value afterwards.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_api.sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_context(browser) -> Iterator[Callable[..., Any]]:
    """A fresh browser context (cookies, storage) per call; all are closed after the test."""
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        context = browser.new_context(
            locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1366, "height": 900}, **options
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@dataclass
class Watch:
    """What a page did besides rendering: dialogs, console errors, uncaught errors, responses."""

    dialogs: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    responses: list[Any] = field(default_factory=list)

    def html_responses(self) -> list[Any]:
        return [
            r
            for r in self.responses
            if r.request.resource_type in ("document", "xhr", "fetch")
            and "text/html" in r.headers.get("content-type", "")
        ]

    def csp_problems(self) -> list[str]:
        problems = []
        for response in self.html_responses():
            policy = response.headers.get("content-security-policy", "")
            directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
            if directives.get("object-src") != ["'none'"]:
                problems.append(f"{response.status} {response.url}: CSP {policy!r} lacks object-src 'none'")
            script = directives.get("script-src") or directives.get("default-src") or []
            if "'unsafe-inline'" in script or "'unsafe-eval'" in script or not script:
                problems.append(f"{response.status} {response.url}: script-src too loose in {policy!r}")
        return problems

    def unexpected_console_errors(self) -> list[str]:
        # A page answered with 404 (the scope and reflected-path checks) logs "Failed to load
        # resource ... 404"; that is the page under test, not an error of the page.
        return [e for e in self.console_errors if not re.search(r"Failed to load resource: .* 404", e)]


def open_page(context: Any) -> tuple[Any, Watch]:
    page = context.new_page()
    watch = Watch()

    def on_dialog(dialog: Any) -> None:
        watch.dialogs.append(f"{dialog.type} {dialog.message!r} on {page.url}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("console", lambda m: watch.console_errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: watch.page_errors.append(f"{page.url}: {e}"))
    page.on("response", lambda r: watch.responses.append(r))
    return page, watch


def login(page: Any, base: str, username: str) -> None:
    """Through the real login form, as a user would."""
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form[action$='/login/'] button[type=submit]").click()
    expect(page).to_have_url(f"{base}/")


def _engine() -> str:
    return settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]


def session_cookie(context: Any) -> dict[str, Any] | None:
    return next((c for c in context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME), None)


def assert_quiet(watch: Watch) -> None:
    assert watch.dialogs == []
    assert watch.page_errors == []
    assert watch.unexpected_console_errors() == []


def hx_response(base: str, path: str) -> Callable[[Any], bool]:
    def match(response: Any) -> bool:
        return response.url.startswith(f"{base}{path}?") and response.request.headers.get("hx-request") == "true"

    return match


# ---- static files and the happy path --------------------------------------------------------------------


def test_live_server_serves_static_files(live_server):
    for path, kind in (
        ("/static/vendor/htmx.min.js", "javascript"),
        ("/static/vendor/bootstrap.bundle.min.js", "javascript"),
        ("/static/neiqin/app.js", "javascript"),
        ("/static/vendor/bootstrap.min.css", "css"),
    ):
        with urllib.request.urlopen(live_server.url + path, timeout=10) as response:
            assert response.status == 200, path
            assert kind in response.headers["Content-Type"], path
            assert len(response.read()) > 1000, path


def test_clerk_logs_in_filters_by_pinyin_and_opens_a_customer(cast, live_server, new_context):
    """Given three customers, when the clerk logs in through the form, opens 客户 and types the
    pinyin initials "hrjz", then htmx swaps in a table with only 涵瑞建筑 and the detail opens; the
    session cookie is HttpOnly and SameSite=Lax and no longer works after logging out."""
    target = services.customer_create(
        fields={"name": "涵瑞建筑工程有限公司", "province": "湖南", "city": "长沙"}, by=cast.clerk, owner=cast.sales1
    )
    for name in ("长沙恒信贸易有限公司", "郑州远大机电设备有限公司"):
        services.customer_create(fields={"name": name}, by=cast.clerk, owner=cast.sales1)
    base = live_server.url
    context = new_context()
    page, watch = open_page(context)

    page.goto(f"{base}/")  # anonymous: redirected to the login form
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    login(page, base, "clerk")
    expect(page.locator("main h1")).to_have_text("工作台")
    assert page.evaluate("typeof window.htmx + ' ' + typeof window.bootstrap") == "object object"

    cookie = session_cookie(context)
    assert cookie is not None
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"

    # The icon font's glyph is part of the accessible name, hence "ends with 客户".
    page.locator("#main-nav").get_by_role("link", name=re.compile(r"客户$")).click()
    expect(page).to_have_url(f"{base}/customers/")
    rows = page.locator("#customer-table tbody tr")
    expect(rows).to_have_count(3)

    with page.expect_response(hx_response(base, "/customers/")) as fragment:
        page.fill("#id_q", "hrjz")
    assert fragment.value.status == 200
    assert "<nav" not in fragment.value.text()  # a fragment, not the whole page
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("涵瑞建筑工程有限公司")
    expect(page.locator("#result-count")).to_have_text("共 1 个客户")
    expect(page).to_have_url(re.compile(r"/customers/\?(.*&)?q=hrjz(&|$)"))

    rows.first.get_by_role("link", name="涵瑞建筑工程有限公司").click()
    expect(page).to_have_url(f"{base}/customers/{target.pk}/")
    expect(page.locator("main h1")).to_contain_text("涵瑞建筑工程有限公司")
    expect(page.locator("main")).to_contain_text(target.code)

    # S5: logging out through the menu ends the server-side session; the old cookie is dead.
    page.locator("#main-nav .dropdown-toggle").last.click()
    page.get_by_role("button", name=re.compile("退出")).click()
    expect(page).to_have_url(re.compile(r"/login/"))
    context.add_cookies([cookie])
    page.goto(f"{base}/customers/{target.pk}/")
    expect(page).to_have_url(re.compile(rf"/login/\?next=/customers/{target.pk}/$"))
    assert watch.csp_problems() == []
    assert_quiet(watch)


# ---- S1 in the browser -----------------------------------------------------------------------------------


def test_salesperson_opening_another_teams_customer_gets_the_404_page(cast, live_server, new_context):
    mine = services.customer_create(fields={"name": "长沙岳麓精密机械有限公司"}, by=cast.clerk, owner=cast.sales1)
    theirs = services.customer_create(fields={"name": "郑州中原重工有限公司"}, by=cast.clerk, owner=cast.sales2)
    contact = services.contact_create(customer=theirs, fields={"name": "王建国"}, by=cast.clerk)
    base = live_server.url
    context = new_context()
    page, watch = open_page(context)
    login(page, base, "sales1")

    for path in (
        f"/customers/{theirs.pk}/",
        f"/customers/{theirs.pk}/edit/",
        f"/customers/{theirs.pk}/contacts/{contact.pk}/edit/",
    ):
        response = page.goto(base + path)
        assert response.status == 404, path
        expect(page.locator("main h1")).to_have_text("找不到这个页面或记录")
        html = page.content()
        assert "郑州中原重工" not in html and "王建国" not in html, path

    page.goto(f"{base}/customers/")
    expect(page.locator("#customer-table tbody tr")).to_have_count(1)
    with page.expect_response(hx_response(base, "/customers/")):
        page.fill("#id_q", "中原重工")
    expect(page.locator("#customer-table")).to_contain_text("没有符合条件的客户。")

    response = page.goto(f"{base}/customers/{mine.pk}/")
    assert response.status == 200
    expect(page.locator("main h1")).to_contain_text("长沙岳麓精密机械有限公司")
    assert_quiet(watch)


# ---- S8: XSS sweep ---------------------------------------------------------------------------------------

# Validated fields (phone, fax, email, id_number, credit_code) cannot hold a payload.
CUSTOMER_TEXT = [
    name
    for name in services.TEXT_FIELDS
    if name not in {"phone", "fax", "email", "id_number", "credit_code", "website"}
]
CONTACT_TEXT = ("name", "title", "department", "wechat", "notes")


@dataclass
class XssWorld:
    customers: dict[str, Any]
    contacts: dict[str, Any]
    shown: dict[str, list[str]]  # payload key -> texts the detail page must show as text
    shortened: list[str]  # fields too short for the corpus, given SHORT_PAYLOAD instead
    batch_id: int
    user: Any  # a salesperson whose display name is a payload


def _fitting(limit: int, text: str, label: str, shortened: list[str]) -> str:
    """The payload, or the short one where the field is too short (noted in ``shortened``)."""
    if len(text) <= limit:
        return text
    shortened.append(f"{label} ({limit} chars): {SHORT_PAYLOAD!r} instead of {text!r}")
    return SHORT_PAYLOAD


def build_xss_world(cast) -> XssWorld:
    """Payloads stored through the services, as a user with a form or an import would."""
    user = user_create(
        username="xss_sales",
        password=PASSWORD,
        display_name=wrap(PAYLOADS["img"]),
        role_codes=[Role.SALESPERSON],
        team=cast.team_a,
        by=None,
        check_password=False,
    )
    customers, contacts, shown, shortened = {}, {}, {}, []
    for key, payload in PAYLOADS.items():
        text = wrap(payload)
        fields: dict[str, Any] = {}
        for name in CUSTOMER_TEXT:
            fields[name] = _fitting(services.TEXT_FIELDS[name], text, f"customer.{name}", shortened)
        fields["name"] = f"{text}科技有限公司"
        fields["website"] = JS_URL if key == "img" else text
        customer = services.customer_create(fields=fields, by=cast.clerk, owner=cast.sales1)
        contact_fields = {}
        for name in CONTACT_TEXT:
            contact_fields[name] = _fitting(services.CONTACT_TEXT[name], text, f"contact.{name}", shortened)
        contacts[key] = services.contact_create(customer=customer, fields=contact_fields, by=cast.clerk)
        customers[key] = customer
        shown[key] = sorted({*fields.values(), contact_fields["name"], contact_fields["title"]} - {SHORT_PAYLOAD})

    # Texts stored by other writes: key-date note, contact department, reasons, a changed address.
    extra = {
        "img": [wrap(PAYLOADS["img"]) + "（租约）", wrap(PAYLOADS["svg"]) + "（部门）"],
        "svg": [wrap(PAYLOADS["svg"]) + "（转移原因）"],
        "script": [wrap(PAYLOADS["script"]) + "（退回原因）"],
        "quote": [wrap(PAYLOADS["quote"]) + "（流失原因）"],
        "template": [wrap(PAYLOADS["img"]) + "（新址）"],
    }
    services.key_date_add(
        customer=customers["img"], kind="lease_expiry", date=dt.date(2027, 6, 30), by=cast.clerk, note=extra["img"][0]
    )
    services.contact_update(contact=contacts["img"], fields={"department": extra["img"][1]}, by=cast.clerk)
    services.customer_assign(customer=customers["svg"], owner=user, by=cast.clerk, reason=extra["svg"][0])
    services.customer_release(customer=customers["script"], by=cast.clerk, reason=extra["script"][0])
    services.customer_set_stage(customer=customers["quote"], stage=Stage.LOST, by=cast.clerk, reason=extra["quote"][0])
    services.customer_update(customer=customers["template"], fields={"address": extra["template"][0]}, by=cast.clerk)
    for key, texts in extra.items():
        shown[key] += texts

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["客户名称", "行业", "备注", "负责业务员"])
    writer.writerow([f"{wrap(PAYLOADS['img'])}导入一", "", wrap(PAYLOADS["svg"]), ""])
    writer.writerow([f"{wrap(PAYLOADS['quote'])}导入二", wrap(PAYLOADS["svg"]), "", wrap(PAYLOADS["script"])])
    batch = importer.stage_customer_import(
        name=f"{wrap(PAYLOADS['img'])}.csv", data=buffer.getvalue().encode("utf-8-sig"), by=cast.clerk
    )
    return XssWorld(customers, contacts, shown, shortened, batch.pk, user)


def check_page(page: Any, label: str, must_show: list[str]) -> list[str]:
    """Payload text visible as text, no markup created from it, {{7*7}} not evaluated."""
    problems = [f"{label}: {found}" for found in page.evaluate(INJECTED_JS)]
    html = page.content()
    if TEMPLATE_EVALUATED in html:
        problems.append(f"{label}: {{{{7*7}}}} was evaluated to 49")
    text = page.inner_text("body")
    problems += [f"{label}: {t!r} not shown as text" for t in must_show if t not in text]
    if wrap(PAYLOADS["img"]) in text and "&lt;img" not in html:
        problems.append(f"{label}: <img payload shown but not escaped in the markup")
    return problems


def _policy_header() -> str:
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


@pytest.mark.parametrize("csp", ["enforced", "bypassed"])
def test_sweep_detectors_catch_a_page_that_echoes_payloads_raw(new_context, csp):
    """Guards the sweep below against passing vacuously: a page (served by a Playwright route
    with the app's own policy) that echoes the corpus unescaped must trip the detectors."""
    raw = "".join(PAYLOADS.values())
    body = f"<!doctype html><html><body><p>{wrap(raw)}</p><a href='{JS_URL}'>site</a></body></html>"
    context = new_context(bypass_csp=csp == "bypassed")
    context.route(
        "http://neiqin.invalid/**",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": _policy_header()},
            body=body,
        ),
    )
    page, watch = open_page(context)
    page.goto("http://neiqin.invalid/raw")
    problems = check_page(page, "raw", [wrap(PAYLOADS["img"])])
    assert any("element: <img" in p for p in problems)
    assert any("handler onload" in p for p in problems)
    assert any("inline script" in p for p in problems)
    assert any("javascript:/data: URL" in p for p in problems)
    assert any("not shown as text" in p for p in problems)
    assert watch.csp_problems() == []  # the app's policy passes the header check
    if csp == "bypassed":
        assert watch.dialogs  # the <script> at least; the handlers too, as the page loads
    else:
        assert watch.dialogs == []
        assert any("Content Security Policy" in e for e in watch.console_errors), watch.console_errors


@pytest.mark.parametrize("csp", ["enforced", "bypassed"])
def test_no_stored_or_reflected_xss_on_any_page(cast, live_server, new_context, csp, tmp_path):
    """With the CSP enforced, an unescaped payload would show as a CSP violation on the console;
    with it bypassed, it would fire a dialog. Both runs also check the DOM, the page text and the
    CSP header of every HTML response (document, htmx fragment, redirect, 404)."""
    world = build_xss_world(cast)
    print("shortened payloads:", *world.shortened, sep="\n  ")
    base = live_server.url
    c = {k: v.pk for k, v in world.customers.items()}
    names = {k: v.name for k, v in world.customers.items()}
    q = urllib.parse.quote
    problems: list[str] = []
    # One context for the whole sweep (a new context costs a renderer start); users take turns.
    context = new_context(bypass_csp=csp == "bypassed")
    page, watch = open_page(context)

    def switch_to(username: str) -> None:
        context.clear_cookies()
        login(page, base, username)

    def visit(label: str, path: str, must_show: list[str], status: int = 200) -> None:
        response = page.goto(base + path)  # waits for "load": deferred scripts have run
        if response.status != status:
            problems.append(f"{label}: status {response.status}, expected {status}")
        problems.extend(check_page(page, label, must_show))

    # anonymous: the login form reflects ?next= into a hidden input
    for key in ("img", "script", "quote"):  # attribute breakouts with " and ', and a tag
        payload = PAYLOADS[key]
        visit(f"login?next={key}", f"/login/?next={q(payload)}", [])
        if page.locator("form[action$='/login/'] input[name=next]").input_value() != payload:
            problems.append(f"login?next={key}: next not kept verbatim")

    # the clerk sees everything, including the pool and the import pages
    switch_to("clerk")
    visit("home (clerk)", "/", [names["template"], names["quote"]])
    visit("list", "/customers/", [names[k] for k in PAYLOADS])
    visit("list?q=", f"/customers/?q={q(PAYLOADS['img'])}", [])
    if page.locator("#id_q").input_value() != PAYLOADS["img"]:
        problems.append("list?q=: search text not kept verbatim")
    for param in ("sort", "stage", "owner"):  # echoed in a warning, a <select>, a querystring
        visit(f"list?{param}=", f"/customers/?{param}={q(PAYLOADS['script'])}", [])
    visit("list", "/customers/", [])
    with page.expect_response(hx_response(base, "/customers/")) as fragment:
        page.fill("#id_q", "alert")
    if fragment.value.status != 200:
        problems.append(f"list fragment: status {fragment.value.status}")
    expect(page).to_have_url(re.compile(r"q=alert"))
    expect(page.locator("#customer-table tbody tr")).to_have_count(4)
    problems.extend(check_page(page, "list fragment", [names[k] for k in ("img", "svg", "script", "quote")]))
    for key in PAYLOADS:
        visit(f"detail {key}", f"/customers/{c[key]}/", world.shown[key])
        if key == "img" and csp == "enforced":  # for a human look at how the payloads render
            shot = tmp_path / "xss-detail.png"
            page.screenshot(path=shot, full_page=True)
            SHOTS_DIR.mkdir(parents=True, exist_ok=True)
            shutil.copy(shot, SHOTS_DIR / f"{_engine()}-xss-detail.png")
    visit("edit", f"/customers/{c['img']}/edit/", [])
    for name in ("name", "notes", "address", "website"):
        expected = world.customers["img"].name if name == "name" else getattr(world.customers["img"], name)
        if page.locator(f"#id_{name}").input_value() != expected:
            problems.append(f"edit: {name} not kept verbatim in the form")
    visit("create", "/customers/new/", [])
    visit("contact edit page", f"/customers/{c['img']}/contacts/{world.contacts['img'].pk}/edit/", [])
    # the contact editor as an htmx modal on the detail page
    visit("detail img", f"/customers/{c['img']}/", [])
    with page.expect_response(lambda r: "/contacts/" in r.url and r.request.headers.get("hx-request") == "true"):
        page.locator("#contacts a[hx-get$='/edit/']").first.click()
    expect(page.locator("#app-modal-content form")).to_be_visible()
    problems.extend(check_page(page, "contact modal", [wrap(PAYLOADS["img"])]))
    visit("pool", "/customers/pool/", [names["script"]])
    with page.expect_response(hx_response(base, "/customers/pool/")):
        page.fill("main input[name=q]", "alert")
    expect(page.locator("#pool-table tbody tr")).to_have_count(1)
    problems.extend(check_page(page, "pool fragment", [names["script"]]))
    visit("pool?q=", f"/customers/pool/?q={q(PAYLOADS['svg'])}", [])
    visit("notifications (clerk)", "/notifications/", [])
    visit("profile (clerk)", "/profile/", [])
    visit("import", "/customers/import/", [wrap(PAYLOADS["img"]) + ".csv"])
    # the file name, the row errors (which quote the bad cells) and the preview row
    batch_texts = [f"{wrap(PAYLOADS['img'])}.csv", f"{wrap(PAYLOADS['img'])}导入一", wrap(PAYLOADS["svg"])]
    visit("import batch", f"/customers/import/{world.batch_id}/", [*batch_texts, wrap(PAYLOADS["script"])])
    visit("404 with payload path", f"/customers/{q(PAYLOADS['svg'])}/", [], status=404)

    # the salesperson whose display name is a payload: navbar, home, list, detail, notifications
    switch_to("xss_sales")
    visit("home (xss_sales)", "/", [world.user.display_name, names["svg"]])
    visit("list (xss_sales)", "/customers/", [names["svg"]])
    visit("detail (xss_sales)", f"/customers/{c['svg']}/", [names["svg"], world.user.display_name])
    visit("notifications (xss_sales)", "/notifications/", [names["svg"]])
    visit("pool (xss_sales)", "/customers/pool/", [names["script"]])

    # sales1 was told about assignments, edits and the transfer
    switch_to("sales1")
    visit("home (sales1)", "/", [names["img"]])
    visit("notifications (sales1)", "/notifications/", [names["img"], world.user.display_name])

    # the team-A manager: stage overview per salesperson, table and ECharts tooltip
    switch_to("manager")
    visit("list (manager)", "/customers/", [world.user.display_name])
    visit("home (manager)", "/", [world.user.display_name])
    chart = page.locator('[data-chart="stage-bar"]')
    expect(chart.locator("canvas")).to_have_count(1)
    box = chart.bounding_box()
    tooltip = ""
    for fraction in (0.3, 0.5, 0.7, 0.85):
        page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + box["height"] * 0.6)
        tooltip = page.evaluate(
            "() => Array.from(document.querySelectorAll('[data-chart] div'))"
            ".map(d => d.innerText).filter(t => t.includes('〔')).join('|')"
        )
        if tooltip:
            break
    problems.extend(check_page(page, "home (manager) chart tooltip", []))
    if tooltip and world.user.display_name not in tooltip:
        problems.append(f"chart tooltip shows {tooltip!r}, not the display name as text")

    problems += [f"dialog fired: {d}" for d in watch.dialogs]
    problems += [f"uncaught error: {e}" for e in watch.page_errors]
    problems += watch.csp_problems()
    problems += [f"console: {e}" for e in watch.unexpected_console_errors()]
    html_count = len(watch.html_responses())
    assert html_count >= 40, f"only {html_count} HTML responses seen"
    assert problems == [], "\n".join(problems)


# ---- screenshots -----------------------------------------------------------------------------------------

SHOWCASE = [
    ("涵瑞建筑工程有限公司", "涵瑞建筑", "湖南", "长沙", "A"),
    ("长沙恒信贸易有限公司", "恒信贸易", "湖南", "长沙", "B"),
    ("郑州远大机电设备有限公司", "远大机电", "河南", "郑州", "B"),
    ("武汉光谷智能科技有限公司", "光谷智能", "湖北", "武汉", "A"),
    ("湘潭钢城物资贸易有限公司", "钢城物资", "湖南", "湘潭", "C"),
    ("洛阳牡丹化工有限公司", "牡丹化工", "河南", "洛阳", "B"),
    ("宜昌三峡水电设备有限公司", "三峡水电", "湖北", "宜昌", "C"),
    ("株洲中车配件供应有限公司", "中车配件", "湖南", "株洲", "A"),
    ("开封古城文化传媒有限公司", "古城文化", "河南", "开封", "C"),
    ("襄阳汉江物流有限公司", "汉江物流", "湖北", "襄阳", "B"),
]


def test_screenshots_of_list_and_detail(cast, live_server, new_context, tmp_path):
    created = []
    for name, short, province, city, grade in SHOWCASE:
        created.append(
            services.customer_create(
                fields={
                    "name": name,
                    "short_name": short,
                    "province": province,
                    "city": city,
                    "grade": grade,
                    "address": f"{province}省{city}市高新区创业大道 88 号",
                    "business_scope": "建筑材料、五金交电、机电设备的销售；仓储服务。",
                    "notes": "年底前有采购计划，关注价格与交期。",
                },
                by=cast.clerk,
                owner=cast.sales1 if grade != "C" else None,
            )
        )
    first = created[0]
    services.contact_create(
        customer=first,
        fields={"name": "李明", "title": "采购经理", "mobile": "13807310001", "is_primary": True},
        by=cast.clerk,
    )
    services.contact_create(customer=first, fields={"name": "张伟", "title": "总经理"}, by=cast.clerk)
    base = live_server.url
    page, watch = open_page(new_context())
    login(page, base, "clerk")
    SHOTS_DIR.mkdir(parents=True, exist_ok=True)

    page.goto(f"{base}/customers/")
    expect(page.locator("#customer-table tbody tr")).to_have_count(len(SHOWCASE))
    page.evaluate("document.fonts.ready.then(() => true)")
    list_png = tmp_path / "customer-list.png"
    page.screenshot(path=list_png, full_page=True)

    page.goto(f"{base}/customers/{first.pk}/")
    expect(page.locator("#contacts tbody tr")).to_have_count(2)
    page.evaluate("document.fonts.ready.then(() => true)")
    detail_png = tmp_path / "customer-detail.png"
    page.screenshot(path=detail_png, full_page=True)

    for shot in (list_png, detail_png):
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert shot.stat().st_size > 20 * 1024, f"{shot.name} is only {shot.stat().st_size} bytes"
        shutil.copy(shot, SHOTS_DIR / f"{_engine()}-{shot.name}")
    assert_quiet(watch)


# Website values a user can type (the form, the API and the import keep the field as free text).
# The detail page prefixes "http://" only when the value has no "://", so these keep their scheme.
SCRIPT_URLS = [
    "javascript://%0aalert(document.domain)",
    "JavaScript://%0Aalert(1)",
    "java\tscript://%0aalert(1)",
]


def test_website_link_on_detail_page_is_never_a_script_url(cast, live_server, new_context):
    """The website field is free text everywhere; the link built from it must stay http(s)."""
    good = {"https://www.hanrui.example.cn/about": "https:", "www.hanrui.example.cn": "http:"}
    urls = [*SCRIPT_URLS, *good]
    customers = [
        services.customer_create(fields={"name": f"网址测试{i}有限公司", "website": url}, by=cast.clerk)
        for i, url in enumerate(urls)
    ]
    page, watch = open_page(new_context())
    login(page, live_server.url, "clerk")
    schemes = {}
    for customer, url in zip(customers, urls, strict=True):
        page.goto(f"{live_server.url}/customers/{customer.pk}/")
        expect(page.locator("main h1")).to_contain_text(customer.name)
        schemes[url] = page.locator("main dd a[target=_blank]").evaluate_all("links => links.map(a => a.protocol)")
    # A script URL may be shown as plain text (no link) or as an http(s) link, never as itself.
    unsafe = {url: found for url, found in schemes.items() if set(found) - {"http:", "https:"}}
    assert unsafe == {}
    # ... while real websites stay links (so the check above cannot pass by finding no link at all).
    assert {url: schemes[url] for url in good} == {url: [scheme] for url, scheme in good.items()}
    assert_quiet(watch)
