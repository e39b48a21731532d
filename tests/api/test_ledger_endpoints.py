"""The public ledger endpoints answer what DESIGN §2 promises, and bad parameters never 500."""

import base64

import pytest
import rfc8785

from creditbank import ledger_store
from creditbank.services.records import api_keys
from creditbank.services.transparency import checkpoints
from ledger.entry import commitment, parse_public_entry
from ledger.merkle import leaf_hash, verify_consistency, verify_inclusion
from ledger.note import NoteVerifier, open_note, parse_checkpoint
from tests.helpers import append, register


def signed_root(client) -> tuple[int, bytes]:
    verifier = NoteVerifier.from_vkey(client.get("/ledger/key").text)
    body = parse_checkpoint(open_note(client.get("/ledger/checkpoint").text, [verifier]).text)
    assert body.origin == "bank.test/creditbank"
    return body.size, body.root


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == status
    assert problem["type"].startswith("https://")
    assert problem["title"]
    assert problem["detail"]
    return problem


def test_no_checkpoint_yet_is_a_problem(client):
    assert_problem(client.get("/ledger/checkpoint"), 404)


def test_checkpoint_entries_and_proofs_verify(client, bank):
    append(bank, 5)
    checkpoints.sign(bank)
    first_size, first_root = signed_root(client)
    append(bank, 8)
    checkpoints.sign(bank)
    size, root = signed_root(client)
    assert (first_size, size) == (5, 13)
    for seq in (0, 6, 12):
        entry = client.get(f"/ledger/entries/{seq}").get_json()
        assert "body" not in entry
        assert "salt" not in entry
        leaf = base64.b64decode(entry["leaf_hash"])
        assert leaf_hash(rfc8785.dumps(entry["entry"])) == leaf
        proof = client.get(f"/ledger/proofs/inclusion?seq={seq}&size={size}").get_json()
        assert proof["leaf_hash"] == entry["leaf_hash"]
        assert verify_inclusion(leaf, seq, size, [base64.b64decode(h) for h in proof["proof"]], root)
    consistency = client.get(f"/ledger/proofs/consistency?from={first_size}&to={size}").get_json()
    hashes = [base64.b64decode(h) for h in consistency["proof"]]
    assert verify_consistency(first_size, size, first_root, root, hashes)
    same = client.get(f"/ledger/proofs/consistency?from={size}&to={size}").get_json()
    assert same["proof"] == []


def test_writer_sees_its_body_and_salt_others_do_not(client, bank):
    register(bank, "uni-a")
    register(bank, "uni-b")
    with bank.db.writing() as session:
        (recorded,) = ledger_store.append(session, [ledger_store.NewEntry("test.entry", "inst:uni-a", {"k": "v"})])
    own = api_keys.issue(bank, "uni-a").token
    other = api_keys.issue(bank, "uni-b").token
    mine = client.get(f"/ledger/entries/{recorded.seq}", headers={"Authorization": f"Bearer {own}"}).get_json()
    assert mine["body"] == {"k": "v"}
    public = parse_public_entry(mine["entry"])
    assert public.commitment == commitment(base64.b64decode(mine["salt"]), mine["body"])
    theirs = client.get(f"/ledger/entries/{recorded.seq}", headers={"Authorization": f"Bearer {other}"}).get_json()
    assert "body" not in theirs
    assert_problem(client.get("/ledger/entries/0", headers={"Authorization": "Bearer nonsense"}), 401)


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("/ledger/proofs/inclusion", 400),
        ("/ledger/proofs/inclusion?seq=1", 400),
        ("/ledger/proofs/inclusion?size=3", 400),
        ("/ledger/proofs/inclusion?seq=-1&size=3", 400),
        ("/ledger/proofs/inclusion?seq=abc&size=3", 400),
        ("/ledger/proofs/inclusion?seq=1&size=0", 400),
        ("/ledger/proofs/inclusion?seq=3&size=3", 400),
        ("/ledger/proofs/inclusion?seq=1&size=99", 404),
        ("/ledger/proofs/consistency?from=3", 400),
        ("/ledger/proofs/consistency?from=0&to=3", 400),
        ("/ledger/proofs/consistency?from=4&to=3", 400),
        ("/ledger/proofs/consistency?from=1&to=99", 404),
        ("/ledger/proofs/consistency?from=x&to=3", 400),
        ("/ledger/entries/-1", 400),
        ("/ledger/entries/99", 404),
        ("/ledger/entries/abc", 400),
        # past a 64-bit integer: no entry, rather than a query the database cannot run
        ("/ledger/entries/2262732311669079520837632", 404),
        ("/ledger/entries/9223372036854775808", 404),
    ],
)
def test_bad_parameters_are_problems_not_errors(client, bank, query, status):
    append(bank, 5)
    checkpoints.sign(bank)
    assert_problem(client.get(query), status)


def test_field_errors_name_the_field(client, bank):
    append(bank, 2)
    checkpoints.sign(bank)
    problem = assert_problem(client.get("/ledger/proofs/inclusion?seq=x&size=2"), 400)
    assert "seq" in problem["errors"]


def test_a_consistency_proof_names_both_sizes(client, bank):
    append(bank, 3)
    checkpoints.sign(bank)
    append(bank, 2)
    checkpoints.sign(bank)
    proof = client.get("/ledger/proofs/consistency?from=3&to=5").get_json()
    assert (proof["from"], proof["to"]) == (3, 5)
    assert proof["proof"]
