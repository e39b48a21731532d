"""The API docs page: in every language of the public pages, no RST ticks, a request example for every operation
that takes a body (valid JSON its schema accepts), and in a real browser no sideways scroll on a phone and no
serious accessibility violation.

The browser loads the page from the application itself (each request answered by the Flask test client, headers
and Content-Security-Policy included), so it sees exactly what the server sends.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Browser, Page, Route, sync_playwright

from creditbank.languages import i18n
from tests.web.browser import PHONE, assert_accessible, find_chromium, no_horizontal_scroll, snap

ORIGIN = "http://bank.test"
HEADINGS = {
    "zh": "操作",
    "en": "Operations",
    "fr": "Opérations",
    "ru": "Операции",
    "es": "Operaciones",
    "ar": "العمليات",
}
EXAMPLE = re.compile(
    r'<figure class="example" data-operation="(?P<operation>[^"]+)">.*?<pre[^>]*><code>(?P<code>.*?)</code></pre>',
    re.DOTALL,
)
BODY = re.compile(r'<span class="request-body">(.*?)</span>', re.DOTALL)


def _page(client: FlaskClient, language: str) -> str:
    client.set_cookie(i18n.COOKIE, language)
    answer = client.get("/api/docs")
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def _text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<style.*?</style>", "", html, flags=re.DOTALL)))


def _body_schemas(app: Flask) -> dict[str, Any]:
    """Each operation's marshmallow body schema, by "METHOD /openapi/path", as flask-smorest applies it."""
    found = {}
    for rule in app.url_map.iter_rules():
        arguments = getattr(app.view_functions[rule.endpoint], "_apidoc", {}).get("arguments", {})
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for parameter in arguments.get("parameters", []):
            if parameter["in"] == "json":
                for method in rule.methods - {"HEAD", "OPTIONS"}:
                    found[f"{method} {path}"] = parameter["schema"]
    return found


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_language_renders_its_own_words(client: FlaskClient, language: str) -> None:
    html = _page(client, language)
    assert f'lang="{i18n.html_tag(language)}"' in html
    assert f'dir="{"rtl" if language == "ar" else "ltr"}"' in html
    assert f'<h2 id="operations">{HEADINGS[language]}</h2>' in html
    text = _text(html)
    # A word missing from the catalogues would show as its key.
    assert not re.search(r"\bapidocs_\w+", text)
    assert "/api/v1/achievements/batch" in text


def test_literals_are_code_never_ticks(client: FlaskClient) -> None:
    html = _page(client, "en")
    assert "`" not in _text(html)
    # The summary of POST /api/v1/achievements names its entry kind as a literal.
    assert "<code>achievement.recorded</code>" in html


def test_every_operation_with_a_body_has_an_example_its_schema_accepts(app: Flask, client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    with_body = {
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "requestBody" in operation
    }
    html = _page(client, "en")
    examples = {match["operation"]: unescape(match["code"]) for match in EXAMPLE.finditer(html)}
    assert set(examples) == with_body
    schemas = _body_schemas(app)
    assert len(schemas) >= 10
    for operation, schema in schemas.items():
        code = examples[operation]
        method, path = operation.split(" ", 1)
        assert code.startswith(f"curl -X {method} "), operation
        assert path.split("{", 1)[0] in code
        bodies = BODY.findall(html.split(f'data-operation="{operation}"', 1)[1].split("</figure>", 1)[0])
        assert len(bodies) == 1, operation
        body = json.loads(unescape(bodies[0]))
        # What marshmallow loads without a ValidationError is what the API accepts at its door.
        schema.load(body)
        assert "<<'JSON'" in code, operation
        assert code.rstrip().endswith("JSON"), operation
    # Verification takes a file, not JSON: its example sends one as multipart.
    assert '-F "file=@$FILE"' in examples["POST /api/v1/verify"]


def test_an_example_is_what_its_schema_says(client: FlaskClient) -> None:
    html = _page(client, "en")
    block = html.split('data-operation="POST /api/v1/achievements"', 1)[1].split("</figure>", 1)[0]
    body = json.loads(unescape(BODY.findall(block)[0]))
    spec = client.get("/api/v1/openapi.json").get_json()
    required = spec["components"]["schemas"]["AchievementInput"]["required"]
    assert sorted(body) == sorted(required)
    assert body["kind"] in spec["components"]["schemas"]["AchievementInput"]["properties"]["kind"]["enum"]
    assert re.fullmatch(r"lrn_[0-9a-z]{20}", body["learner"])


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    executable = find_chromium()
    if executable is None:
        pytest.fail("Chromium is not installed (apt-get install chromium, or set CREDITBANK_CHROMIUM)", pytrace=False)
    with sync_playwright() as driver:
        launched = driver.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"] if os.geteuid() == 0 else []
        )
        try:
            yield launched
        finally:
            launched.close()


def _open(chromium: Browser, client: FlaskClient, language: str) -> Page:
    context = chromium.new_context(viewport=PHONE, base_url=ORIGIN)
    # The visitor's language cookie, kept by the client that answers the browser's requests.
    client.set_cookie(i18n.COOKIE, language)

    def answer(route: Route) -> None:
        request = route.request
        headers = request.all_headers()
        reply = client.open(
            request.url.removeprefix(ORIGIN),
            method=request.method,
            headers={k: v for k, v in headers.items() if k.lower() not in {"host", "cookie"}},
        )
        route.fulfill(status=reply.status_code, headers=dict(reply.headers), body=reply.get_data())

    context.route(f"{ORIGIN}/**", answer)
    page = context.new_page()
    # The page is long (every operation and schema): a full-page screenshot of it takes a while on a busy machine.
    page.set_default_timeout(120_000)
    page.goto("/api/docs")
    return page


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_on_a_phone_the_page_fits_and_is_accessible(chromium: Browser, client: FlaskClient, language: str) -> None:
    page = _open(chromium, client, language)
    try:
        assert page.locator("html").get_attribute("lang") == i18n.html_tag(language)
        assert page.locator("h2#operations").inner_text() == HEADINGS[language]
        no_horizontal_scroll(page)
        # A long command scrolls inside its own box, which a keyboard can reach.
        widest = page.evaluate(
            "() => Math.max(...[...document.querySelectorAll('pre')].map(p => p.scrollWidth - p.clientWidth))"
        )
        assert widest > 0
        assert page.locator("pre").first.get_attribute("tabindex") == "0"
        snap(page, f"api-docs-{language}-375px")
        assert_accessible(page)
    finally:
        page.context.close()
