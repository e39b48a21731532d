"""What the learner portal shows: a learner's own record, credits, progress and documents, gathered for one page.

Every function takes the learner id from the signed-in session, never from the URL, so one learner cannot read
another's pages; a document id that is not theirs answers like one that does not exist.
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditbank.credits import statement
from creditbank.credits.documents import as_number
from creditbank.credits.frameworks import Framework
from creditbank.credits.planner import Line, plan
from creditbank.errors import NotFound
from creditbank.models import Credential, CreditLine, Institution, QualificationAward, Redemption
from creditbank.runtime import Bank
from creditbank.services import credentials
from creditbank.services.credits import credit_rules, statements
from creditbank.services.learner_access import conversion_steps
from creditbank.services.records import achievement_reads, consent, personal_records


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
    everything = achievement_reads.all_for_learner(bank, learner_id) if page is None else None
    with bank.db.reading() as session:
        book = credit_rules.rulebook(session)
        if everything is not None:
            items, pages = everything, max(1, -(-len(everything) // RECORD_PAGE))
        else:
            assert page is not None
            # Only the page's rows and their credit lines are read: the rest of a long record costs one count.
            pages = max(1, -(-achievement_reads.count_for_learner(session, learner_id) // RECORD_PAGE))
            items = achievement_reads.page_of_learner(session, learner_id, (page - 1) * RECORD_PAGE, RECORD_PAGE)
        lines: dict[str, list[CreditLine]] = defaultdict(list)
        shown = [item["id"] for item in items]
        for line in session.scalars(
            select(CreditLine).where(
                CreditLine.learner_id == learner_id,
                CreditLine.reverses.is_(None),
                CreditLine.reversed_seq.is_(None),
                *([CreditLine.achievement_id.in_(shown)] if page is not None else []),
            )
        ):
            if line.achievement_id is not None:
                lines[line.achievement_id].append(line)
    for item in items:
        # A page in words about the entry; the JSON and its proof are one click further from there.
        item["proof_url"] = f"/about/entries/{item['recorded_seq']}"
        item["institution_name"] = names.get(
            item["institution"], {"zh": item["institution"], "en": item["institution"]}
        )
        item["credit_lines"] = [_line_view(book, line, names) for line in lines.get(item["id"], [])]
    return items, pages


def _line_view(book: credit_rules.Rulebook, line: CreditLine, names: dict[str, dict[str, str]]) -> dict[str, Any]:
    """A conversion as the record shows it: the ledger stores ids and a zh/en explanation (signed history, never
    rewritten); the page gets names from the framework, the catalogue and the institutions to say it in any
    language."""
    outcome = book.outcomes.get(line.outcome) if line.outcome else None
    return {
        "credits": Decimal(line.cents) / 100,
        "framework": book.frameworks[line.framework].name if line.framework in book.frameworks else {},
        "level": _level_name(book, line.framework, line.level),
        "category": _category_name(book, line.framework, line.category),
        "source": line.source,
        "source_key": f"pages_source_{line.source}"
        if line.source in conversion_steps.SOURCES
        else "pages_source_other",
        "rules": line.rules_version,
        "institution_name": names.get(line.institution_id, {"zh": line.institution_id, "en": line.institution_id}),
        "outcome": line.outcome,
        "outcome_name": dict(outcome.name) if outcome is not None else None,
        "steps": conversion_steps.read(json.loads(line.explanation or "[]")),
    }


def record_summary(bank: Bank, learner_id: str) -> dict[str, Any]:
    """The sentence at the top of ``/me``: how many achievements, and the credits they earned and still have free,
    in each framework (credits of two frameworks are different units and are never added together)."""
    with bank.db.reading() as session:
        book = credit_rules.rulebook(session)
        rows = session.execute(
            select(CreditLine.framework, CreditLine.cents, CreditLine.consumed_cents).where(
                CreditLine.learner_id == learner_id, CreditLine.reverses.is_(None), CreditLine.reversed_seq.is_(None)
            )
        ).all()
        count = achievement_reads.count_for_learner(session, learner_id)
    earned: dict[str, int] = defaultdict(int)
    free: dict[str, int] = defaultdict(int)
    for framework, cents, consumed in rows:
        earned[framework] += cents
        free[framework] += cents - (consumed or 0)
    return {
        "achievements": count,
        "frameworks": [
            {
                "name": book.frameworks[key].name if key in book.frameworks else {"zh": key, "en": key},
                "earned": statement.credits(earned[key]),
                "available": statement.credits(free[key]),
            }
            for key in sorted(earned)
            if earned[key] > 0
        ],
    }


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


def _awarded_lines(session: Session, learner_id: str) -> dict[str, list[Line]]:
    """Per awarded qualification, the credits its latest award consumed, line by line: what the award counted,
    which the learner's available balance no longer shows."""
    latest: dict[str, str] = {}
    for award in session.scalars(
        select(QualificationAward)
        .where(QualificationAward.learner_id == learner_id)
        .order_by(QualificationAward.awarded_seq)
    ):
        latest[award.qualification] = award.id
    found: dict[str, list[Line]] = {}
    for qualification, award_id in latest.items():
        rows = session.execute(
            select(CreditLine, Redemption.cents)
            .join(Redemption, Redemption.line_seq == CreditLine.seq)
            .where(Redemption.award_id == award_id)
            .order_by(CreditLine.seq)
        ).all()
        found[qualification] = [
            Line(line.seq, line.level, line.category, line.source, line.outcome, Decimal(cents) / 100)
            for line, cents in rows
        ]
    return found


def _requirement_view(book: credit_rules.Rulebook, framework: Framework, need: dict[str, Any]) -> dict[str, Any]:
    """A requirement by kind, with the name of what it asks for (a category, a catalogue outcome) so the page can
    say it in its language rather than show an id."""
    kind, _, subject = str(need["requirement"]).partition(".")
    name: dict[str, str] | None = None
    if kind == "category":
        name = dict(framework.categories.get(subject) or {"zh": subject, "en": subject})
    elif kind == "outcome":
        outcome = book.outcomes.get(subject)
        name = dict(outcome.name) if outcome is not None else None
    elif kind == "level" and subject.isdigit():
        name = _level_name(book, framework.id, int(subject))
    return {**need, "kind": kind, "subject": subject, "name": name}


def credit_overview(bank: Bank, learner_id: str) -> list[dict[str, Any]]:
    """Per framework: totals, balances by level and category, the per-level sums a chart draws, and progress. An
    awarded qualification shows what its award counted; one not yet awarded, what the available credits meet."""
    account = statements.account(bank, None, learner_id)
    with bank.db.reading() as session:
        book = credit_rules.rulebook(session)
        counted_by_award = _awarded_lines(session, learner_id)
    overview = []
    for item in account["accounts"]:
        framework = book.frameworks.get(item["framework"])
        by_level: dict[int, dict[str, Decimal]] = defaultdict(lambda: {"earned": Decimal(0), "available": Decimal(0)})
        for balance in item["balances"]:
            by_level[balance["level"]]["earned"] += Decimal(str(balance["earned"]))
            by_level[balance["level"]]["available"] += Decimal(str(balance["available"]))
            balance["level_name"] = _level_name(book, item["framework"], balance["level"])
            balance["category_name"] = _category_name(book, item["framework"], balance["category"])
        progress = []
        if framework is not None:
            for qualification in framework.qualifications.values():
                consumed = counted_by_award.get(qualification.id)
                if consumed is not None:
                    found = plan(qualification, consumed, ())
                    view: dict[str, Any] = {
                        "qualification": qualification.id,
                        "name": qualification.name,
                        "met": True,
                        "requirements": [requirement.view() for requirement in found.requirements],
                    }
                else:
                    view = statements.progress(bank, None, learner_id, qualification.id)
                view["awarded"] = consumed is not None
                view["requirements"] = [_requirement_view(book, framework, need) for need in view["requirements"]]
                progress.append(view)
        # Bars are measured against the largest level's earned credits, so one credit never fills a bar.
        scale = max((amounts["earned"] for amounts in by_level.values()), default=Decimal(0))
        overview.append(
            {
                **item,
                "name": framework.name if framework else {"zh": item["framework"], "en": item["framework"]},
                "levels": [
                    {
                        "level": level,
                        "name": _level_name(book, item["framework"], level),
                        "earned": as_number(amounts["earned"]),
                        "available": as_number(amounts["available"]),
                        "earned_share": _share(amounts["earned"], scale),
                        "available_share": _share(amounts["available"], scale),
                    }
                    for level, amounts in sorted(by_level.items())
                ],
                "progress": progress,
            }
        )
    return overview


def _share(amount: Decimal, scale: Decimal) -> float:
    """Percent of the bar: 0 to 100."""
    return float(max(Decimal(0), min(Decimal(100), amount * 100 / scale))) if scale > 0 else 0.0


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
