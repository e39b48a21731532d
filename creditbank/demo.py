"""Demo data for a first look: a national open university with a provincial branch and a learning
point, a university, a senior college and a MOOC platform (all fictitious), plus an API key."""

from __future__ import annotations

from pathlib import Path

from creditbank.runtime import Bank
from creditbank.services import api_keys, institutions
from creditbank.services.institutions import InstitutionInput

DEMO_INSTITUTIONS = (
    InstitutionInput(
        "demo-open-university",
        "open_university",
        "Demo National Open University",
        "示范国家开放大学",
        None,
        "credit",
        18,
    ),
    InstitutionInput(
        "demo-open-university-east",
        "open_university",
        "Demo Open University, East Branch",
        "示范开放大学东部分部",
        "demo-open-university",
        "credit",
        18,
    ),
    InstitutionInput(
        "demo-learning-point-riverside",
        "community",
        "Riverside Community Learning Point",
        "滨江社区学习点",
        "demo-open-university-east",
        "course hour",
        1,
    ),
    InstitutionInput(
        "demo-university", "university", "Demo University of Science and Technology", "示范科技大学", None, "credit", 16
    ),
    InstitutionInput(
        "demo-senior-college", "senior_college", "Demo Senior College", "示范老年大学", None, "class hour", 1
    ),
    InstitutionInput("demo-mooc", "mooc_platform", "Demo MOOC Platform", "示范慕课平台", None, "study hour", 1),
)

KEY_FILE = "demo-api-key.txt"


def seed(bank: Bank) -> str | None:
    """Register the demo institutions on an empty bank; return the demo API key (None if already seeded)."""
    if institutions.list_all(bank):
        return None
    for data in DEMO_INSTITUTIONS:
        institutions.register(bank, data)
    issued = api_keys.issue(bank, "demo-university")
    path = Path(bank.instance_path) / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(issued.token + "\n", encoding="utf-8")
    path.chmod(0o600)
    return issued.token
