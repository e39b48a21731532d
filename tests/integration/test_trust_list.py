"""The trust list: entries in the ledger, versions, removal, validation of DIDs, names, dates and mappings, replay,
and the public list over the API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, text

from creditbank import ledger_store
from creditbank.errors import InvalidInput, NotFound
from creditbank.models import TrustedIssuer
from creditbank.projections import replay
from creditbank.runtime import Bank
from creditbank.services.credits import credit_rules
from creditbank.services.recognition import trust_list
from tests.integration.credit_world import FRAMEWORK, OUTCOME

DID = "did:web:bank-a.example"
KEY_DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


@pytest.fixture
def published(bank: Bank) -> Bank:
    credit_rules.publish_framework(bank, FRAMEWORK, source="test")
    credit_rules.propose_outcomes(bank, [OUTCOME], actor="bank", source="test")
    credit_rules.approve_outcome(bank, "DL-1", "reviewer-1")
    return bank


def _bodies(bank: Bank, kind: str) -> list[dict[str, Any]]:
    found = []
    with bank.db.reading() as session:
        for seq in range(ledger_store.tree_size(session)):
            item = ledger_store.get_entry(session, seq)
            assert item is not None
            entry, stored = item
            public = json.loads(entry.public)
            if public["kind"] == kind:
                assert public["actor"] == "bank"
                found.append(json.loads(stored.body))
    return found


def test_adding_records_an_entry_and_adding_again_makes_a_new_version(published: Bank) -> None:
    mappings = [{"achievement": "*", "framework": "test-fw", "credits_ratio": 1, "level": 3, "category": "general"}]
    first = trust_list.add_issuer(published, DID, "Bank A", valid_from="2026-01-01", mappings=mappings)
    assert first.created
    assert first.issuer is not None
    assert first.issuer.mappings == (
        {
            "achievement": "*",
            "framework": "test-fw",
            "outcome": None,
            "credits": None,
            "credits_ratio": "1",
            "level": 3,
            "category": "general",
        },
    )
    again = trust_list.add_issuer(published, DID, "Bank A", valid_from="2026-01-01", mappings=mappings)
    assert not again.created
    assert again.seq == first.seq
    renamed = trust_list.add_issuer(published, DID, "Bank A (east)", valid_from="2026-01-01", valid_until="2030-12-31")
    assert renamed.created
    assert renamed.seq > first.seq
    [held] = trust_list.list_issuers(published)
    assert (held.name, held.valid_until, held.mappings, held.seq) == ("Bank A (east)", "2030-12-31", (), renamed.seq)
    bodies = _bodies(published, "trust.issuer_added")
    assert [body["name"] for body in bodies] == ["Bank A", "Bank A (east)"]
    assert set(bodies[0]) == {"did", "name", "valid_from", "valid_until", "mappings"}


def test_removing_records_the_reason_and_unknown_dids_are_not_found(published: Bank) -> None:
    trust_list.add_issuer(published, DID, "Bank A")
    removed = trust_list.remove_issuer(published, DID, "agreement ended")
    assert removed.issuer is None
    assert trust_list.find(published, DID) is None
    assert _bodies(published, "trust.issuer_removed") == [{"did": DID, "reason": "agreement ended"}]
    with pytest.raises(NotFound):
        trust_list.remove_issuer(published, DID, "again")
    with pytest.raises(NotFound):
        trust_list.remove_issuer(published, "did:web:a\x00.example", "a NUL PostgreSQL cannot be asked about")
    assert trust_list.find(published, "did:web:a\x00.example") is None
    with pytest.raises(InvalidInput):
        trust_list.remove_issuer(published, DID, "  ")


def test_replay_rebuilds_the_list_from_the_ledger_alone(published: Bank) -> None:
    trust_list.add_issuer(published, DID, "Bank A")
    trust_list.add_issuer(published, KEY_DID, "Key issuer", valid_until="2031-01-01")
    trust_list.add_issuer(published, DID, "Bank A v2")
    trust_list.add_issuer(published, "did:web:gone.example", "Gone")
    trust_list.remove_issuer(published, "did:web:gone.example", "closed")

    def rows() -> list[tuple[Any, ...]]:
        with published.db.reading() as session:
            return [
                (r.did, r.name, r.valid_from, r.valid_until, r.mappings, r.seq, r.added_at)
                for r in session.scalars(select(TrustedIssuer).order_by(TrustedIssuer.did))
            ]

    before = rows()
    assert sorted(row[0] for row in before) == sorted([DID, KEY_DID])
    with published.db.engine.begin() as connection:
        connection.execute(text("DELETE FROM trusted_issuers"))
    with published.db.writing() as session:
        replay(session)
    assert rows() == before


@pytest.mark.parametrize(
    "did",
    [
        "did:web:Bank-a.example",  # uppercase: another spelling of a DID that must compare as text
        "did:web:user@bank-a.example",
        "did:web:bank-a.example%3a8443",
        "did:web:bank-a.example%3A0",
        "did:web:bank-a.example%3A08443",
        "did:web:bank-a.example:..:x",
        "did:web:bank-a.example/x",
        "did:web:bank-a.example%2Fx",
        "did:web:[::1]",
        "did:web:",
        "did:web:-bank.example",
        "did:web:" + "a" * 250 + ".example",
        "did:key:z6Mk",
        "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",
        "did:example:123",
        "did:web:bank-a.example\n",
    ],
)
def test_malformed_or_unsupported_dids_are_refused(published: Bank, did: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        trust_list.add_issuer(published, did, "X")
    assert caught.value.errors is not None
    assert "did" in caught.value.errors


def test_the_banks_own_did_needs_no_entry(published: Bank) -> None:
    with pytest.raises(InvalidInput, match="own DID"):
        trust_list.add_issuer(published, published.did, "Ourselves")


def test_dids_with_ports_paths_and_keys_are_accepted(published: Bank) -> None:
    for did in ("did:web:127.0.0.1%3A5000", "did:web:bank-a.example:banks:east", KEY_DID):
        assert trust_list.add_issuer(published, did, "ok").created


@pytest.mark.parametrize("name", ["", "   ", "Bank\x00A", "Bank\u202eA", "Bank\nA", "x" * 201])
def test_bad_names_are_refused(published: Bank, name: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        trust_list.add_issuer(published, DID, name)
    assert caught.value.errors is not None
    assert "name" in caught.value.errors


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"valid_from": "2026-1-01"}, "valid_from"),
        ({"valid_from": "2026-02-30"}, "valid_from"),
        ({"valid_until": "2026-01-01T00:00:00"}, "valid_until"),
        ({"valid_from": "2026-05-01", "valid_until": "2026-04-30"}, "valid_until"),
    ],
)
def test_validity_dates_are_strict(published: Bank, options: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        trust_list.add_issuer(published, DID, "Bank A", **options)
    assert caught.value.errors is not None
    assert field in caught.value.errors


def test_mappings_are_checked_against_the_published_framework_with_their_places(published: Bank) -> None:
    mappings = [
        {"achievement": "*", "framework": "test-fw", "credits": 2, "level": 3, "category": "general"},
        {"achievement": "x", "framework": "nope", "credits": 1, "level": 1, "category": "general"},
        {"achievement": "y", "framework": "test-fw", "credits": 1, "level": 9, "category": "sport"},
        {"achievement": "z", "framework": "test-fw", "level": 2, "category": "general"},
        {"achievement": "*", "framework": "test-fw", "credits": 1, "level": 2, "category": "general"},
        {"achievement": "w", "framework": "test-fw", "credits": 1, "credits_ratio": 1, "level": 2, "category": "x"},
        {"achievement": "v", "framework": "test-fw", "credits": -1, "level": 2, "category": "general", "extra": 1},
        {
            "achievement": "u",
            "framework": "test-fw",
            "outcome": "NOPE",
            "credits": 1,
            "level": 2,
            "category": "general",
        },
        "not an object",
    ]
    with pytest.raises(InvalidInput) as caught:
        trust_list.add_issuer(published, DID, "Bank A", mappings=mappings)
    errors = caught.value.errors
    assert errors is not None
    for place in (
        "mappings[1].framework",
        "mappings[2].level",
        "mappings[2].category",
        "mappings[3]",
        "mappings[4].achievement",
        "mappings[5]",
        "mappings[6].credits",
        "mappings[6].extra",
        "mappings[7].outcome",
        "mappings[8]",
    ):
        assert place in errors, (place, errors)
    assert "mappings[0]" not in " ".join(errors)
    assert trust_list.find(published, DID) is None


def test_an_outcome_mapping_takes_the_outcomes_level_category_and_credits(published: Bank) -> None:
    mappings = [{"achievement": "urn:x:dl", "framework": "test-fw", "outcome": "DL-1"}]
    change = trust_list.add_issuer(published, DID, "Bank A", mappings=mappings)
    assert change.issuer is not None
    [mapping] = change.issuer.mappings
    assert (mapping["level"], mapping["category"], mapping["credits"]) == (2, "digital_literacy", "2")


def test_the_api_lists_the_trusted_issuers(published: Bank, client: FlaskClient) -> None:
    assert client.get("/api/v1/trust").get_json() == {"items": []}
    trust_list.add_issuer(published, DID, "Bank A", valid_from="2026-01-01")
    answer = client.get("/api/v1/trust")
    assert answer.status_code == 200
    [item] = answer.get_json()["items"]
    assert (item["did"], item["name"], item["valid_from"], item["valid_until"]) == (DID, "Bank A", "2026-01-01", None)
