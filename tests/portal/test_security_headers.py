"""Security headers on every answer, found by walking the URL map: every GET route is requested (path parameters
filled with real or plausible values, signed in and not), and every HTML answer must carry the policy. Absolute URLs
come from CREDITBANK_PUBLIC_URL whatever Host header a client sends."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from creditbank import demo, web_headers
from creditbank.models import Achievement
from creditbank.runtime import Bank, bank_of
from creditbank.services import credentials
from creditbank.services.learner_access import sharing
from creditbank.services.recognition import applications
from creditbank.services.recognition.evidence_files import EvidenceFile
from tests.conftest import BACKENDS, configuration, database_url, running_app
from tests.portal.test_portal_pages import csrf, login

_PARAMETER = re.compile(r"<(?:[^>]*:)?(\w+)>")


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Bank]]:
    folder = tmp_path_factory.mktemp("headers")
    with running_app(configuration(database_url(request.param, request, folder), folder)) as app:
        bank = bank_of(app)
        demo.seed(bank, 1)
        yield app, bank


def _values(bank: Bank) -> dict[str, list[str]]:
    """For each path parameter, a real value (the page answers with content) and a made-up one (its refusal)."""
    found = demo.demo_login(bank)
    assert found is not None
    learner = found[0]
    credential = credentials.issue(bank, None, credentials.Request(learner, "transcript"))["id"]
    with bank.db.reading() as session:
        achievement = session.scalars(select(Achievement.id).where(Achievement.learner_id == learner)).first()
    assert achievement is not None
    scan = EvidenceFile(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16, "scan.png", "Evening class")
    application = applications.apply(bank, applications.Applicant.learner(), learner, [scan])["id"]
    return {
        "achievement_id": [achievement, "ach_00000000000000000000"],
        "learner_id": [learner, "lrn_00000000000000000000"],
        "credential_id": [credential, "urn:uuid:00000000-0000-4000-8000-000000000000"],
        "framework_id": ["eqf", "no-such-framework"],
        "institution_id": ["demo-university", "no-such-institution"],
        "code": ["en", "xx"],
        "seq": ["1", "999999"],
        "token": [sharing.create(bank, learner, 7, None), "not-a-token"],
        "name": ["1-revocation", "no-such-list"],
        "filename": ["site.css"],
        "import_id": ["imp_00000000000000000000"],
        "agreement_id": ["no-such-agreement"],
        "application_id": [application, "rap-00000000000000000000"],
        "number": ["1", "2"],
        # Tile paths: one within the demo's small tree (or refused as misspelled on the entries route) and one past it.
        "path": ["0/000.p/1", "9/x999/999"],
        "exchange_id": ["A" * 43],
    }


def _paths(app: Any, values: dict[str, list[str]]) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        names = _PARAMETER.findall(rule.rule)
        missing = [name for name in names if name not in values]
        assert not missing, f"{rule.rule}: give the walk a value for {missing}"
        for choice in range(max((len(values[name]) for name in names), default=1)):
            chosen = {name: values[name][min(choice, len(values[name]) - 1)] for name in names}
            paths.append(_PARAMETER.sub(lambda m, chosen=chosen: chosen[m.group(1)], rule.rule))
    return sorted(set(paths))


def _script_policy(policy: str) -> str:
    directives = {part.split()[0]: part for part in (d.strip() for d in policy.split(";")) if part}
    return directives.get("script-src", directives.get("default-src", ""))


def _check(path: str, answer: Any) -> bool:
    headers = answer.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", path
    personal = path in ("/me", "/login", "/activate") or path.startswith(("/me/", "/s/"))
    if personal:
        assert headers.get("Cache-Control") == "no-store", (path, headers.get("Cache-Control"))
    if answer.mimetype != "text/html":
        return False
    policy = headers.get("Content-Security-Policy", "")
    assert policy, path
    script = _script_policy(policy)
    assert script, (path, policy)
    assert "'unsafe-inline'" not in script, (path, policy)
    assert "'unsafe-eval'" not in script, (path, policy)
    assert "frame-ancestors 'none'" in policy, path
    assert headers.get("X-Frame-Options") == "DENY", path
    assert headers.get("Referrer-Policy") == "same-origin", path
    body = answer.get_data(as_text=True)
    # Nothing a policy without inline scripts would block: no script elements, no event handler attributes.
    # The one script file a page may load is the site's own, and only where the policy allows 'self'.
    own = '<script src="/static/portal.js" defer></script>'
    assert own not in body or "script-src 'self'" in policy, path
    assert not re.search(r"<script\b|\son[a-z]+\s*=|javascript:", body.replace(own, ""), re.IGNORECASE), path
    return True


def test_every_get_route_answers_with_the_security_headers(seeded: tuple[Any, Bank]) -> None:
    app, bank = seeded
    values = _values(bank)
    found = demo.demo_login(bank)
    assert found is not None
    visitor, learner = app.test_client(), app.test_client()
    assert login(learner, found[1], found[2]).status_code == 302
    html = set()
    paths = [*_paths(app, values), "/no/such/page"]
    for client in (visitor, learner):
        for path in paths:
            answer = client.get(path)
            assert answer.status_code < 500, (path, answer.status_code)
            if _check(path, answer):
                html.add(path)
    # The walk really saw the portal's pages, the public pages and the error pages.
    for expected in ("/", "/login", "/activate", "/me", "/me/credits", "/me/share", "/verify", "/api/docs"):
        assert expected in html, expected
    assert any(path.startswith("/s/") for path in html)
    assert any(path.startswith("/v/") for path in html)
    assert len(html) >= 20, sorted(html)


def test_answers_to_forms_carry_them_too(seeded: tuple[Any, Bank]) -> None:
    app, _ = seeded
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    refused = client.post(
        "/login", data={"login": "x@example.org", "password": "wrong password", "csrf_token": csrf(page)}
    )
    assert refused.status_code == 401
    assert _check("/login", refused)
    forged = client.post("/activate", data={})
    assert forged.status_code == 400
    assert _check("/activate", forged)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("public_url", "hsts"), [("https://bank.example", True), ("http://bank.example", False)])
def test_hsts_only_when_the_public_address_is_https(
    backend: str, public_url: str, hsts: bool, request: pytest.FixtureRequest, tmp_path: Any
) -> None:
    config = configuration(database_url(backend, request, tmp_path), tmp_path)
    config["CREDITBANK_PUBLIC_URL"] = public_url
    with running_app(config) as app:
        for path in ("/", "/login", "/ledger/checkpoint"):
            header = app.test_client().get(path).headers.get("Strict-Transport-Security")
            assert (header == web_headers.HSTS) if hsts else header is None, (path, header)


def test_share_links_name_the_public_address_not_the_host_header(seeded: tuple[Any, Bank]) -> None:
    app, bank = seeded
    found = demo.demo_login(bank)
    assert found is not None
    client: FlaskClient = app.test_client()
    assert login(client, found[1], found[2]).status_code == 302
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    # The browser sends its cookie to whatever host it thinks it is talking to.
    cookie = client.get_cookie("creditbank_session")
    assert cookie is not None
    client.set_cookie("creditbank_session", cookie.value, domain="evil.example")
    page = client.get("/me/share", headers=forged).get_data(as_text=True)
    made = client.post("/me/share", data={"scope": "whole", "days": "7", "csrf_token": csrf(page)}, headers=forged)
    assert made.status_code == 200
    link = re.search(r'id="share-url" value="([^"]+)"', made.get_data(as_text=True))
    assert link is not None
    public = app.config["CREDITBANK_PUBLIC_URL"]
    assert link.group(1).startswith(public + "/s/"), link.group(1)
    assert "evil.example" not in made.get_data(as_text=True)
