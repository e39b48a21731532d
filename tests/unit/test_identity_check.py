"""The verifier's identity check against a credential carrying one hashed identifier per form of the name."""

from __future__ import annotations

from datetime import date

import pytest

from certificates.credentials import identity_object
from certificates.verify import Identity, Report, _identity

BORN = date(1961, 9, 27)
DOCUMENT = {
    "credentialSubject": {
        "identifier": [
            identity_object("欧阳秀琴", BORN, "salt-one"),
            identity_object("Ouyang Xiuqin", BORN, "salt-two"),
        ]
    }
}


def outcome(name: str, born: date = BORN, document: dict[str, object] = DOCUMENT) -> str:
    report = Report()
    _identity(document, Identity(name, born), report)
    (check,) = report.checks
    return check.outcome


@pytest.mark.parametrize("name", ["欧阳秀琴", "Ouyang Xiuqin", "  ouyang   XIUQIN "])
def test_either_form_of_the_name_matches(name: str) -> None:
    assert outcome(name) == "pass"


def test_a_wrong_birth_date_or_name_fails() -> None:
    assert outcome("Ouyang Xiuqin", date(1961, 9, 28)) == "fail"
    assert outcome("欧阳秀英") == "fail"


def test_a_credential_without_hashed_identifiers_fails() -> None:
    assert outcome("欧阳秀琴", document={"credentialSubject": {"identifier": [{"hashed": False}]}}) == "fail"
