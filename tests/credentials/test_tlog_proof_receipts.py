"""Receipts in the C2SP tlog-proof form: each entry's proof is the ``c2sp.org/tlog-proof@v1`` text (header, index,
inclusion hashes, an empty line, the signed checkpoint with its cosignatures, verbatim), checked here against an
RFC 6962 recomputation written in the test, and read strictly by the verifier; receipts of the earlier form (a
``proof`` list) still verify, and a receipt that offers both, or a proof for another index or checkpoint, does not.
"""

from __future__ import annotations

import base64
import copy
import hashlib
from typing import Any

import pytest

from certificates import receipts
from certificates.receipts import ReceiptError, parse_tlog_proof
from creditbank.services import credentials
from ledger.note import parse_checkpoint
from tests.credentials.issued_world import Issued


def _leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _root_from(leaf: bytes, index: int, size: int, proof: list[bytes]) -> bytes:
    """RFC 9162 section 2.1.3.2, step by step, independent of ledger/merkle.py."""
    fn, sn, result = index, size - 1, leaf
    for step in proof:
        if sn == 0:
            raise AssertionError("proof too long")
        if fn & 1 or fn == sn:
            result = _node(step, result)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = _node(result, step)
        fn, sn = fn >> 1, sn >> 1
    assert sn == 0, "proof too short"
    return result


def _receipt(issued: Issued) -> dict[str, Any]:
    found: dict[str, Any] = credentials.receipt(issued.world.bank, issued.credential_id)
    return found


def _log_keys(issued: Issued) -> list[Any]:
    return list(credentials.trust(issued.world.bank).log_keys)


def test_every_entry_of_a_receipt_carries_a_tlog_proof_byte_for_byte(issued: Issued) -> None:
    from ledger.canonical import canonical_bytes

    receipt = _receipt(issued)
    note = receipt["checkpoint"]
    checkpoint = parse_checkpoint(note.split("\n\n", 1)[0] + "\n")
    for item in receipt["entries"]:
        assert "proof" not in item
        text = item["tlog_proof"]
        lines = text.split("\n")
        assert lines[0] == "c2sp.org/tlog-proof@v1"
        assert lines[1] == f"index {item['entry']['seq']}"
        blank = lines.index("")
        hashes = [base64.b64decode(line, validate=True) for line in lines[2:blank]]
        assert all(len(step) == 32 for step in hashes)
        assert text == "\n".join(lines[:blank]) + "\n\n" + note
        leaf = _leaf(canonical_bytes(item["entry"]))
        assert _root_from(leaf, item["entry"]["seq"], checkpoint.size, hashes) == checkpoint.root
    assert receipts.verify(receipt, issued.bundle["credential"], _log_keys(issued)).seq >= 0


def test_a_receipt_of_the_earlier_form_still_verifies(issued: Issued) -> None:
    receipt = _receipt(issued)
    earlier = copy.deepcopy(receipt)
    for item in earlier["entries"]:
        found = parse_tlog_proof(item.pop("tlog_proof"))
        item["proof"] = [base64.b64encode(step).decode() for step in found.proof]
    assert (
        receipts.verify(earlier, issued.bundle["credential"], _log_keys(issued)).seq
        == receipts.verify(receipt, issued.bundle["credential"], _log_keys(issued)).seq
    )


def _altered(issued: Issued, change: Any) -> dict[str, Any]:
    receipt = copy.deepcopy(_receipt(issued))
    change(receipt["entries"][0])
    return receipt


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("both", lambda item: item.update(proof=[]), "both a tlog-proof and a proof list"),
        (
            "another index",
            lambda item: item.update(tlog_proof=item["tlog_proof"].replace("index ", "index 1", 1)),
            "index",
        ),
        (
            "leading zero",
            lambda item: item.update(tlog_proof=item["tlog_proof"].replace("index ", "index 0", 1)),
            "plain decimal",
        ),
        ("header", lambda item: item.update(tlog_proof=item["tlog_proof"].replace("@v1", "@v2", 1)), "does not start"),
        (
            "no blank line",
            lambda item: item.update(tlog_proof=item["tlog_proof"].replace("\n\n", "\n", 1)),
            "tlog_proof",
        ),
        (
            "short hash",
            lambda item: item.update(tlog_proof=_with_line(item["tlog_proof"], "AAAA")),
            "not a SHA-256 hash",
        ),
        ("not base64", lambda item: item.update(tlog_proof=_with_line(item["tlog_proof"], "%%%%")), "not base64"),
        (
            "other checkpoint",
            lambda item: item.update(tlog_proof=item["tlog_proof"] + "— extra line\n"),
            "another checkpoint",
        ),
        ("not text", lambda item: item.update(tlog_proof=["c2sp.org/tlog-proof@v1"]), "not text"),
        ("too long", lambda item: item.update(tlog_proof="c2sp.org/tlog-proof@v1\n" + "A" * 70_000), "longer than"),
    ],
)
def test_a_tlog_proof_that_is_not_exactly_the_format_is_refused(
    issued: Issued, name: str, change: Any, message: str
) -> None:
    with pytest.raises(ReceiptError, match=message):
        receipts.verify(_altered(issued, change), issued.bundle["credential"], _log_keys(issued))


def _with_line(text: str, line: str) -> str:
    head, _, rest = text.partition("\n\n")
    return f"{head}\n{line}\n\n{rest}"


def test_the_verify_door_reads_the_new_form_and_refuses_a_forged_one(issued: Issued) -> None:
    good = issued.post_verify(_json({"credential": issued.bundle["credential"], "receipt": _receipt(issued)}))
    assert good["valid"] is True
    forged = _altered(issued, lambda item: item.update(tlog_proof=item["tlog_proof"].replace("index ", "index 9", 1)))
    report = issued.post_verify(_json({"credential": issued.bundle["credential"], "receipt": forged}))
    assert report["valid"] is False
    assert any(check["check"] == "ledger" and check["result"] == "fail" for check in report["checks"])


def _json(value: Any) -> bytes:
    import json

    return json.dumps(value).encode()
