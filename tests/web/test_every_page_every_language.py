"""Every public and learner page in each of the six languages, at desktop and phone width, in a real browser.

Each page is checked for what an older reader, a keyboard user or an Arabic reader needs: no serious or critical
axe-core violation, nothing sticking out sideways on a 375 px phone, the page's language and direction declared,
every control at least 44×44 px (a radio's or checkbox's label counts as its target), a focus ring that shows on
every control reached with Tab, no catalogue key shown in place of a word, the header mirrored right-to-left in
Arabic, and text enlarged to 200% still fitting the phone. A page's problems are gathered and reported together, so
one failure names everything wrong with that page in that language; its screenshots are in build/test-output/web/.

One browser serves the module, with two visitors per language (signed out, signed in) kept for all its pages.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, FilePayload, Page, ViewportSize

from creditbank.languages import catalogues, i18n
from tests.web.browser import PHONE, axe, describe_violation, snap
from tests.web.conftest import ACTION_TIMEOUT_MS, LiveServer

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
WIDTHS = (DESKTOP["width"], PHONE["width"])
TARGET_PX = 44
BOX_PX = 24
# Enough presses to reach the header, the language switcher and the first controls of the main content.
TAB_PRESSES = 30
KEY_SHAPE = re.compile(r"\b[a-z]+_[a-z0-9_]+\b")
UNKNOWN_CREDENTIAL = "urn:uuid:00000000-0000-4000-8000-000000000000"


def _catalogue_keys() -> frozenset[str]:
    keys: set[str] = set()
    for code in i18n.LANGUAGES:
        for message in catalogues.read(code):
            if message.id:
                keys.add(message.id if isinstance(message.id, str) else message.id[0])
    return frozenset(keys)


KEYS = _catalogue_keys()


@dataclass(frozen=True)
class Site:
    """What the pages need that the demo does not hand out: a share link and a recognition application."""

    server: LiveServer
    share_path: str
    application_path: str
    # "<lang>-<status>": the page the portal's error renderer answers with, for failures a browser cannot cause.
    error_pages: dict[str, str]


@dataclass(frozen=True)
class Visit:
    name: str
    signed_in: bool
    # The path to open, or what to do to reach the page (a form to send) and the status it answers.
    path: Callable[[Site], str] | None = None
    act: Callable[[Page, Site], None] | None = None
    status: int = 200
    # The url_map rules this visit stands for, so a new page without a visit is noticed.
    rules: tuple[str, ...] = field(default=())


def _send_for_verification(file: Callable[[Site], str | FilePayload]) -> Callable[[Page, Site], None]:
    def act(page: Page, site: Site) -> None:
        _open(page, "/verify", 200)
        page.locator("#file").set_input_files(file(site))
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()

    return act


def _send_login_form(change: str, status: int) -> Callable[[Page, Site], None]:
    """The login form sent after ``change`` (JavaScript run on its page) spoils it, answered with ``status``."""

    def act(page: Page, site: Site) -> None:
        _open(page, "/login", 200)
        page.evaluate(change)
        with page.expect_navigation() as sent:
            page.locator("main form button[type=submit]").click()
        answer = sent.value
        assert answer is not None, "the spoilt form gave no answer"
        assert answer.status == status, f"the spoilt form answered {answer.status}, not {status}"

    return act


STALE_FORM = "document.querySelector('main form input[name=csrf_token]').value = 'stale'"
# Over CREDITBANK_MAX_BODY_BYTES (4 MiB), so the body is refused before any form is read.
HUGE_FORM = """() => { const form = document.querySelector('main form'), extra = document.createElement('input');
  extra.type = 'hidden'; extra.name = 'padding'; extra.value = 'x'.repeat(5 * 1024 * 1024); form.append(extra); }"""
# Statuses whose causes a visitor cannot bring about on purpose (a change made meanwhile, throttling, a failure, the
# database down): the renderer's own page for each, rendered by the server's code and served at this path.
RENDERED_ERRORS = (409, 429, 500, 503)
RENDERED_PATH = "/page-error/"


def _rendered_error(status: int) -> Callable[[Page, Site], None]:
    def act(page: Page, site: Site) -> None:
        lang = next(c["value"] for c in page.context.cookies() if c["name"] == i18n.COOKIE)
        body = site.error_pages[f"{lang}-{status}"]
        html = "text/html; charset=utf-8"
        page.route(
            f"**{RENDERED_PATH}{status}", lambda route: route.fulfill(status=status, body=body, content_type=html)
        )
        _open(page, f"{RENDERED_PATH}{status}", status)
        page.unroute(f"**{RENDERED_PATH}{status}")

    return act


def _render_error_pages(server: LiveServer) -> dict[str, str]:
    # In a child process with the server's settings, like the url_map below, so its logging set-up stays there.
    code = (
        "import json; from creditbank import create_app; from creditbank.errors import PAGE_ERRORS;"
        "from creditbank.languages import i18n; app = create_app(); pages = {}\n"
        f"for lang in i18n.LANGUAGES:\n for status in {RENDERED_ERRORS!r}:\n"
        "  with app.test_request_context('/no-such-page', headers={'Cookie': f'{i18n.COOKIE}={lang}'}):\n"
        "   pages[f'{lang}-{status}'] = app.extensions[PAGE_ERRORS](status, None).get_data(as_text=True)\n"
        "print(json.dumps(pages))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=server.env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    pages: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
    return pages


def _open_exchange_link(page: Page, site: Site) -> None:
    """The learner opens a wallet exchange on the documents page, then its link in the same browser (a computer)."""
    _open(page, "/me/documents", 200)
    with page.expect_navigation():
        page.locator("main form[action$='/wallet'] button[type=submit]").first.click()
    link = page.locator("main a[href*='/api/v1/exchanges/']").first.get_attribute("href")
    assert link, "the wallet page shows no link to the exchange"
    _open(page, link, 200)


NOT_A_CREDENTIAL: FilePayload = {"name": "not-a-credential.json", "mimeType": "application/json", "buffer": b'{"a": 1}'}

VISITS = (
    Visit("home", False, lambda s: "/", rules=("/",)),
    Visit("login", False, lambda s: "/login", rules=("/login",)),
    Visit("activate", False, lambda s: "/activate", rules=("/activate",)),
    Visit("verify", False, lambda s: "/verify", rules=("/verify",)),
    Visit("verify-valid", False, act=_send_for_verification(lambda s: str(s.server.certificate_pdf))),
    Visit("verify-invalid", False, act=_send_for_verification(lambda s: NOT_A_CREDENTIAL)),
    Visit("credential-valid", False, lambda s: f"/v/{s.server.credential_id}", rules=("/v/<credential_id>",)),
    Visit("credential-unknown", False, lambda s: f"/v/{UNKNOWN_CREDENTIAL}", status=404),
    Visit("shared", False, lambda s: s.share_path, rules=("/s/<token>",)),
    Visit("shared-closed", False, lambda s: f"/s/{uuid.uuid4().hex}", status=410),
    Visit("about", False, lambda s: "/about", rules=("/about",)),
    Visit("ledger-entry", False, lambda s: "/about/entries/1", rules=("/about/entries/<seq>",)),
    Visit("ledger-entry-unknown", False, lambda s: "/about/entries/999999999", status=404),
    Visit("forgot", False, lambda s: "/forgot", rules=("/forgot",)),
    Visit("reset", False, lambda s: "/reset", rules=("/reset",)),
    Visit("not-found", False, lambda s: "/no-such-page", status=404),
    # A line break in next= can only be an attempt to split a header.
    Visit("error-bad-request", False, lambda s: "/lang/xx?next=%0Aevil", status=400),
    Visit("error-expired-form", False, act=_send_login_form(STALE_FORM, 400)),
    Visit("error-method", False, lambda s: "/logout", status=405),
    Visit("error-too-large", False, act=_send_login_form(HUGE_FORM, 413)),
    *(Visit(f"error-{status}", False, act=_rendered_error(status)) for status in RENDERED_ERRORS),
    Visit("portal-record", True, lambda s: "/me", rules=("/me",)),
    Visit("portal-credits", True, lambda s: "/me/credits", rules=("/me/credits",)),
    Visit("portal-documents", True, lambda s: "/me/documents", rules=("/me/documents",)),
    Visit("portal-recognition", True, lambda s: "/me/recognition", rules=("/me/recognition",)),
    Visit("portal-recognition-new", True, lambda s: "/me/recognition/new", rules=("/me/recognition/new",)),
    Visit("portal-recognition-detail", True, lambda s: s.application_path, rules=("/me/recognition/<application_id>",)),
    Visit("portal-share", True, lambda s: "/me/share", rules=("/me/share",)),
    Visit("portal-data", True, lambda s: "/me/data", rules=("/me/data",)),
    Visit("portal-consent", True, lambda s: "/me/consent", rules=("/me/consent",)),
    Visit("portal-password", True, lambda s: "/me/password", rules=("/me/password",)),
    # A wallet's link opened in a browser: the page on how to hand it to the wallet, and one that no longer works.
    Visit("exchange-link", True, act=_open_exchange_link, rules=("/api/v1/exchanges/<exchange_id>",)),
    Visit("exchange-link-unknown", False, lambda s: f"/api/v1/exchanges/{'A' * 43}?iuv=1", status=404),
)
# Rules that are no page to look at: downloads (PDF, JSON, badge pictures), the language switch, sign-out, and the
# machine-readable doors.
NOT_PAGES = re.compile(
    r"^/(api|ledger|staff|status|witness|\.well-known|metrics|static|lang|logout)(/|$)|\.(pdf|json|png|svg)$|^/(healthz?|ready)$"
)


def _open(page: Page, path: str, status: int) -> None:
    response = page.goto(path)
    assert response is not None, f"GET {path} gave no answer"
    assert response.status == status, f"GET {path} answered {response.status}, not {status}"


def _log_in(page: Page, server: LiveServer) -> None:
    _, email, password = (server.instance / "demo-learner-login.txt").read_text().split()
    _open(page, "/login", 200)
    page.locator("#login").fill(email)
    page.locator("#password").fill(password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.url.endswith("/me"), f"signing in led to {page.url}"


@pytest.fixture(scope="module")
def site(browser: Browser, live_server: LiveServer) -> Iterator[Site]:
    context = browser.new_context(base_url=live_server.base_url, viewport=DESKTOP)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        page = context.new_page()
        _log_in(page, live_server)
        _open(page, "/me/share", 200)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").first.click()
        share_url = page.locator("#share-url").input_value().strip()
        share_path = share_url.removeprefix(live_server.base_url)
        # An empty path would open the home page in the shared page's place.
        assert re.fullmatch(r"/s/[\w-]+", share_path), f"the share page gave the link {share_url!r}"
        # The learner's own application: one handed in now, with a scan no one else has handed in.
        _open(page, "/me/recognition/new", 200)
        page.locator("#evidence-1").set_input_files(
            {"name": "scan.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n" + uuid.uuid4().bytes * 16}
        )
        page.locator("#description-1").fill("社区老年大学书法班，32 学时，2025 年结业")
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        application_path = page.url.removeprefix(live_server.base_url)
        assert re.fullmatch(r"/me/recognition/[\w-]{24}", application_path), f"applying led to {page.url}"
        yield Site(live_server, share_path, application_path, _render_error_pages(live_server))
    finally:
        context.close()


@pytest.fixture(scope="module")
def visitor(browser: Browser, live_server: LiveServer) -> Iterator[Callable[[str, bool], Page]]:
    """One tab per language and sign-in state, made the first time a page asks for it and kept for the rest."""
    tabs: dict[tuple[str, bool], Page] = {}
    contexts: list[BrowserContext] = []

    def get(lang: str, signed_in: bool) -> Page:
        if (lang, signed_in) not in tabs:
            # Accept-Language says something else on purpose: the chosen language (the cookie) must win.
            context = browser.new_context(base_url=live_server.base_url, viewport=DESKTOP, locale="de-DE")
            context.set_default_timeout(ACTION_TIMEOUT_MS)
            context.add_cookies([{"name": i18n.COOKIE, "value": lang, "url": live_server.base_url}])
            contexts.append(context)
            tab = context.new_page()
            if signed_in:
                _log_in(tab, live_server)
            tabs[(lang, signed_in)] = tab
        return tabs[(lang, signed_in)]

    yield get
    for context in contexts:
        context.close()


# Everything that is measured in the page itself, in one round trip per width.
MEASURE = """({target, box, keys, shape}) => {
  const describe = el => {
    const id = el.id ? '#' + el.id : '';
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 30);
    return `${el.tagName.toLowerCase()}${id}${el.type ? '[' + el.type + ']' : ''} "${text}"`;
  };
  const controls = 'a[href], button, input:not([type=hidden]), select, textarea, summary,'
    + ' [tabindex]:not([tabindex="-1"])';
  const small = [];
  for (const el of document.querySelectorAll(controls)) {
    if (el.matches('.skip:not(:focus)')) continue;
    const style = getComputedStyle(el);
    let rect = el.getBoundingClientRect();
    if (style.visibility === 'hidden' || (rect.width === 0 && rect.height === 0)) continue;
    if (el.type === 'radio' || el.type === 'checkbox') {
      if (rect.width < box - 0.5 || rect.height < box - 0.5)
        small.push(`${describe(el)} box ${Math.round(rect.width)}×${Math.round(rect.height)}`);
      const label = el.closest('label') || (el.labels && el.labels[0]);
      if (label) rect = label.getBoundingClientRect();
    }
    if (rect.width < target - 0.5 || rect.height < target - 0.5)
      small.push(`${describe(el)} ${Math.round(rect.width)}×${Math.round(rect.height)}`);
  }
  const words = [document.title, document.body.innerText];
  for (const el of document.querySelectorAll('[aria-label], [title], [placeholder], [alt]'))
    for (const name of ['aria-label', 'title', 'placeholder', 'alt']) words.push(el.getAttribute(name) || '');
  const shown = new Set();
  for (const text of words)
    for (const found of text.match(new RegExp(shape, 'g')) || []) if (keys.includes(found)) shown.add(found);
  const header = document.querySelector('body > header');
  const first = header && header.firstElementChild;
  let edge = null;
  if (first) {
    const outer = header.getBoundingClientRect(), inner = first.getBoundingClientRect(), pad = getComputedStyle(header);
    edge = {
      start: inner.left - outer.left - parseFloat(pad.paddingLeft),
      end: outer.right - parseFloat(pad.paddingRight) - inner.right,
    };
  }
  return {
    lang: document.documentElement.getAttribute('lang'),
    dir: document.documentElement.getAttribute('dir'),
    computedDir: getComputedStyle(document.body).direction,
    small, keys: [...shown], edge,
    scroll: document.documentElement.scrollWidth, inner: innerWidth,
  };
}"""

# Remembers each control's unfocused look, then what it looks like when Tab lands on it.
WATCH_FOCUS = """() => {
  const look = el => { const s = getComputedStyle(el);
    return {outline: s.outlineStyle === 'none' ? 'none' : `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`,
            width: parseFloat(s.outlineWidth) || 0, shadow: s.boxShadow}; };
  const before = new WeakMap();
  for (const el of document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]'))
    before.set(el, look(el));
  window.__focusSeen = [];
  document.addEventListener('focusin', event => {
    const el = event.target, was = before.get(el), now = look(el);
    if (!was || !(el instanceof HTMLElement)) return;
    const ring = now.outline !== 'none' && now.width >= 2 && now.outline !== was.outline;
    const changed = ring || now.shadow !== was.shadow;
    const id = el.id ? '#' + el.id : '';
    const text = (el.innerText || el.value || '').trim().slice(0, 30);
    window.__focusSeen.push({what: `${el.tagName.toLowerCase()}${id} "${text}"`, visible: changed});
  }, true);
}"""

ENLARGED = """() => {
  document.documentElement.style.fontSize = '200%';
  const clipped = [];
  for (const el of document.querySelectorAll('main *')) {
    const s = getComputedStyle(el);
    const hides = v => v === 'hidden' || v === 'clip';
    // Visually hidden words (for screen readers) are clipped on purpose.
    if (el.closest('.skip') || el.getBoundingClientRect().width <= 1) continue;
    if ((hides(s.overflowX) && el.scrollWidth > el.clientWidth + 1)
        || (hides(s.overflowY) && el.scrollHeight > el.clientHeight + 1))
      clipped.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}`);
  }
  const wide = [...document.body.querySelectorAll('*')]
    .filter(el => el.getBoundingClientRect().right > innerWidth + 0.5 || el.getBoundingClientRect().left < -0.5)
    .filter(el => el.getBoundingClientRect().width > 1)
    .slice(-3).map(el => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${el.className}`);
  return {size: parseFloat(getComputedStyle(document.querySelector('main')).fontSize), wide,
          scroll: document.documentElement.scrollWidth, inner: innerWidth, clipped: clipped.slice(0, 5)};
}"""


def _measure(page: Page, lang: str, width: int) -> list[str]:
    where = f"{width}px"
    found: dict[str, Any] = page.evaluate(MEASURE, {"target": TARGET_PX, "box": BOX_PX, "keys": sorted(KEYS),
                                                    "shape": KEY_SHAPE.pattern})  # fmt: skip
    problems = []
    if found["lang"] != i18n.html_tag(lang):
        problems.append(f"{where}: <html lang> is {found['lang']!r}, not {i18n.html_tag(lang)!r}")
    if found["dir"] != i18n.direction(lang) or found["computedDir"] != i18n.direction(lang):
        problems.append(f"{where}: direction is {found['dir']!r}/{found['computedDir']}, not {i18n.direction(lang)}")
    if found["small"]:
        problems.append(f"{where}: targets under {TARGET_PX}×{TARGET_PX} px: {'; '.join(found['small'][:8])}")
        if len(found["small"]) > 8:
            problems[-1] += f" …and {len(found['small']) - 8} more"
    if found["keys"]:
        problems.append(f"{where}: catalogue keys shown instead of words: {', '.join(found['keys'])}")
    edge = found["edge"]
    start_side = "right" if i18n.direction(lang) == "rtl" else "left"
    # The header's first item (the bank's name) starts on the reading side: the right in Arabic.
    if edge is None or abs(edge["end"] if start_side == "right" else edge["start"]) > 2:
        problems.append(f"{where}: the header's first item is not at its {start_side} edge ({edge})")
    if width == PHONE["width"] and found["scroll"] > found["inner"]:
        problems.append(f"{where}: scrolls sideways, content {found['scroll']}px wide in {found['inner']}px")
    return problems


def _axe_problems(page: Page, where: str) -> list[str]:
    return [f"{where}: axe {describe_violation(v)}" for v in axe(page) if v.get("impact") in ("serious", "critical")]


def _focus_problems(page: Page) -> list[str]:
    page.evaluate(WATCH_FOCUS)
    page.locator("body").focus()
    for _ in range(TAB_PRESSES):
        page.keyboard.press("Tab")
    seen: list[dict[str, Any]] = page.evaluate("window.__focusSeen")
    if not seen:
        return ["Tab reaches no control"]
    # The screenshots that follow show the page as it is first seen, not with the last control focused.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    hidden = [item["what"] for item in seen if not item["visible"]]
    return [f"no visible focus on: {'; '.join(dict.fromkeys(hidden))}"] if hidden else []


def _enlarged_problems(page: Page) -> list[str]:
    found: dict[str, Any] = page.evaluate(ENLARGED)
    problems = []
    if found["size"] < 2 * 16:
        problems.append(f"200% text: the main text is {found['size']}px, so it does not follow the reader's text size")
    if found["scroll"] > found["inner"]:
        problems.append(
            f"200% text: scrolls sideways, content {found['scroll']}px wide in {found['inner']}px"
            f" (deepest wide elements: {', '.join(found['wide'])})"
        )
    if found["clipped"]:
        problems.append(f"200% text: content cut off in {', '.join(found['clipped'])}")
    return problems


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
@pytest.mark.parametrize("visit", VISITS, ids=[visit.name for visit in VISITS])
def test_page_in_language(visit: Visit, lang: str, site: Site, visitor: Callable[[str, bool], Page]) -> None:
    page = visitor(lang, visit.signed_in)
    page.set_viewport_size(DESKTOP)
    if visit.act is not None:
        visit.act(page, site)
    else:
        assert visit.path is not None
        _open(page, visit.path(site), visit.status)
    problems: list[str] = []
    for width in WIDTHS:
        page.set_viewport_size(DESKTOP if width == DESKTOP["width"] else PHONE)
        snap(page, f"{visit.name}-{lang}-{width}")
        problems += _measure(page, lang, width)
        problems += _axe_problems(page, f"{width}px")
        if width == DESKTOP["width"]:
            problems += _focus_problems(page)
    problems += _enlarged_problems(page)
    snap(page, f"{visit.name}-{lang}-{PHONE['width']}-text-200")
    page.evaluate("document.documentElement.style.fontSize = ''")
    assert not problems, f"{visit.name} in {lang} ({page.url}):\n  - " + "\n  - ".join(problems)


def test_every_page_a_visitor_can_open_is_visited(live_server: LiveServer) -> None:
    # The application's own url_map, read in a child process so its logging set-up stays out of this one.
    code = (
        "import json; from creditbank import create_app; app = create_app();"
        "print(json.dumps([r.rule for r in app.url_map.iter_rules() if 'GET' in (r.methods or ())]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=live_server.env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    rules = {re.sub(r"<[^:>]+:([^>]+)>", r"<\1>", rule) for rule in json.loads(done.stdout.strip().splitlines()[-1])}
    pages = {rule for rule in rules if not NOT_PAGES.search(rule)}
    visited = {rule for visit in VISITS for rule in visit.rules}
    assert pages - visited == set(), "pages this module does not visit yet (add a Visit for each)"
