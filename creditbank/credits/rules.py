"""Conversion rule sets: how each institution's credits and hours become bank credits at a framework level.

A rule set is data, published once under a version and never changed; the engine reads it, never the reverse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from creditbank.credits.documents import CATEGORY, CODE, SLUG, VERSION, Reader
from creditbank.credits.frameworks import MAX_CREDITS, Bilingual, Framework
from creditbank.credits.kinds import ACHIEVEMENT_KINDS

CENT = Decimal("0.01")

COURSE_REF = re.compile(r"([a-z0-9][a-z0-9-]{0,39}):(.{1,64})")
BASES = ("credits", "hours")
_TOP = {"version", "framework", "name", "defaults", "institutions", "equivalences", "caps", "awarding", "recognition"}
_RECOGNITION = {"review_days", "appeal_days", "automatic"}
_DEFAULTS = {"minimum_result", "rounding", "validity_years", "level", "category"}
_INSTITUTION = {
    "id",
    "source",
    "basis",
    "ratio",
    "unit",
    "levels",
    "category",
    "categories",
    "minimum_result",
    "validity_years",
}


@dataclass(frozen=True)
class InstitutionRule:
    id: str
    basis: str
    ratio: Decimal | None
    unit: Bilingual | None
    levels: dict[str, int]
    category: str | None
    categories: dict[str, str]
    source: str | None
    minimum_result: Decimal | None
    validity_years: int | None


@dataclass(frozen=True)
class Cap:
    source: str | None
    category: str | None
    max_share: Decimal | None
    max_credits: Decimal | None

    def applies(self, source: str, category: str) -> bool:
        return (self.source is None or self.source == source) and (self.category is None or self.category == category)

    def limit(self, total: Decimal) -> Decimal:
        limits = [self.max_credits, None if self.max_share is None else self.max_share * total]
        return min(value for value in limits if value is not None)

    def describe(self) -> Bilingual:
        who_zh = f"来源“{self.source}”" if self.source else f"类别“{self.category}”"
        who_en = f"credits from source '{self.source}'" if self.source else f"credits in category '{self.category}'"
        if self.source and self.category:
            who_zh, who_en = (
                f"来源“{self.source}”类别“{self.category}”",
                f"'{self.source}' credits in '{self.category}'",
            )
        parts_zh, parts_en = [], []
        if self.max_share is not None:
            percent = (self.max_share * 100).normalize()
            parts_zh.append(f"不超过资历总学分的{percent:f}%")
            parts_en.append(f"at most {percent:f}% of the qualification's total")
        if self.max_credits is not None:
            parts_zh.append(f"不超过{self.max_credits.normalize():f}学分")
            parts_en.append(f"at most {self.max_credits.normalize():f} credits")
        return {"zh": f"{who_zh}{'，且'.join(parts_zh)}", "en": f"{who_en}: {' and '.join(parts_en)}"}


@dataclass(frozen=True)
class RecognitionTerms:
    """How applications for recognition are handled under a rule set: the days a reviewer has to decide, the days
    a learner has to appeal a decision, and whether a valid credential from a trusted issuer whose achievement the
    trust list maps is recognized without waiting for a reviewer."""

    review_days: int = 30
    appeal_days: int = 30
    automatic: bool = True


@dataclass(frozen=True)
class RuleSet:
    version: str
    framework: str
    name: Bilingual
    minimum_result: Decimal
    rounding: Decimal
    validity_years: int | None
    level: int
    category: str
    institutions: dict[str, InstitutionRule]
    equivalences: dict[str, str]
    caps: tuple[Cap, ...]
    awarding: dict[str, tuple[str, ...]] = field(default_factory=dict)
    document: dict[str, Any] = field(default_factory=dict)
    recognition: RecognitionTerms = field(default_factory=RecognitionTerms)

    def resolve(self, institution: str, code: str) -> list[str]:
        """The chain of equivalences from one institution's course to a catalogue outcome (empty if none)."""
        chain, key = [], f"{institution}:{code}"
        while key in self.equivalences:
            key = self.equivalences[key]
            chain.append(key)
        return chain


def read(document: dict[str, Any], source: str, framework: Framework | None, institutions: set[str]) -> RuleSet:
    """Validate a parsed rule set against its framework and the registered institutions."""
    r = Reader(source)
    r.unknown(document, _TOP, "")
    version = r.text(document, "version", "version", pattern=VERSION) or ""
    framework_id = r.text(document, "framework", "framework", pattern=SLUG) or ""
    if framework_id and (framework is None or framework.id != framework_id):
        r.fault("framework", f"no published framework {framework_id!r}")
        framework = None
    name = r.bilingual(document, "name", "name") or {}
    defaults = r.table(document, "defaults", "defaults") or {}
    r.unknown(defaults, _DEFAULTS, "defaults")
    minimum = r.number(defaults, "minimum_result", "defaults.minimum_result", positive=False, maximum=Decimal(100))
    rounding = r.number(defaults, "rounding", "defaults.rounding", maximum=Decimal(100))
    if rounding is not None and rounding % CENT:
        # Balances are kept in cents, so a finer step could not be honoured without rounding up.
        r.fault("defaults.rounding", "must be a whole number of hundredths (0.01 or coarser)")
        rounding = None
    validity = r.number(defaults, "validity_years", "defaults.validity_years", integer=True, required=False)
    level = _level(r, defaults, "level", "defaults.level", framework)
    category = _category(r, defaults, "category", "defaults.category", framework)

    rules: dict[str, InstitutionRule] = {}
    for place, item in r.tables(document, "institutions", "institutions", required=False):
        rule = _institution(r, item, place, framework, institutions)
        if rule is not None:
            if rule.id in rules:
                r.fault(f"{place}.id", f"a second rule for {rule.id}")
            rules[rule.id] = rule

    equivalences: dict[str, str] = {}
    places: dict[str, str] = {}
    for place, item in r.tables(document, "equivalences", "equivalences", required=False):
        r.unknown(item, {"from", "to"}, place)
        origin = r.text(item, "from", f"{place}.from", pattern=COURSE_REF)
        target = r.text(item, "to", f"{place}.to")
        if origin is None or target is None:
            continue
        for end, key in ((origin, "from"), (target, "to")):
            match = COURSE_REF.fullmatch(end)
            if match and match.group(1) not in institutions:
                r.fault(f"{place}.{key}", f"unknown institution {match.group(1)!r}")
        if not COURSE_REF.fullmatch(target) and not CODE.fullmatch(target):
            r.fault(f"{place}.to", "must be a catalogue outcome code or institution:course")
        if origin in equivalences:
            r.fault(f"{place}.from", f"{origin} already has an equivalence ({places[origin]})")
            continue
        equivalences[origin] = target
        places[origin] = place
    _check_chains(r, equivalences, places)

    caps: list[Cap] = []
    for place, item in r.tables(document, "caps", "caps", required=False):
        r.unknown(item, {"source", "category", "max_share", "max_credits"}, place)
        cap_source = r.text(item, "source", f"{place}.source", pattern=SLUG, required=False)
        cap_category = _category(r, item, "category", f"{place}.category", framework, required=False)
        share = r.number(item, "max_share", f"{place}.max_share", positive=False, maximum=Decimal(1), required=False)
        credits = r.number(item, "max_credits", f"{place}.max_credits", positive=False, required=False)
        if cap_source is None and cap_category is None:
            r.fault(place, "name a source, a category or both")
        if share is None and credits is None:
            r.fault(place, "give max_share, max_credits or both")
        caps.append(Cap(cap_source, cap_category, share, credits))

    awarding: dict[str, tuple[str, ...]] = {}
    table = r.table(document, "awarding", "awarding", required=False) or {}
    for qualification, _ in table.items():
        place = f"awarding.{qualification}"
        if framework is not None and qualification not in framework.qualifications:
            r.fault(place, f"{framework.id} has no qualification type {qualification!r}")
        names = r.strings(table, qualification, place, pattern=SLUG, required=True)
        for index, institution in enumerate(names):
            if institution not in institutions:
                r.fault(f"{place}[{index}]", f"unknown institution {institution!r}")
        awarding[qualification] = tuple(names)
    terms = _recognition(r, r.table(document, "recognition", "recognition", required=False) or {})
    r.finish()
    assert minimum is not None
    assert rounding is not None
    assert level is not None
    assert category is not None
    return RuleSet(
        version,
        framework_id,
        name,
        minimum,
        rounding,
        None if validity is None else int(validity),
        level,
        category,
        rules,
        equivalences,
        tuple(caps),
        awarding,
        document,
        terms,
    )


def _recognition(r: Reader, table: dict[str, Any]) -> RecognitionTerms:
    r.unknown(table, _RECOGNITION, "recognition")
    defaults = RecognitionTerms()
    days = {}
    for key in ("review_days", "appeal_days"):
        value = r.number(table, key, f"recognition.{key}", integer=True, maximum=Decimal(365), required=False)
        days[key] = getattr(defaults, key) if value is None else int(value)
    automatic = table.get("automatic", defaults.automatic)
    if not isinstance(automatic, bool):
        r.fault("recognition.automatic", "must be true or false")
        automatic = defaults.automatic
    return RecognitionTerms(days["review_days"], days["appeal_days"], automatic)


def _level(r: Reader, parent: Any, key: str, place: str, framework: Framework | None, **kw: bool) -> int | None:
    value = r.number(parent, key, place, integer=True, maximum=Decimal(20), **kw)
    if value is None:
        return None
    if framework is not None and int(value) not in framework.levels:
        r.fault(place, f"level {value} is not one of {framework.id}'s levels")
    return int(value)


def _category(r: Reader, parent: Any, key: str, place: str, framework: Framework | None, **kw: bool) -> str | None:
    value = r.text(parent, key, place, pattern=CATEGORY, **kw)
    if value is not None and framework is not None and value not in framework.categories:
        r.fault(place, f"{value!r} is not one of {framework.id}'s categories")
    return value


def _institution(
    r: Reader, item: dict[str, Any], place: str, framework: Framework | None, institutions: set[str]
) -> InstitutionRule | None:
    r.unknown(item, _INSTITUTION, place)
    faults = len(r.faults)
    institution = r.text(item, "id", f"{place}.id", pattern=SLUG)
    if institution is not None and institution not in institutions:
        r.fault(f"{place}.id", f"unknown institution {institution!r}")
    basis = r.text(item, "basis", f"{place}.basis")
    if basis is not None and basis not in BASES:
        r.fault(f"{place}.basis", f"must be one of {', '.join(BASES)}")
    ratio = r.number(item, "ratio", f"{place}.ratio", maximum=MAX_CREDITS, required=False)
    if basis == "hours" and ratio is not None:
        r.fault(f"{place}.ratio", "hours are converted by the framework's credit unit; ratio applies to credits")
    unit = r.bilingual(item, "unit", f"{place}.unit", required=False)
    levels: dict[str, int] = {}
    table = r.table(item, "levels", f"{place}.levels", required=False) or {}
    for kind in table:
        if kind != "default" and kind not in ACHIEVEMENT_KINDS:
            r.fault(f"{place}.levels.{kind}", f"not an achievement kind ({', '.join(ACHIEVEMENT_KINDS)})")
        level = _level(r, table, kind, f"{place}.levels.{kind}", framework)
        if level is not None:
            levels[kind] = level
    category = _category(r, item, "category", f"{place}.category", framework, required=False)
    categories: dict[str, str] = {}
    table = r.table(item, "categories", f"{place}.categories", required=False) or {}
    for kind in table:
        if kind not in ACHIEVEMENT_KINDS:
            r.fault(f"{place}.categories.{kind}", f"not an achievement kind ({', '.join(ACHIEVEMENT_KINDS)})")
        value = _category(r, table, kind, f"{place}.categories.{kind}", framework)
        if value is not None:
            categories[kind] = value
    source = r.text(item, "source", f"{place}.source", pattern=SLUG, required=False)
    minimum = r.number(
        item, "minimum_result", f"{place}.minimum_result", positive=False, maximum=Decimal(100), required=False
    )
    validity = r.number(item, "validity_years", f"{place}.validity_years", integer=True, required=False)
    if len(r.faults) > faults or institution is None or basis is None:
        return None
    return InstitutionRule(
        institution,
        basis,
        ratio,
        unit,
        levels,
        category,
        categories,
        source,
        minimum,
        None if validity is None else int(validity),
    )


def _check_chains(r: Reader, equivalences: dict[str, str], places: dict[str, str]) -> None:
    """Every chain must end at a catalogue code; a chain that comes back on itself would never end."""
    for origin in equivalences:
        seen = [origin]
        key = equivalences[origin]
        while key in equivalences and key not in seen:
            seen.append(key)
            key = equivalences[key]
        if key in seen:
            loop = " → ".join([*seen[seen.index(key) :], key])
            r.fault(f"{places[origin]}.to", f"equivalences form a cycle: {loop}")
        elif COURSE_REF.fullmatch(key):
            r.fault(f"{places[origin]}.to", f"{key} has no equivalence of its own, so the chain ends at no outcome")
