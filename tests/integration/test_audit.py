"""The audit recomputes everything and names the first bad seq when storage was altered.

Every check runs both ways the audit reads a ledger: in one pass, and cut into chunks of 4 entries checked by two
worker processes (the way a large ledger is audited), which must find each alteration too and then give the
one-pass report."""

import pytest
from sqlalchemy import text

from creditbank.services.transparency import audit as audit_service
from creditbank.services.transparency import checkpoints
from tests.helpers import append
from tests.integration.test_ledger_store import drop_append_only_guards

CHUNKS = {"workers": 2, "chunk_level": 2, "parallel_min": 1}


def audit(bank, *, deep=False):
    """The one-pass report, after checking that the chunked audit agrees with it."""
    report = audit_service.audit(bank, deep=deep, workers=1)
    chunked = audit_service.audit(bank, deep=deep, **CHUNKS)
    # The chunks pass what the one pass passes, and never pass what it fails: that report is then the one pass's.
    assert chunked.workers == (2 if report.ok else 1)
    assert (chunked.ok, chunked.problems, chunked.first_bad_seq, chunked.first_bad_checkpoint) == (
        report.ok,
        report.problems,
        report.first_bad_seq,
        report.first_bad_checkpoint,
    )
    assert (chunked.entries, chunked.checkpoints, chunked.root) == (report.entries, report.checkpoints, report.root)
    return report


@pytest.fixture
def audited(bank):
    append(bank, 20)
    checkpoints.sign(bank)
    append(bank, 13)
    checkpoints.sign(bank)
    report = audit(bank)
    assert report.ok, report.problems
    assert report.entries == 33
    assert report.checkpoints == 2
    drop_append_only_guards(bank)
    return bank


def tamper(bank, statement: str, **params) -> None:
    with bank.db.engine.begin() as connection:
        connection.execute(text(statement), params)


def test_altered_body_is_named(audited):
    tamper(audited, "UPDATE ledger_bodies SET body = :b WHERE seq = 17", b=b'{"n":999}')
    report = audit(audited)
    assert not report.ok
    assert report.first_bad_seq == 17
    assert "seq 17" in report.problems[0]


def test_altered_public_entry_is_named(audited):
    tamper(audited, "UPDATE ledger_entries SET actor = 'inst:mallory' WHERE seq = 25")
    report = audit(audited)
    assert report.first_bad_seq == 25


def test_rewritten_entry_with_matching_hashes_still_breaks_the_signed_root(audited):
    # Rewrite seq 4 consistently (body, public bytes, leaf and subtree hashes) as an insider could.
    from creditbank import ledger_store
    from ledger.entry import PublicEntry, commitment
    from ledger.merkle import leaf_hash
    from ledger.subtrees import CompactRange

    with audited.db.reading() as session:
        row, body = ledger_store.get_entry(session, 4)
        publics = [bytes(p) for (p,) in session.execute(text("SELECT public FROM ledger_entries ORDER BY seq"))]
    salt = bytes(body.salt)
    forged_body = b'{"n":4,"pad":"forged"}'
    entry = PublicEntry(4, row.kind, row.time, row.actor, commitment(salt, forged_body))
    publics[4] = entry.canonical()
    tree = CompactRange()
    nodes = [b"".join(tree.append(leaf_hash(p))) for p in publics]
    tamper(audited, "UPDATE ledger_bodies SET body = :b WHERE seq = 4", b=forged_body)
    for seq, blob in enumerate(nodes):
        tamper(
            audited, "UPDATE ledger_entries SET public = :p, nodes = :n WHERE seq = :s", p=publics[seq], n=blob, s=seq
        )
    report = audit(audited)
    assert not report.ok
    assert any(p.startswith("checkpoint at size 20:") for p in report.problems)
    # Every entry is consistent in itself: what is bad is the checkpoint, and it is named as one.
    assert report.first_bad_checkpoint == 20
    assert report.first_bad_seq is None


def test_deleted_entry_is_named(audited):
    tamper(audited, "DELETE FROM ledger_bodies WHERE seq = 9")
    tamper(audited, "DELETE FROM ledger_entries WHERE seq = 9")
    report = audit(audited)
    assert report.first_bad_seq == 9


def test_forged_checkpoint_signature_is_found(audited):
    tamper(audited, "UPDATE ledger_checkpoints SET note = replace(note, '\n20\n', '\n21\n') WHERE size = 20")
    report = audit(audited)
    assert not report.ok
    assert report.problems[0].startswith("checkpoint at size 20:")
    assert report.first_bad_checkpoint == 20
    assert report.first_bad_seq is None


def test_deep_audit_finds_non_canonical_body(audited):
    from creditbank import ledger_store
    from ledger.entry import PublicEntry, commitment
    from ledger.merkle import leaf_hash

    # A body whose commitment matches but whose bytes are not canonical (extra space) is only
    # visible to the deep audit; placed at the last seq so only that leaf changes.
    with audited.db.reading() as session:
        row, body = ledger_store.get_entry(session, 32)
    loose = b'{"n": 12}'
    entry = PublicEntry(32, row.kind, row.time, row.actor, commitment(bytes(body.salt), loose))
    assert leaf_hash(entry.canonical()) != bytes(row.nodes[:32])
    tamper(audited, "UPDATE ledger_bodies SET body = :b WHERE seq = 32", b=loose)
    assert audit(audited, deep=True).first_bad_seq == 32


# --- values of the wrong type --------------------------------------------------------------------------------------

# (table, column, the seq or checkpoint size changed, what the finding says). SQLite stores whatever a statement
# gives it, so one row gets a value of the other type; PostgreSQL enforces column types, so there the whole column
# is converted, as a schema changed behind the bank's back would leave it.
WRONG_TYPES = [
    pytest.param("ledger_bodies", "body", "text", id="body-as-text"),
    pytest.param("ledger_bodies", "salt", "text", id="salt-as-text"),
    pytest.param("ledger_entries", "public", "text", id="public-as-text"),
    pytest.param("ledger_entries", "nodes", "text", id="nodes-as-text"),
    pytest.param("ledger_entries", "kind", "bytes", id="kind-as-bytes"),
    pytest.param("ledger_entries", "time", "bytes", id="time-as-bytes"),
]


def retype(bank, table: str, column: str, to: str, seq: int) -> None:
    key = "size" if table == "ledger_checkpoints" else "seq"
    if bank.db.dialect == "postgresql":
        target, using = (
            ("text", f"encode({column}, 'escape')") if to == "text" else ("bytea", f"convert_to({column}, 'UTF8')")
        )
        tamper(bank, f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {target} USING {using}")
        return
    with bank.db.engine.begin() as connection:
        (value,) = connection.execute(text(f"SELECT {column} FROM {table} WHERE {key} = :k"), {"k": seq}).one()
    # The same content in the other type: text for bytes (as a careless import would write it), bytes for text.
    changed = bytes(value).decode("latin-1") if to == "text" else str(value).encode()
    tamper(bank, f"UPDATE {table} SET {column} = :v WHERE {key} = :k", v=changed, k=seq)


@pytest.mark.parametrize(("table", "column", "to"), WRONG_TYPES)
def test_a_value_of_the_wrong_type_is_a_finding_naming_its_seq(audited, table, column, to):
    retype(audited, table, column, to, 17)
    report = audit(audited, deep=True)
    assert not report.ok
    expected = 0 if audited.db.dialect == "postgresql" else 17
    assert report.first_bad_seq == expected
    wanted = f"seq {expected}: {column} is stored as {'text' if to == 'text' else 'bytes'}, not"
    assert report.problems[0].startswith(wanted), report.problems
    # It does not stop the audit: every entry and checkpoint is still counted.
    assert report.entries == 33
    assert report.checkpoints == 2


@pytest.mark.parametrize(("column", "to"), [("note", "bytes"), ("root", "text")])
def test_a_checkpoint_of_the_wrong_type_is_named_as_a_checkpoint(audited, column, to):
    retype(audited, "ledger_checkpoints", column, to, 20)
    report = audit(audited)
    assert not report.ok
    assert report.first_bad_checkpoint == 20
    assert report.first_bad_seq is None
    assert report.problems[0].startswith(f"checkpoint at size 20: {column} is stored as"), report.problems


def test_a_body_that_is_not_json_fails_the_deep_audit_without_a_traceback(audited):
    tamper(audited, "UPDATE ledger_bodies SET body = :b WHERE seq = 32", b=b"\xff{not json")
    report = audit(audited, deep=True)
    assert report.first_bad_seq == 32
    assert "seq 32: stored body is not canonical JSON" in report.problems


def test_the_audit_command_names_the_seq_and_exits_1(audited, tmp_path):
    from click.testing import CliRunner

    from creditbank.cli import main

    retype(audited, "ledger_bodies", "body", "text", 17)
    settings = audited.settings
    env = {
        "CREDITBANK_DATABASE_URL": str(settings["CREDITBANK_DATABASE_URL"]),
        "CREDITBANK_INSTANCE_PATH": str(audited.instance_path),
        "CREDITBANK_KEY_PASSPHRASE": str(settings.get("CREDITBANK_KEY_PASSPHRASE") or ""),
    }
    result = CliRunner().invoke(main, ["ledger", "audit"], env=env)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    seq = 0 if audited.db.dialect == "postgresql" else 17
    assert f"first bad seq {seq}" in result.output
    assert f"seq {seq}: body is stored as text, not bytes" in result.output


def test_chunks_join_into_the_tree_and_its_checkpoints(bank):
    # Checkpoints at a chunk end where chunk roots merge (16), inside a chunk (7) and at 0; 37 leaves leave a
    # partial last chunk.
    checkpoints.sign(bank)
    append(bank, 7)
    checkpoints.sign(bank)
    append(bank, 9)
    checkpoints.sign(bank)
    append(bank, 21)
    checkpoints.sign(bank)
    progress: list[int] = []
    report = audit_service.audit(bank, progress=progress.append, **CHUNKS)
    one_pass = audit_service.audit(bank, workers=1)
    assert report.ok, report.problems
    assert report.workers == 2
    assert (report.entries, report.checkpoints, report.root) == (37, 4, one_pass.root)
    assert progress == [*range(4, 37, 4), 37]


@pytest.mark.parametrize("seq", [15, 31, 32], ids=["chunk-end", "chunk-end-merging", "last-leaf"])
def test_extra_bytes_after_a_leaf_s_nodes_are_named(audited, seq):
    # A chunk's last leaf keeps the nodes above the chunk root; bytes added there must not pass as such nodes.
    with audited.db.reading() as session:
        (nodes,) = session.execute(text("SELECT nodes FROM ledger_entries WHERE seq = :s"), {"s": seq}).one()
    tamper(audited, "UPDATE ledger_entries SET nodes = :n WHERE seq = :s", n=bytes(nodes) + b"\x00" * 32, s=seq)
    report = audit(audited)
    assert report.first_bad_seq == seq
