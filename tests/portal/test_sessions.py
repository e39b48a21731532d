"""Server-side portal sessions: the cookie holds a random token whose SHA-256 is the only thing stored; logout, a
password change and erasure end sessions at once (copied cookies included); idle and absolute limits; expiry."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterator
from datetime import UTC, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select, update

from creditbank import demo
from creditbank.models.accounts import PortalSession
from creditbank.runtime import Bank, bank_of
from creditbank.services.learner_access import accounts, portal_sessions
from creditbank.services.operations import housekeeping
from creditbank.services.records import learners, personal_records
from creditbank.services.records.api_keys import SCOPES, Principal
from tests.conftest import BACKENDS, configuration, database_url, running_app
from tests.portal.test_portal_pages import csrf, login

PASSWORD = "a long password 1"
COOKIE = "creditbank_session"


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Bank]]:
    folder = tmp_path_factory.mktemp("sessions")
    with running_app(configuration(database_url(request.param, request, folder), folder)) as app:
        bank = bank_of(app)
        demo.seed(bank, 1)
        yield app, bank


_people = iter(range(1, 10_000))


def fresh_account(bank: Bank) -> tuple[str, str]:
    """A newly enrolled learner with an activated account: (learner id, login name)."""
    number = next(_people)
    staff = Principal("test", "demo-university", frozenset(SCOPES))
    born = datetime.date(1950, 1, 1) + timedelta(days=number)
    enrolled = learners.enroll(bank, staff, learners.LearnerInput(birth_date=born, name_zh=f"学员{number}")).body
    name = f"learner-{number}-{enrolled['id'][-6:].lower()}"
    accounts.activate(bank, enrolled["activation_code"], born, PASSWORD, login_name=name)
    return enrolled["id"], name


def signed_in(app: Any, name: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, name, PASSWORD).status_code == 302
    return client


def cookie_of(client: FlaskClient) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    return cookie.value


def copy_of(app: Any, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of this one's cookie."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, cookie_of(client))
    return thief


def sessions_of(bank: Bank, learner: str) -> int:
    with bank.db.reading() as session:
        return session.scalar(select(func.count()).where(PortalSession.learner_id == learner)) or 0


def test_the_cookie_carries_a_random_token_and_the_server_keeps_only_its_digest(seeded: tuple[Any, Bank]) -> None:
    app, bank = seeded
    learner, name = fresh_account(bank)
    client = signed_in(app, name)
    content = URLSafeTimedSerializer(
        app.secret_key, salt="cookie-session", signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1}
    ).loads(cookie_of(client))
    assert set(content) <= {"sid", "csrf", "_flashes"}, content
    assert learner not in repr(content)
    with bank.db.reading() as session:
        rows = list(session.scalars(select(PortalSession).where(PortalSession.learner_id == learner)))
    assert [row.digest for row in rows] == [hashlib.sha256(content["sid"].encode()).digest()]


def test_a_copied_cookie_stops_working_at_logout(seeded: tuple[Any, Bank]) -> None:
    app, bank = seeded
    learner, name = fresh_account(bank)
    client = signed_in(app, name)
    thief = copy_of(app, client)
    assert thief.get("/me").status_code == 200
    page = client.get("/me").get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": csrf(page)}).status_code == 302
    assert sessions_of(bank, learner) == 0
    assert client.get("/me").status_code == 302
    refused = thief.get("/me")
    assert refused.status_code == 302
    assert refused.headers["Location"].startswith("/login")


def test_signing_in_again_replaces_the_session_and_the_csrf_token(seeded: tuple[Any, Bank]) -> None:
    app, bank = seeded
    learner, name = fresh_account(bank)
    client = app.test_client()
    before = csrf(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"login": name, "password": PASSWORD, "csrf_token": before}).status_code == 302
    after = csrf(client.get("/me").get_data(as_text=True))
    assert after != before
    old = copy_of(app, client)
    assert login(client, name, PASSWORD).status_code == 302
    # The browser's previous session ended when it signed in anew.
    assert old.get("/me").status_code == 302
    assert sessions_of(bank, learner) == 1


def test_a_password_change_ends_every_other_session(seeded: tuple[Any, Bank]) -> None:
    app, bank = seeded
    learner, name = fresh_account(bank)
    here, elsewhere = signed_in(app, name), signed_in(app, name)
    copied = copy_of(app, here)
    page = here.get("/me/password").get_data(as_text=True)
    changed = here.post(
        "/me/password",
        data={"current": PASSWORD, "password": "another password 2", "password_again": "another password 2",
              "csrf_token": csrf(page)},
    )  # fmt: skip
    assert changed.status_code == 302
    assert here.get("/me").status_code == 200  # carries on in a new session
    assert elsewhere.get("/me").status_code == 302
    assert copied.get("/me").status_code == 302  # the old token of this very browser is dead too
    assert sessions_of(bank, learner) == 1


def test_wrong_current_passwords_are_throttled_on_the_password_page(seeded: tuple[Any, Bank]) -> None:
    app, bank = seeded
    _, name = fresh_account(bank)
    client = signed_in(app, name)
    form = {"current": "not it at all", "password": "another password 2", "password_again": "another password 2"}
    statuses = []
    for _ in range(accounts.MAX_FAILURES + 1):
        page = client.get("/me/password").get_data(as_text=True)
        statuses.append(client.post("/me/password", data={**form, "csrf_token": csrf(page)}).status_code)
    assert statuses == [400] * accounts.MAX_FAILURES + [429]


def test_erasure_ends_every_session(seeded: tuple[Any, Bank]) -> None:
    app, bank = seeded
    learner, name = fresh_account(bank)
    here, elsewhere = signed_in(app, name), signed_in(app, name)
    page = here.get("/me/data").get_data(as_text=True)
    erased = here.post(
        "/me/data", data={"action": "erase", "confirm": "ERASE", "password": PASSWORD, "csrf_token": csrf(page)}
    )
    assert erased.status_code == 200
    assert sessions_of(bank, learner) == 0
    assert elsewhere.get("/me").status_code == 302


def test_a_new_activation_code_signs_out_whoever_held_the_old_password(seeded: tuple[Any, Bank]) -> None:
    app, bank = seeded
    learner, name = fresh_account(bank)
    client = signed_in(app, name)
    with bank.db.reading() as session:
        born = personal_records.identity_of(bank, session, learner)["birth_date"]  # type: ignore[index]
    accounts.activate(bank, accounts.new_code(bank, learner), born, "a recovered password")
    assert client.get("/me").status_code == 302
    assert login(app.test_client(), name, "a recovered password").status_code == 302


@pytest.mark.parametrize(
    ("created_ago", "seen_ago", "alive"),
    [
        (timedelta(minutes=10), timedelta(minutes=5), True),
        (timedelta(hours=1), portal_sessions.IDLE_TIMEOUT + timedelta(seconds=1), False),
        (portal_sessions.LIFETIME + timedelta(seconds=1), timedelta(seconds=5), False),
    ],
    ids=["active", "idle", "too-old"],
)
def test_sessions_end_when_idle_or_too_old(
    seeded: tuple[Any, Bank], created_ago: timedelta, seen_ago: timedelta, alive: bool
) -> None:
    app, bank = seeded
    learner, name = fresh_account(bank)
    client = signed_in(app, name)
    now = datetime.datetime.now(UTC)
    with bank.db.writing() as session:
        session.execute(
            update(PortalSession)
            .where(PortalSession.learner_id == learner)
            .values(created_at=now - created_ago, seen_at=now - seen_ago)
        )
    assert (client.get("/me").status_code == 200) is alive
    if alive:
        # A request moves the idle clock on.
        with bank.db.reading() as session:
            seen = session.scalar(select(PortalSession.seen_at).where(PortalSession.learner_id == learner))
        assert seen is not None
        assert seen > now - timedelta(seconds=30)


def test_the_expiry_job_removes_dead_sessions(seeded: tuple[Any, Bank]) -> None:
    _, bank = seeded
    idle, _ = fresh_account(bank)
    old, _ = fresh_account(bank)
    live, _ = fresh_account(bank)
    now = datetime.datetime.now(UTC)
    with bank.db.writing() as session:
        for learner in (idle, old, live):
            portal_sessions.begin(session, learner)
    with bank.db.writing() as session:
        session.execute(
            update(PortalSession)
            .where(PortalSession.learner_id == idle)
            .values(seen_at=now - portal_sessions.IDLE_TIMEOUT - timedelta(minutes=1))
        )
        session.execute(
            update(PortalSession)
            .where(PortalSession.learner_id == old)
            .values(created_at=now - portal_sessions.LIFETIME - timedelta(minutes=1))
        )
    removed = housekeeping.expire(bank)
    assert removed["portal_sessions"] >= 2
    assert (sessions_of(bank, idle), sessions_of(bank, old), sessions_of(bank, live)) == (0, 0, 1)
