"""What the learner portal shows: a learner's own record, credits, progress and documents, gathered for one page.

Every function takes the learner id from the signed-in session, never from the URL, so one learner cannot read
another's pages; a document id that is not theirs answers like one that does not exist.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from creditbank.errors import NotFound
from creditbank.models import Credential, CreditLine, Institution
from creditbank.runtime import Bank
from creditbank.services import credentials
from creditbank.services.credits import credit_rules, statements
from creditbank.services.records import achievement_reads, consent, personal_records
from creditbank.services.transparency import checkpoints


def _institutions(bank: Bank) -> dict[str, dict[str, str]]:
    with bank.db.reading() as session:
        return {
            row.id: {"zh": row.name_zh or row.name_en, "en": row.name_en}
            for row in session.scalars(select(Institution))
        }


RECORD_PAGE = 50  # achievements per page of /me: a page stays quick to draw for a learner with hundreds


def record(bank: Bank, learner_id: str, *, page: int | None = None) -> list[dict[str, Any]]:
    """The learner's achievements, newest first, each with its credit lines and proof link; ``page`` (from 1) limits
    them to that page of ``RECORD_PAGE``, and only those are dressed for display."""
    return record_page(bank, learner_id, page)[0]


def record_page(bank: Bank, learner_id: str, page: int | None) -> tuple[list[dict[str, Any]], int]:
    """A page of the record (all of it when ``page`` is None) and the number of pages."""
    names = _institutions(bank)
    with bank.db.reading() as session:
        book = credit_rules.rulebook(session)
        lines: dict[str, list[CreditLine]] = defaultdict(list)
        for line in session.scalars(
            select(CreditLine).where(
                CreditLine.learner_id == learner_id, CreditLine.reverses.is_(None), CreditLine.reversed_seq.is_(None)
            )
        ):
            lines[line.achievement_id].append(line)
    items = achievement_reads.all_for_learner(bank, learner_id)
    pages = max(1, -(-len(items) // RECORD_PAGE))
    if page is not None:
        items = items[(page - 1) * RECORD_PAGE : page * RECORD_PAGE]
    with bank.db.reading() as session:
        latest = checkpoints.latest_in(session)
    signed = latest.size if latest is not None else 0
    for item in items:
        # The proof link names the latest signed tree; an entry newer than it links to the entry itself.
        seq = item["recorded_seq"]
        item["proof_url"] = (
            f"/ledger/proofs/inclusion?seq={seq}&size={signed}" if seq < signed else f"/ledger/entries/{seq}"
        )
        item["institution_name"] = names.get(
            item["institution"], {"zh": item["institution"], "en": item["institution"]}
        )
        item["credit_lines"] = [
            {
                "credits": Decimal(line.cents) / 100,
                "framework": book.frameworks[line.framework].name if line.framework in book.frameworks else {},
                "level": _level_name(book, line.framework, line.level),
                "category": _category_name(book, line.framework, line.category),
            }
            for line in lines.get(item["id"], [])
        ]
    return items, pages


def _level_name(book: credit_rules.Rulebook, framework: str, level: int) -> dict[str, str]:
    found = book.frameworks.get(framework)
    if found is None or level not in found.levels:
        return {"zh": f"第{level}级", "en": f"Level {level}"}
    return dict(found.levels[level].name)


def _category_name(book: credit_rules.Rulebook, framework: str, category: str) -> dict[str, str]:
    found = book.frameworks.get(framework)
    return (
        dict(found.categories.get(category, {"zh": category, "en": category}))
        if found
        else {"zh": category, "en": category}
    )


def credit_overview(bank: Bank, learner_id: str) -> list[dict[str, Any]]:
    """Per framework: totals, balances by level and category, the per-level sums a chart draws, and progress."""
    account = statements.account(bank, None, learner_id)
    with bank.db.reading() as session:
        book = credit_rules.rulebook(session)
    awarded = {award["qualification"] for award in account["awards"]}
    overview = []
    for item in account["accounts"]:
        framework = book.frameworks.get(item["framework"])
        by_level: dict[int, Decimal] = defaultdict(Decimal)
        for balance in item["balances"]:
            by_level[balance["level"]] += Decimal(str(balance["available"]))
            balance["level_name"] = _level_name(book, item["framework"], balance["level"])
            balance["category_name"] = _category_name(book, item["framework"], balance["category"])
        progress = []
        if framework is not None:
            for qualification in framework.qualifications.values():
                view = statements.progress(bank, None, learner_id, qualification.id)
                view["awarded"] = qualification.id in awarded
                progress.append(view)
        overview.append(
            {
                **item,
                "name": framework.name if framework else {"zh": item["framework"], "en": item["framework"]},
                "levels": [
                    {"level": level, "name": _level_name(book, item["framework"], level), "available": amount}
                    for level, amount in sorted(by_level.items())
                ],
                "progress": progress,
            }
        )
    return overview


def documents(bank: Bank, learner_id: str) -> list[dict[str, Any]]:
    return list(reversed(credentials.list_for_learner(bank, learner_id)))


def owned(bank: Bank, learner_id: str, credential_id: str) -> str:
    with bank.db.reading() as session:
        row = session.get(Credential, credential_id)
        if row is None or row.learner_id != learner_id:
            raise NotFound(f"no credential {credential_id!r}")
        return row.id


def owns_achievement(bank: Bank, learner_id: str, achievement_id: str) -> bool:
    return any(item["id"] == achievement_id for item in achievement_reads.all_for_learner(bank, learner_id))


def export(bank: Bank, learner_id: str) -> dict[str, Any]:
    """Everything the bank holds about the learner, in one JSON document (the learner's own copy)."""
    from creditbank.models import LearnerAccount, ShareLink

    with bank.db.reading() as session:
        identity = personal_records.identity_of(bank, session, learner_id)
        account = session.get(LearnerAccount, learner_id)
        shares = [
            {"id": row.id, "created_at": row.created_at.isoformat(), "expires_at": row.expires_at.isoformat(),
             "revoked": row.revoked_at is not None, "opens": row.opens}
            for row in session.scalars(select(ShareLink).where(ShareLink.learner_id == learner_id))
        ]  # fmt: skip
    return {
        "learner": learner_id,
        "personal_data": identity,
        "portal_account": {
            "activated_at": account.activated_at.isoformat() if account else None,
            "has_email_login": bool(account and account.email_digest),
        },
        "achievements": achievement_reads.all_for_learner(bank, learner_id),
        "credits": statements.account(bank, None, learner_id),
        "credentials": credentials.list_for_learner(bank, learner_id),
        "share_links": shares,
        "consents": consent.for_learner(bank, learner_id),
        "note": "Ledger entries about you hold only your pseudonymous id and salted commitments, never your name.",
    }
