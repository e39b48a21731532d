"""Redemption planning: which banked credits meet a qualification's requirements, within the rule set's caps.

One plan serves both the progress view (what is met, what is missing) and an award (the credits it consumes),
so a learner is never told a requirement is met that an award would then refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from creditbank.credits.documents import as_number
from creditbank.credits.frameworks import Bilingual, QualificationType
from creditbank.credits.rules import Cap

ZERO = Decimal(0)


@dataclass(frozen=True)
class Line:
    """Credits still available from one conversion."""

    seq: int
    level: int
    category: str
    source: str
    outcome: str | None
    available: Decimal


@dataclass
class Requirement:
    key: str
    needed: Decimal
    counted: Decimal
    text: Bilingual

    @property
    def met(self) -> bool:
        return self.counted >= self.needed

    def view(self) -> dict[str, Any]:
        return {
            "requirement": self.key,
            "needed": as_number(self.needed),
            "counted": as_number(self.counted),
            "missing": as_number(max(ZERO, self.needed - self.counted)),
            "met": self.met,
            "description": self.text,
        }


@dataclass
class Plan:
    qualification: QualificationType
    requirements: list[Requirement]
    consumed: dict[int, Decimal]
    limits: list[Bilingual] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return all(requirement.met for requirement in self.requirements)

    @property
    def total(self) -> Decimal:
        return sum(self.consumed.values(), ZERO)

    def missing(self) -> dict[str, str]:
        return {
            r.key: f"{_fmt(r.needed - r.counted)} more credits needed ({r.text['en']})"
            if not r.key.startswith("outcome.")
            else f"required outcome not banked ({r.text['en']})"
            for r in self.requirements
            if not r.met
        }


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}" if value != value.to_integral_value() else str(int(value))


class _Taker:
    def __init__(self, lines: list[Line], caps: tuple[Cap, ...], total: Decimal) -> None:
        # Higher levels first (they serve "at or above" floors), then the oldest credits first.
        self.lines = sorted(lines, key=lambda line: (-line.level, line.seq))
        self.left = {line.seq: line.available for line in lines}
        self.caps = [(cap, cap.limit(total)) for cap in caps]
        self.capped = [ZERO for _ in caps]
        self.consumed: dict[int, Decimal] = {}
        self.total = total
        self.taken = ZERO

    def room(self, line: Line) -> Decimal:
        room = self.left[line.seq]
        for index, (cap, limit) in enumerate(self.caps):
            if cap.applies(line.source, line.category):
                room = min(room, limit - self.capped[index])
        return max(room, ZERO)

    def take(self, wanted: Callable[[Line], bool], amount: Decimal | None) -> Decimal:
        """Consume up to ``amount`` (all available, if None) from matching lines; returns what was taken."""
        taken = ZERO
        for line in self.lines:
            if amount is not None and taken >= amount:
                break
            if not wanted(line):
                continue
            # Nothing past the qualification's total, whatever a requirement still lacks.
            portion = min(self.room(line), self.total - self.taken)
            if amount is not None:
                portion = min(portion, amount - taken)
            if portion <= 0:
                continue
            self.left[line.seq] -= portion
            self.consumed[line.seq] = self.consumed.get(line.seq, ZERO) + portion
            for index, (cap, _) in enumerate(self.caps):
                if cap.applies(line.source, line.category):
                    self.capped[index] += portion
            taken += portion
            self.taken += portion
        return taken

    def counted(self, lines: list[Line], wanted: Callable[[Line], bool]) -> Decimal:
        return sum((self.consumed.get(line.seq, ZERO) for line in lines if wanted(line)), ZERO)


def plan(qualification: QualificationType, lines: list[Line], caps: tuple[Cap, ...]) -> Plan:
    """Choose credits for each requirement in turn: required outcomes, category minimums, the level floor, the
    total. Greedy, deterministic, and never past a cap or past what a line has left."""
    taker = _Taker([line for line in lines if line.available > 0], caps, qualification.total)
    requirements: list[Requirement] = []

    for code in qualification.required_outcomes:
        got = taker.take(lambda line, c=code: line.outcome == c, None)  # type: ignore[misc]
        requirements.append(
            Requirement(
                f"outcome.{code}",
                Decimal(1),
                Decimal(1) if got > 0 else ZERO,
                {"zh": f"必修成果 {code}", "en": f"required outcome {code}"},
            )
        )
    for category, needed in qualification.per_category.items():
        have = taker.counted(lines, lambda line, c=category: line.category == c)  # type: ignore[misc]
        if have < needed:
            taker.take(lambda line, c=category: line.category == c, needed - have)  # type: ignore[misc]
        requirements.append(
            Requirement(
                f"category.{category}",
                needed,
                taker.counted(lines, lambda line, c=category: line.category == c),  # type: ignore[misc]
                {
                    "zh": f"类别 {category} 至少 {_fmt(needed)} 学分",
                    "en": f"at least {_fmt(needed)} credits in {category}",
                },
            )
        )
    if qualification.min_at_or_above is not None:
        floor, needed = qualification.min_at_or_above
        have = taker.counted(lines, lambda line: line.level >= floor)
        if have < needed:
            taker.take(lambda line: line.level >= floor, needed - have)
        requirements.append(
            Requirement(
                f"level.{floor}",
                needed,
                taker.counted(lines, lambda line: line.level >= floor),
                {
                    "zh": f"第 {floor} 级及以上至少 {_fmt(needed)} 学分",
                    "en": f"at least {_fmt(needed)} credits at level {floor} or above",
                },
            )
        )
    have = taker.counted(lines, lambda line: True)
    if have < qualification.total:
        taker.take(lambda line: True, qualification.total - have)
    requirements.append(
        Requirement(
            "total",
            qualification.total,
            taker.counted(lines, lambda line: True),
            {
                "zh": f"总计至少 {_fmt(qualification.total)} 学分",
                "en": f"at least {_fmt(qualification.total)} credits in all",
            },
        )
    )
    limits = [cap.describe() for cap in caps]
    return Plan(qualification, requirements, dict(sorted(taker.consumed.items())), limits)
