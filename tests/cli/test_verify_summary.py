"""`creditbank verify` prints what the credential says beside its checks, and reads the holder's name and birth
date the way the verify page does (traditional characters, the Latin name in either order, 1952年10月3日)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli.test_credential_commands import _did, _showcase


@pytest.fixture
def cli(cli):
    """A bank seeded with the demo data: its showcase learner 陈秀英 (Chen Xiuying, born 1952-10-03) holds an award."""
    cli("demo", "--learners", "2")
    return cli


def test_verify_prints_what_the_credential_says_and_matches_the_holder_as_typed(cli, tmp_path: Path) -> None:
    learner, award = _showcase(cli)
    cli("credentials", "issue", "--learner", learner, "--qualification", award, "--pdf", str(tmp_path / "c.pdf"))
    did = str(_did(cli, tmp_path))
    report = json.loads(cli("verify", str(tmp_path / "c.pdf"), "--trust", did, "--json", code=3))
    summary = report["summary"]
    (claim,) = summary["achievements"]
    assert claim["qualification"] is True
    text = cli(
        "verify", str(tmp_path / "c.pdf"), "--trust", did, "--name", "Xiuying Chen", "--birth-date", "1952年10月3日",
        code=3,
    )  # fmt: skip
    assert "pass  identity" in text
    assert "what the credential says:" in text
    assert f"credential:     {summary['id']}" in text
    assert re.search(rf"ledger seq: +#{summary['ledger_seq']} \(", text)
    for label in ("qualification", "institution", "credits", "level", "framework", "completed"):
        value = claim[label if label != "qualification" else "title"]
        assert re.search(rf"{label}: +{re.escape(str(value))}", text), (label, text)
    for name in ("陳秀英", "Chen, Xiuying"):
        typed = cli(
            "verify", str(tmp_path / "c.pdf"), "--trust", did, "--name", name, "--birth-date", "1952-10-03", code=3
        )
        assert "pass  identity" in typed


def test_a_birth_date_in_another_form_is_a_usage_error(cli, tmp_path: Path) -> None:
    learner, award = _showcase(cli)
    cli("credentials", "issue", "--learner", learner, "--qualification", award, "--json", str(tmp_path / "c.json"))
    out = cli("verify", str(tmp_path / "c.json"), "--name", "陈秀英", "--birth-date", "3/10/1952", code=2)
    assert "1952年10月3日" in out
