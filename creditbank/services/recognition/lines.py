"""The credit lines a recognition decision writes, their reversal, and the rule that one piece of learning is counted
once per framework whoever counts it: a conversion by rule or agreement, or a decision.

A line of a decision is an ordinary ``credits.converted`` entry, so balances, caps and redemptions treat it like any
other; it names the application and the decision's seq, and the learning it recognized. Decision bodies use the
Credential Engine CTDL TransferValueProfile terms where they fit: ``transferValue`` (the credits given, with their
unit), ``transferValueFrom`` (the learning) and ``transferValueFor`` (where it counts: level, category, outcome).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from creditbank import ledger_store
from creditbank.credits import statement
from creditbank.credits.frameworks import Framework
from creditbank.models import CreditLine
from creditbank.services.credits.conversion import CONVERSION_ACTOR

SOURCE = "recognition"
OWN = "ach:"
# Keys of learning counted per learner: another issuer's achievements and scanned documents.
PER_LEARNER = ("ext:", "doc:")


def achievement_of(key: str) -> str | None:
    """The achievement recorded here that a learning key names, if it names one."""
    return key[len(OWN) :] if key.startswith(OWN) else None


def counted(session: Session, framework: str, keys: Iterable[str], learner: str) -> dict[str, int]:
    """Of these learning keys, those already counted in ``framework`` by a standing line with credits, and the seq
    of that line. A line of no credits (a conversion that found nothing to convert) counts nothing, so a learner
    may still ask a reviewer to recognize that learning.

    Learning recorded here (``ach:``) is one person's wherever it is counted. Another issuer's achievement may be
    one course or badge class for everyone who earned it, and two people may hand in the same scanned page (a
    class's attendance sheet): those count only against the ``learner`` applying, and nothing of another
    person's is told."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    documents = [k for k in wanted if k.startswith(PER_LEARNER)]
    shared = [k for k in wanted if not k.startswith(PER_LEARNER)]
    achievements = {a: k for k in shared if (a := achievement_of(k)) is not None}
    clauses = []
    if shared:
        clauses.append(CreditLine.learning.in_(shared))
    if documents:
        clauses.append(CreditLine.learning.in_(documents) & (CreditLine.learner_id == learner))
    if achievements:
        clauses.append(CreditLine.achievement_id.in_(sorted(achievements)))
    rows = session.execute(
        select(CreditLine.seq, CreditLine.learning, CreditLine.achievement_id).where(
            CreditLine.framework == framework,
            CreditLine.reverses.is_(None),
            CreditLine.reversed_seq.is_(None),
            CreditLine.cents > 0,
            or_(*clauses),
        )
    )
    found: dict[str, int] = {}
    for seq, learning, achievement in rows:
        key = learning if learning in wanted else achievements.get(achievement or "")
        if key is not None:
            found.setdefault(key, seq)
    return found


def line_body(
    *,
    application: dict[str, Any],
    decision_seq: int,
    item: dict[str, Any],
    given: dict[str, Any],
    rules: str,
    rules_hash: str,
    as_of: date,
    explanation: Sequence[dict[str, str]],
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "learner": application["learner"],
        "application": application["id"],
        "decision_seq": decision_seq,
        "source_seq": decision_seq,
        "institution": application["institution"] or "bank",
        "framework": application["framework"],
        "rules": rules,
        "rules_hash": rules_hash,
        "as_of": as_of.isoformat(),
        "credits": given["credits"],
        "level": given["level"],
        "category": given["category"],
        "source": SOURCE,
        "outcome": given.get("outcome"),
        "learning": item["key"],
        "explanation": list(explanation),
    }
    achievement = achievement_of(item["key"])
    if achievement is not None:
        body["achievement"] = achievement
    return body


def explanation(framework: Framework, application_id: str, seq: int, item: dict[str, Any], given: dict[str, Any],
                basis: str) -> list[dict[str, str]]:  # fmt: skip
    title = item.get("title") or {}
    what_zh = title.get("zh") or title.get("en") or f"第 {item['number']} 项"
    what_en = title.get("en") or title.get("zh") or f"item {item['number']}"
    credits = given["credits"]
    where_zh = f"第 {given['level']} 级，{framework.categories.get(given['category'], {}).get('zh', given['category'])}"
    where_en = f"level {given['level']}, {framework.categories.get(given['category'], {}).get('en', given['category'])}"
    if basis == "trust_list":
        issuer = item.get("issuer_name") or item.get("issuer")
        how = (
            f"可信发证方 {issuer} 的凭证经验证有效，按信任名单的对应规则自动认定。",
            f"A valid credential from the trusted issuer {issuer}, recognized automatically by the trust "
            "list's mapping.",
        )
    else:
        how = ("经审核员审核认定。", "Recognized by a reviewer.")
    return [
        {
            "zh": f"认定申请 {application_id} 的决定 #{seq}：“{what_zh}”。{how[0]}",
            "en": f"Decision #{seq} on recognition application {application_id}: '{what_en}'. {how[1]}",
        },
        {
            "zh": f"结果：{_fmt(credits)} 学分，{where_zh}。",
            "en": f"Result: {_fmt(credits)} credits at {where_en}.",
        },
    ]


def _fmt(value: Any) -> str:
    text = f"{Decimal(str(value)).quantize(Decimal('0.01')):f}".rstrip("0").rstrip(".")
    return text or "0"


def standing_lines(session: Session, application_id: str) -> list[CreditLine]:
    return list(
        session.scalars(
            select(CreditLine)
            .where(
                CreditLine.application_id == application_id,
                CreditLine.reverses.is_(None),
                CreditLine.reversed_seq.is_(None),
            )
            .order_by(CreditLine.seq)
        )
    )


def empty_lines(session: Session, framework: str, achievement_ids: Sequence[str]) -> list[CreditLine]:
    """Standing lines of no credits for these achievements in ``framework`` (conversions that gave nothing)."""
    if not achievement_ids:
        return []
    return list(
        session.scalars(
            select(CreditLine)
            .where(
                CreditLine.framework == framework,
                CreditLine.achievement_id.in_(sorted(set(achievement_ids))),
                CreditLine.reverses.is_(None),
                CreditLine.reversed_seq.is_(None),
                CreditLine.cents == 0,
            )
            .order_by(CreditLine.seq)
        )
    )


def reversal(line: CreditLine, by_seq: int, why: dict[str, str]) -> ledger_store.NewEntry:
    body: dict[str, Any] = {
        "learner": line.learner_id,
        "application": line.application_id,
        "decision_seq": by_seq,
        "source_seq": by_seq,
        "institution": line.institution_id,
        "framework": line.framework,
        "rules": line.rules_version,
        "reverses": line.seq,
        "credits": statement.credits(-line.cents),
        "level": line.level,
        "category": line.category,
        "source": line.source,
        "outcome": line.outcome,
        "learning": line.learning,
        "explanation": [why],
    }
    if line.achievement_id is not None:
        body["achievement"] = line.achievement_id
    return ledger_store.NewEntry("credits.converted", CONVERSION_ACTOR, body)


def reversals(standing: Sequence[CreditLine], by_seq: int, why: dict[str, str]) -> list[ledger_store.NewEntry]:
    """Reverse these lines; ``why`` holds ``{seq}`` where each line's own seq goes."""
    return [reversal(line, by_seq, {k: t.format(seq=line.seq) for k, t in why.items()}) for line in standing]
