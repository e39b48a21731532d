"""A credential's PDF, downloaded again after the institution corrects the achievement, is the PDF as issued:
the ledger fingerprints its visible text, so a reprint that picked up the correction would no longer verify."""

from __future__ import annotations

from certificates.pdf_read import visible_text
from creditbank.services import credentials
from tests.credentials.issued_world import Issued


def test_a_reprint_after_a_correction_still_verifies_and_shows_what_was_issued(issued: Issued) -> None:
    world = issued.world
    corrected = world.client.post(
        f"/api/v1/achievements/{issued.achievement}/corrections",
        json={"changes": {"title": {"zh": "数字素养进阶", "en": "Digital skills, advanced"}}, "reason": "renamed"},
        headers=world.headers("uni-a"),
    )
    assert corrected.status_code == 201, corrected.get_data(as_text=True)

    reprint = credentials.pdf(world.bank, None, issued.credential_id)
    assert visible_text(reprint) == visible_text(issued.pdf)
    assert "Digital basics" in visible_text(reprint)
    report = issued.post_verify(reprint, "application/pdf")
    assert report["valid"] is True, [check for check in report["checks"] if check["result"] != "pass"]

    # A new credential for the corrected achievement shows the correction.
    fresh = world.client.post(
        f"/api/v1/learners/{world.learner}/credentials",
        json={"kind": "achievement", "achievement": issued.achievement},
        headers=world.headers("uni-a"),
    )
    assert fresh.status_code == 201, fresh.get_data(as_text=True)
    assert "Digital skills, advanced" in visible_text(credentials.pdf(world.bank, None, fresh.get_json()["id"]))
