"""The scheduler's jobs one by one: the checkpoint self-monitor and expiry (status-list catch-up is tested with
the credentials, in tests/credentials/test_status_catch_up.py)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from creditbank import ledger_store
from creditbank.models import (
    ActivationCode,
    LedgerCheckpoint,
    LoginThrottle,
    ShareLink,
    StaffSession,
    WalletExchange,
)
from creditbank.runtime import Bank
from creditbank.services.operations import housekeeping
from creditbank.services.staff import sessions as staff_sessions
from creditbank.services.transparency import checkpoints
from creditbank.services.transparency.monitor import Monitor, MonitorFailure
from ledger.note import Checkpoint, NoteSigner, sign_note
from tests.helpers import append

# --- self-monitor ---------------------------------------------------------------------------------------------


def test_the_monitor_follows_a_growing_ledger(bank: Bank) -> None:
    monitor = Monitor(bank)
    assert monitor.check() is None  # nothing signed yet
    append(bank, 5)
    checkpoints.sign(bank)
    assert monitor.check() is True
    assert monitor.check() is None
    for count in (1, 6, 17):
        append(bank, count)
        checkpoints.sign(bank)
        assert monitor.check() is True
    assert monitor.seen is not None
    assert monitor.seen.size == 29


def _forge(bank: Bank, size: int, root: bytes, signer: NoteSigner | None = None) -> None:
    note = sign_note(Checkpoint(bank.origin, size, root).text(), [signer or bank.log_signer()])
    with bank.db.writing() as session:
        session.add(LedgerCheckpoint(size=size, root=root, note=str(note), signed_at=datetime.now(UTC)))


def test_the_monitor_catches_a_checkpoint_that_forks_the_tree(bank: Bank) -> None:
    monitor = Monitor(bank)
    append(bank, 4)
    checkpoints.sign(bank)
    assert monitor.check() is True
    append(bank, 3)
    # Signed with the real key, but over a root the stored tree does not have: what a stolen key or a rewritten
    # database would produce.
    _forge(bank, 7, hashlib.sha256(b"another history").digest())
    with pytest.raises(MonitorFailure, match="not consistent"):
        monitor.check()
    with pytest.raises(MonitorFailure):
        monitor.check()  # it keeps saying so
    assert monitor.seen is not None
    assert monitor.seen.size == 4


def test_the_monitor_catches_a_checkpoint_signed_by_another_key(bank: Bank) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    monitor = Monitor(bank)
    append(bank, 2)
    checkpoints.sign(bank)
    assert monitor.check() is True
    append(bank, 2)
    with bank.db.reading() as session:
        root = ledger_store.root_at(session, 4)
    _forge(bank, 4, root, NoteSigner(bank.origin, Ed25519PrivateKey.generate()))
    with pytest.raises(MonitorFailure, match="log key"):
        monitor.check()


def test_a_fresh_monitor_checks_the_latest_checkpoint_against_the_stored_tree(bank: Bank) -> None:
    append(bank, 3)
    _forge(bank, 3, hashlib.sha256(b"not this tree").digest())
    with pytest.raises(MonitorFailure, match="does not reproduce"):
        Monitor(bank).check()


def test_a_monitor_failure_is_reported_by_the_scheduler_not_raised(
    bank: Bank, caplog: pytest.LogCaptureFixture
) -> None:
    from creditbank.scheduler import Scheduler

    append(bank, 3)
    _forge(bank, 3, hashlib.sha256(b"not this tree").digest())
    jobs = Scheduler(bank)
    jobs.active = True
    jobs._monitor()
    assert any(record.levelname == "CRITICAL" and "ledger monitor" in record.getMessage() for record in caplog.records)


# --- expiry ---------------------------------------------------------------------------------------------------


def test_expiry_removes_only_what_has_been_dead_past_the_retention(bank: Bank) -> None:
    now = datetime.now(UTC)
    long_ago, lately = now - housekeeping.RETENTION - timedelta(days=1), now - timedelta(days=2)
    with bank.db.writing() as session:
        for name, expires, revoked in (
            ("old-expired", long_ago, None),
            ("old-revoked", now + timedelta(days=5), long_ago),
            ("recently-expired", lately, None),
            ("recently-revoked", now + timedelta(days=5), lately),
            ("live", now + timedelta(days=5), None),
        ):
            session.add(
                ShareLink(
                    digest=hashlib.sha256(name.encode()).digest(),
                    id=name,
                    learner_id="lrn_x",
                    achievements=None,
                    created_at=long_ago - timedelta(days=30),
                    expires_at=expires,
                    revoked_at=revoked,
                    opens=0,
                )
            )
        for name, expires, used in (
            ("old-code", long_ago, None),
            ("old-used", now + timedelta(days=3), long_ago),
            ("recent-code", lately, None),
            ("live-code", now + timedelta(days=3), None),
        ):
            session.add(
                ActivationCode(
                    digest=hashlib.sha256(name.encode()).digest(),
                    learner_id="lrn_x",
                    created_at=long_ago - timedelta(days=14),
                    expires_at=expires,
                    used_at=used,
                )
            )
        stale = now - housekeeping.EXCHANGE_RETENTION - timedelta(minutes=1)
        for name, expires, holder in (
            ("stale-pending", stale, None),
            ("stale-delivered", stale, "did:key:z6MkDelivered"),
            ("lately-expired", now - timedelta(hours=1), None),
            ("open", now + timedelta(minutes=5), None),
        ):
            session.add(
                WalletExchange(
                    digest=hashlib.sha256(name.encode()).digest(),
                    learner_id="lrn_x",
                    credential_id="cred-x",
                    challenge=name,
                    created_at=expires - timedelta(minutes=10),
                    expires_at=expires,
                    state="done" if holder else "pending",
                    rounds=0,
                    holder_did=holder,
                )
            )
        session.add(LoginThrottle(key="ip:192.0.2.1", failures=3, window_start=now - timedelta(hours=2)))
        session.add(
            LoginThrottle(
                key="account:locked",
                failures=5,
                window_start=now - timedelta(hours=1),
                locked_until=now + timedelta(minutes=5),
            )
        )
        session.add(LoginThrottle(key="account:fresh", failures=1, window_start=now - timedelta(minutes=1)))
        for name, began, seen in (
            ("idle", now - timedelta(hours=1), now - staff_sessions.IDLE_TIMEOUT - timedelta(seconds=1)),
            ("too-long", now - staff_sessions.LIFETIME - timedelta(seconds=1), now),
            ("working", now - timedelta(hours=1), now - timedelta(minutes=1)),
        ):
            session.add(
                StaffSession(
                    digest=hashlib.sha256(name.encode()).digest(),
                    staff_id="stf-x",
                    created_at=began,
                    seen_at=seen,
                    authenticated_at=began,
                )
            )

    assert housekeeping.expire(bank) == {
        "share_links": 2,
        "activation_codes": 2,
        "wallet_exchanges": 1,
        "login_windows": 1,
        "portal_sessions": 0,
        "staff_sessions": 2,
        "spreadsheet_imports": 0,
    }
    with bank.db.reading() as session:
        assert sorted(session.scalars(select(ShareLink.id))) == ["live", "recently-expired", "recently-revoked"]
        assert session.scalar(select(func.count()).select_from(ActivationCode)) == 2
        assert sorted(session.scalars(select(LoginThrottle.key))) == ["account:fresh", "account:locked"]
        assert sorted(session.scalars(select(WalletExchange.challenge))) == [
            "lately-expired",
            "open",
            "stale-delivered",
        ]
        assert list(session.scalars(select(StaffSession.digest))) == [hashlib.sha256(b"working").digest()]
    assert housekeeping.expire(bank) == {
        "share_links": 0,
        "activation_codes": 0,
        "wallet_exchanges": 0,
        "login_windows": 0,
        "portal_sessions": 0,
        "staff_sessions": 0,
        "spreadsheet_imports": 0,
    }


def test_the_daily_audit_reports_a_forged_checkpoint(bank: Bank, caplog: pytest.LogCaptureFixture) -> None:
    from creditbank import metrics
    from creditbank.scheduler import Scheduler

    append(bank, 5)
    checkpoints.sign(bank)
    jobs = Scheduler(bank)
    jobs.active = True
    passed = metrics.AUDITS.labels("pass")._value.get()
    jobs._audit()
    assert metrics.AUDITS.labels("pass")._value.get() == passed + 1
    append(bank, 2)
    _forge(bank, 7, hashlib.sha256(b"another history").digest())
    failed = metrics.AUDITS.labels("fail")._value.get()
    jobs._audit()
    assert metrics.AUDITS.labels("fail")._value.get() == failed + 1
    alerts = [record for record in caplog.records if record.levelname == "CRITICAL"]
    assert len(alerts) == 1
    assert alerts[0].fields["alert"] == "ledger-audit"  # type: ignore[attr-defined]
