"""A credential an institution asks for names the learner as that institution submitted them.

Institution B linked to a learner by the Latin name alone; the Chinese name came from institution A. A PDF B
downloads for its own record must not print A's submission, and the learner's own copy of that credential must
print what was hashed and fingerprinted at issuance, so it still verifies."""

from __future__ import annotations

import subprocess
from typing import Any

from flask.testing import FlaskClient

from creditbank.runtime import Bank
from creditbank.services import credentials
from creditbank.services.records import api_keys
from tests.helpers import register

PERSON_A: dict[str, Any] = {
    "name": {"zh": "欧阳娜娜", "latin": "Ouyang Nana"},
    "birth_date": "1954-06-15",
    "national_id": {"number": "11010519491231002X"},
}
PERSON_B: dict[str, Any] = {**PERSON_A, "name": {"latin": "OUYANG Nana"}}


def _text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def test_an_institution_s_credential_names_the_learner_as_it_submitted_them(client: FlaskClient, bank: Bank) -> None:
    register(bank, "uni-a")
    register(bank, "uni-b")
    tokens = {name: api_keys.issue(bank, name).token for name in ("uni-a", "uni-b")}

    def post(path: str, body: Any, who: str) -> Any:
        response = client.post(path, json=body, headers={"Authorization": f"Bearer {tokens[who]}"})
        assert response.status_code in (200, 201), response.get_data(as_text=True)
        return response.get_json()

    learner = post("/api/v1/learners", PERSON_A, "uni-a")["id"]
    assert post("/api/v1/learners", PERSON_B, "uni-b")["status"] == "linked"
    item = {"learner": learner, "record_id": "B-1", "kind": "course", "title": {"en": "Tai chi"}, "credits": 1}
    item["completed"] = "2026-05-01"
    achievement = post("/api/v1/achievements", item, "uni-b")["id"]
    issued = post(
        f"/api/v1/learners/{learner}/credentials", {"kind": "achievement", "achievement": achievement}, "uni-b"
    )
    credential_id = issued["id"]

    downloaded = client.get(
        f"/api/v1/credentials/{credential_id}/pdf", headers={"Authorization": f"Bearer {tokens['uni-b']}"}
    )
    assert downloaded.status_code == 200
    text = _text(downloaded.data)
    assert "OUYANG Nana" in text
    assert "欧阳娜娜" not in text
    assert len(issued["credential"]["credentialSubject"]["identifier"]) == 1

    # The learner's own copy prints the same name, so its visible text is the one fingerprinted at issuance.
    own_copy = credentials.pdf(bank, None, credential_id)
    assert "欧阳娜娜" not in _text(own_copy)
    report = client.post("/api/v1/verify", data=own_copy, content_type="application/pdf").get_json()
    assert report["valid"] is True, report
