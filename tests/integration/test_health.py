"""`/health` and `/ready`: readiness follows the database, the migrations and the checkpoint's freshness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from creditbank import ledger_store
from creditbank.services.operations import health
from creditbank.services.transparency import checkpoints
from tests.helpers import register


def test_health_answers_and_an_empty_bank_is_ready(client) -> None:
    assert client.get("/health").get_json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200, ready.get_json()
    assert ready.get_json()["ready"] is True


def test_a_grown_tree_without_a_fresh_checkpoint_is_not_ready(client, bank) -> None:
    register(bank, "uni-a")
    checkpoints.sign(bank)
    assert client.get("/ready").status_code == 200
    register(bank, "uni-b")  # the tree grows; no checkpoint covers it yet
    later = datetime.now(UTC) + timedelta(seconds=health.MAX_CHECKPOINT_AGE + 1)
    stale = health.readiness(bank, now=later)
    assert stale["ready"] is False
    assert stale["checks"]["checkpoint"]["ok"] is False
    assert health.readiness(bank)["checks"]["checkpoint"]["ok"] is True  # signed moments ago: still fresh
    checkpoints.sign(bank)
    with bank.db.reading() as session:
        size = ledger_store.tree_size(session)
    fresh = health.readiness(bank, now=later)
    assert fresh["ready"] is True
    assert fresh["checks"]["checkpoint"]["signed_size"] == size


def test_an_outdated_schema_is_not_ready(client, bank) -> None:
    with bank.db.writing() as session:
        session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    answer = client.get("/ready")
    assert answer.status_code == 503
    assert answer.get_json()["checks"]["migrations"]["ok"] is False


# --- what the scheduler's ledger checks found ------------------------------------------------------------------


def _forge(bank, size: int) -> None:
    import hashlib

    from creditbank.models import LedgerCheckpoint
    from ledger.note import Checkpoint, sign_note

    root = hashlib.sha256(b"another history").digest()
    note = sign_note(Checkpoint(bank.origin, size, root).text(), [bank.log_signer()])
    with bank.db.writing() as session:
        session.add(LedgerCheckpoint(size=size, root=root, note=str(note), signed_at=datetime.now(UTC)))


def test_damage_found_by_the_daily_audit_makes_the_bank_unready_until_an_audit_passes(client, bank) -> None:
    from creditbank.scheduler import Scheduler
    from tests.helpers import append
    from tests.integration.test_ledger_store import drop_append_only_guards

    append(bank, 5)
    checkpoints.sign(bank)
    jobs = Scheduler(bank)
    jobs.active = True
    jobs._audit()
    ready = client.get("/ready").get_json()
    assert ready["ready"] is True
    assert ready["checks"]["audit"]["ok"] is True
    assert "passed" in ready["checks"]["audit"]["detail"]

    drop_append_only_guards(bank)
    with bank.db.engine.begin() as connection:
        connection.execute(text("UPDATE ledger_bodies SET body = :b WHERE seq = 3"), {"b": b'{"n":999}'})
    jobs._audit()
    answer = client.get("/ready")
    assert answer.status_code == 503
    audit_check = answer.get_json()["checks"]["audit"]
    assert audit_check["ok"] is False
    assert "first bad seq 3" in audit_check["detail"]
    assert audit_check["checked_at"]
    # Another worker (another app on the same database) sees the same answer.
    assert health.readiness(bank)["ready"] is False


def test_a_monitor_failure_makes_the_bank_unready_on_every_worker(client, bank) -> None:
    from creditbank.scheduler import Scheduler
    from creditbank.services.transparency import audit, findings
    from tests.helpers import append

    append(bank, 3)
    _forge(bank, 3)
    jobs = Scheduler(bank)
    jobs.active = True
    jobs._monitor()
    jobs._monitor()  # recorded once, reported each time
    answer = client.get("/ready")
    assert answer.status_code == 503
    monitor = answer.get_json()["checks"]["monitor"]
    assert monitor["ok"] is False
    assert "does not reproduce" in monitor["detail"]
    # A failing audit leaves it standing; only a passing one clears it (here: after the forged row is gone).
    report = audit.audit(bank)
    assert not report.ok
    audit.record(bank, report)
    assert findings.current(bank)["monitor"].ok is False
    from tests.integration.test_ledger_store import drop_append_only_guards

    drop_append_only_guards(bank)
    with bank.db.engine.begin() as connection:
        connection.execute(text("DELETE FROM ledger_checkpoints WHERE size = 3"))
    checkpoints.sign(bank)
    audit.record(bank, audit.audit(bank))
    ready = client.get("/ready").get_json()
    assert ready["ready"] is True, ready
    assert "cleared by a passing audit" in ready["checks"]["monitor"]["detail"]


def test_a_checkpoint_stored_with_the_wrong_type_is_damage_the_monitor_reports(client, bank) -> None:
    from creditbank.scheduler import Scheduler
    from tests.helpers import append
    from tests.integration.test_audit import retype
    from tests.integration.test_ledger_store import drop_append_only_guards

    append(bank, 4)
    checkpoints.sign(bank)
    drop_append_only_guards(bank)
    retype(bank, "ledger_checkpoints", "note", "bytes", 4)
    jobs = Scheduler(bank)
    jobs.active = True
    jobs._monitor()  # reported, not raised: the job does not end in a traceback
    monitor = client.get("/ready").get_json()["checks"]["monitor"]
    assert monitor["ok"] is False
    assert "cannot be checked" in monitor["detail"]
