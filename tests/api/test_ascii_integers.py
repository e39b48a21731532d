"""Every whole number taken from outside is written in ASCII digits, one spelling per number.

``int()`` would read each payload below as a number (or the path would route to one), so each is a test of
the one parser (``ledger.numbers``) on one door: ledger paths and queries, API paging, status indexes in
uploaded credentials, status list names, and the portal's share form.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from creditbank import demo
from creditbank.runtime import Bank, bank_of
from creditbank.services.transparency import checkpoints
from ledger.numbers import NotADecimal, decimal_or, parse_decimal
from tests.api.records_fixtures import World, assert_problem, headers
from tests.conftest import BACKENDS, configuration, database_url, running_app
from tests.credentials.issued_world import Issued, issued

__all__ = ["issued"]

# Each one spells 1 (or 10, or 0) to some reader.
PAYLOADS = [
    pytest.param("1_0", id="underscore"),
    pytest.param("+1", id="plus"),
    pytest.param(" 1", id="leading-space"),
    pytest.param("1 ", id="trailing-space"),
    pytest.param("1\n", id="newline"),
    pytest.param("-0", id="minus-zero"),
    pytest.param("00", id="double-zero"),
    pytest.param("01", id="leading-zero"),
    pytest.param("１", id="full-width"),
    pytest.param("１０", id="full-width-ten"),
    pytest.param("¹", id="superscript"),
    pytest.param("٣", id="arabic-indic"),
    pytest.param("१", id="devanagari"),
    pytest.param("0x1", id="hex"),
    pytest.param("1e0", id="exponent"),
    pytest.param("1.0", id="decimal-point"),
    pytest.param("", id="empty"),
]


@pytest.mark.parametrize("text", PAYLOADS)
def test_the_parser_refuses(text: str) -> None:
    with pytest.raises(NotADecimal):
        parse_decimal(text)
    assert decimal_or(text, 7) == 7


def test_the_parser_reads_plain_numerals() -> None:
    assert [parse_decimal(t) for t in ("0", "1", "10", "9223372036854775807")] == [0, 1, 10, 2**63 - 1]
    with pytest.raises(NotADecimal, match="at most"):
        parse_decimal("9223372036854775808")
    with pytest.raises(NotADecimal, match="at most"):
        parse_decimal("9" * 100_000)


# --- HTTP parameters ---------------------------------------------------------------------------------------------

# (URL template with {} for the payload, the parameter named in the problem, whether it needs the key).
PARAMETERS = [
    pytest.param("/ledger/entries/{}", "seq", False, id="entry-seq"),
    pytest.param("/ledger/proofs/inclusion?seq={}&size=4", "seq", False, id="inclusion-seq"),
    pytest.param("/ledger/proofs/inclusion?seq=0&size={}", "size", False, id="inclusion-size"),
    pytest.param("/ledger/proofs/consistency?from={}&to=4", "from", False, id="consistency-from"),
    pytest.param("/ledger/proofs/consistency?from=1&to={}", "to", False, id="consistency-to"),
    pytest.param("/api/v1/learners?limit={}", "limit", True, id="learners-limit"),
    pytest.param("/api/v1/learners/{learner}/achievements?limit={}", "limit", True, id="achievements-limit"),
]


@pytest.fixture(scope="module", params=BACKENDS)
def ledger_world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from tests.api.records_fixtures import build_world

    folder = tmp_path_factory.mktemp("ascii-integers")
    with running_app(configuration(database_url(request.param, request, folder), folder)) as app:
        world = build_world(app.test_client(), bank_of(app))
        for n in range(10):
            world.client.post(
                "/api/v1/learners",
                json={"name": {"latin": f"Learner {n}"}, "birth_date": "1990-01-01"},
                headers=headers(world.a),
            )
        checkpoints.sign(world.bank)
        yield world


def _url(world: World, template: str, value: str) -> str:
    return template.replace("{learner}", world.learner).format(quote(value, safe=""))


@pytest.mark.parametrize(("template", "name", "keyed"), PARAMETERS)
def test_plain_numerals_are_read(ledger_world: World, template: str, name: str, keyed: bool) -> None:
    world = ledger_world
    response = world.client.get(_url(world, template, "1"), headers=headers(world.a) if keyed else {})
    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.mark.parametrize("text", PAYLOADS)
@pytest.mark.parametrize(("template", "name", "keyed"), PARAMETERS)
def test_other_spellings_are_a_bad_request(
    ledger_world: World, template: str, name: str, keyed: bool, text: str
) -> None:
    world = ledger_world
    before = world.size()
    response = world.client.get(_url(world, template, text), headers=headers(world.a) if keyed else {})
    if text == "" and "entries" in template:
        # An empty path segment is another URL (/ledger/entries/), which exists for nobody.
        assert response.status_code == 404
        return
    # A path that cannot be matched is a bad request; a query parameter that cannot be read, a bad parameter.
    problem = assert_problem(response, 400, "bad-request" if "entries" in template else "bad-parameter", name)
    assert "ASCII digits" in str(problem["errors"][name]), problem
    assert world.size() == before


# --- inside documents and forms ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", PAYLOADS)
def test_a_status_index_in_another_spelling_is_a_malformed_entry(issued: Issued, text: str) -> None:
    credential = {**issued.bundle["credential"]}
    credential["credentialStatus"] = {**credential["credentialStatus"], "statusListIndex": text}
    report = issued.post_verify(json.dumps(credential).encode(), "application/json")
    assert report["valid"] is False
    status = next(check for check in report["checks"] if check["check"] == "status")
    assert status["result"] == "fail"
    assert "malformed" in status["reason"]


def test_a_status_list_is_served_under_its_one_name(issued: Issued) -> None:
    client = issued.world.client
    url = issued.bundle["credential"]["credentialStatus"]["statusListCredential"]
    number, purpose = url.rsplit("/", 1)[1].split("-", 1)
    assert client.get(f"/status/{number}-{purpose}").status_code == 200
    for spelled in (f"0{number}", f"+{number}", number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))):
        assert_problem(client.get(f"/status/{quote(spelled)}-{purpose}"), 404, "not-found")


@pytest.fixture(scope="module", params=BACKENDS)
def demo_bank(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Bank]]:
    folder = tmp_path_factory.mktemp("ascii-portal")
    with running_app(configuration(database_url(request.param, request, folder), folder)) as app:
        bank = bank_of(app)
        demo.seed(bank, 1)
        yield app, bank


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:300]
    return found.group(1)


@pytest.mark.parametrize("text", ["07", "+7", " 7", "7_0", "７", "⁷", "-0"])
def test_a_share_period_in_another_spelling_is_refused(demo_bank: tuple[Any, Bank], text: str) -> None:
    app, _ = demo_bank
    client = app.test_client()
    token = _csrf(client.get("/login").get_data(as_text=True))
    signed = client.post("/login", data={"login": demo.DEMO_EMAIL, "password": demo.DEMO_PASSWORD, "csrf_token": token})
    assert signed.status_code == 302, signed.get_data(as_text=True)[:500]
    page = client.get("/me/share").get_data(as_text=True)
    plain = client.post("/me/share", data={"scope": "whole", "days": "7", "csrf_token": _csrf(page)})
    assert plain.status_code == 200
    refused = client.post("/me/share", data={"scope": "whole", "days": text, "csrf_token": _csrf(page)})
    assert refused.status_code == 400
