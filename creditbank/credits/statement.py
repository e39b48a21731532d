"""A learner's credit account from its credit lines: balances by framework, level and category, the statement
behind them, and what a redemption plan may still draw on.

Amounts are whole cents, as the projection keeps them: rule sets round every conversion down to a multiple of
0.01 or coarser, so sums of cents are exact and a balance never drifts the way summed floats would. Credits
become JSON numbers only where a figure is shown (``credits``).

A conversion *stands* until a reversal names it; only standing conversions count toward a balance. A reversal
(negative credits) and the conversion it reverses both stay on the statement, as do the redemptions that
consumed credits from a line, even one reversed since.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from creditbank.credits.documents import as_number
from creditbank.credits.planner import Line

# What an awarding body reads of another institution's line: enough to check a qualification's requirements
# (total, category, level, required outcomes) and the rule set's caps by source; not who recorded it, which
# achievement it came from, nor the explanation (which quotes the achievement's title and result).
AWARD_FIELDS = ("seq", "time", "type", "credits", "level", "category", "source", "outcome", "reverses", "reversed_by")


def to_cents(amount: Decimal | int | float) -> int:
    """An amount of credits in the whole hundredths the tables keep. A JSON number is read through its decimal text,
    so a float body value counts as the digits it was written with, not its binary approximation."""
    value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    return int((value * 100).to_integral_value())


def credits(cents: int) -> int | float | None:
    """Whole cents as the JSON number of credits they make: ``250`` → ``2.5``, ``400`` → ``4``."""
    return as_number(Decimal(cents) / 100)


@dataclass(frozen=True)
class CreditLine:
    """One ``credits.converted`` entry as the account reads it: a conversion, or (``reverses`` set, negative
    ``cents``) the reversal of one. ``reversed_by`` names the reversal of a conversion that no longer stands;
    ``consumed_cents`` is what awards have redeemed from it."""

    seq: int
    time: str
    framework: str
    institution: str
    achievement: str
    source_seq: int
    rules: str
    level: int
    category: str
    source: str
    outcome: str | None
    cents: int
    consumed_cents: int = 0
    reverses: int | None = None
    reversed_by: int | None = None
    explanation: Sequence[Mapping[str, str]] = ()

    @property
    def standing(self) -> bool:
        return self.reverses is None and self.reversed_by is None

    def movement(self) -> dict[str, Any]:
        """The line as a statement shows it."""
        movement: dict[str, Any] = {
            "seq": self.seq,
            "time": self.time,
            "type": "reversed" if self.reverses is not None else "converted",
            "credits": credits(self.cents),
            "level": self.level,
            "category": self.category,
            "source": self.source,
            "institution": self.institution,
            "achievement": self.achievement,
            "source_seq": self.source_seq,
            "rules": self.rules,
            "explanation": self.explanation,
        }
        if self.reverses is not None:
            movement["reverses"] = self.reverses
        elif self.reversed_by is not None:
            movement["reversed_by"] = self.reversed_by
        if self.outcome:
            movement["outcome"] = self.outcome
        return movement


@dataclass(frozen=True)
class Redemption:
    """Credits of one line consumed by one award, recorded by the ``credits.redeemed`` entry ``seq``."""

    seq: int
    line: int
    award: str
    qualification: str
    time: str
    cents: int

    def movement(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": self.time,
            "type": "redeemed",
            "credits": credits(-self.cents),
            "conversion": self.line,
            "award": self.award,
            "qualification": self.qualification,
        }


@dataclass(frozen=True)
class Balance:
    """Standing conversions at one level and category: what they earned, what awards used of it, and their seqs."""

    level: int
    category: str
    earned: int
    used: int
    conversions: tuple[int, ...]

    @property
    def available(self) -> int:
        return self.earned - self.used


@dataclass(frozen=True)
class Account:
    """One framework's part of an account; ``statement`` lists every movement in ledger order."""

    framework: str
    balances: tuple[Balance, ...]
    statement: tuple[dict[str, Any], ...]

    @property
    def earned(self) -> int:
        return sum(balance.earned for balance in self.balances)

    @property
    def used(self) -> int:
        return sum(balance.used for balance in self.balances)

    @property
    def available(self) -> int:
        return self.earned - self.used


@dataclass
class _Building:
    held: dict[tuple[int, str], tuple[int, int, list[int]]] = field(default_factory=dict)
    statement: list[dict[str, Any]] = field(default_factory=list)


def _every_field(line: CreditLine) -> bool:
    return True


def accounts(
    lines: Iterable[CreditLine],
    redemptions: Iterable[Redemption],
    whole: Callable[[CreditLine], bool] = _every_field,
) -> list[Account]:
    """The accounts the reader's ``lines`` make, one a framework, in the order their frameworks first appear.

    ``lines`` are the ones the reader may see, each framework's in seq order; a redemption of a line not among
    them is not shown. A line for which ``whole`` is false shows only ``AWARD_FIELDS``."""
    building: dict[str, _Building] = {}
    framework_of: dict[int, str] = {}
    for line in lines:
        framework_of[line.seq] = line.framework
        account = building.setdefault(line.framework, _Building())
        movement = line.movement()
        if not whole(line):
            movement = {key: value for key, value in movement.items() if key in AWARD_FIELDS}
        account.statement.append(movement)
        if line.standing:
            key = (line.level, line.category)
            earned, used, seqs = account.held.get(key, (0, 0, []))
            seqs.append(line.seq)
            account.held[key] = (earned + line.cents, used + line.consumed_cents, seqs)
    for redemption in redemptions:
        if redemption.line in framework_of:
            building[framework_of[redemption.line]].statement.append(redemption.movement())
    result = []
    for framework, account in building.items():
        # A redemption sorts after the conversions before it; one award's redemptions share a seq and list
        # in the order of the lines they consumed.
        account.statement.sort(key=lambda movement: (movement["seq"], movement.get("conversion") or 0))
        balances = tuple(
            Balance(level, category, earned, used, tuple(seqs))
            for (level, category), (earned, used, seqs) in sorted(account.held.items())
        )
        result.append(Account(framework, balances, tuple(account.statement)))
    return result


def available(lines: Iterable[CreditLine]) -> list[Line]:
    """What a redemption plan may draw on: each standing conversion with credits left, in credits."""
    return [
        Line(
            line.seq,
            line.level,
            line.category,
            line.source,
            line.outcome,
            Decimal(line.cents - line.consumed_cents) / 100,
        )
        for line in lines
        if line.standing and line.cents > line.consumed_cents
    ]
