"""Registering and reading institutions (universities, open universities, senior colleges, MOOCs...)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from creditbank import ledger_store, recording
from creditbank.errors import Conflict, InvalidInput, NotFound
from creditbank.models import INSTITUTION_TYPES, Institution
from creditbank.runtime import Bank

SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
BANK_ACTOR = "bank"


@dataclass(frozen=True)
class InstitutionInput:
    id: str
    type: str
    name_en: str
    name_zh: str | None = None
    parent: str | None = None
    credit_unit: str | None = None
    hours_per_unit: float | None = None


def _validate(data: InstitutionInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not SLUG.fullmatch(data.id):
        errors["id"] = "use 1-64 lower-case letters, digits and inner hyphens"
    if data.type not in INSTITUTION_TYPES:
        errors["type"] = f"unknown type {data.type!r}; choose one of {', '.join(INSTITUTION_TYPES)}"
    if not data.name_en.strip() or len(data.name_en) > 300:
        errors["name_en"] = "an English name of 1-300 characters is required"
    if data.name_zh is not None and (not data.name_zh.strip() or len(data.name_zh) > 300):
        errors["name_zh"] = "the Chinese name must have 1-300 characters"
    if (data.credit_unit is None) != (data.hours_per_unit is None):
        errors["credit_unit"] = "give the credit unit name and its hours per unit together"
    if data.hours_per_unit is not None and not 0 < data.hours_per_unit <= 10_000:
        errors["hours_per_unit"] = "hours per unit must be greater than 0 and at most 10000"
    if data.credit_unit is not None and not 0 < len(data.credit_unit.strip()) <= 64:
        errors["credit_unit"] = "the credit unit name must have 1-64 characters"
    for name in ("name_en", "name_zh", "credit_unit"):
        value = getattr(data, name)
        # Every door (API, CLI, console) reaches here; PostgreSQL refuses a NUL in text outright.
        if value is not None and name not in errors and any(unicodedata.category(c) == "Cc" for c in value):
            errors[name] = "must not contain control characters (tabs, line breaks, NUL)"
    return errors


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def register(bank: Bank, data: InstitutionInput, *, actor: str = BANK_ACTOR) -> Institution:
    errors = _validate(data)
    if errors:
        raise InvalidInput("; ".join(f"{k}: {v}" for k, v in errors.items()), errors=errors)
    body: dict[str, Any] = {
        "institution": data.id,
        "type": data.type,
        "names": {"en": data.name_en.strip(), **({"zh": data.name_zh.strip()} if data.name_zh else {})},
    }
    if data.parent:
        body["parent"] = data.parent
    if data.credit_unit is not None and data.hours_per_unit is not None:
        body["credit_unit"] = {"name": data.credit_unit.strip(), "hours": _number(data.hours_per_unit)}
    with bank.db.writing() as session:
        if session.get(Institution, data.id) is not None:
            raise Conflict(f"institution {data.id!r} is already registered", errors={"id": "already registered"})
        if data.parent and session.get(Institution, data.parent) is None:
            raise InvalidInput(f"parent institution {data.parent!r} is not registered", errors={"parent": "unknown"})
        recording.record(session, [ledger_store.NewEntry("institution.registered", actor, body)])
        institution = session.get(Institution, data.id)
        assert institution is not None
        return institution


def list_all(bank: Bank) -> list[Institution]:
    with bank.db.reading() as session:
        return list(session.scalars(select(Institution).order_by(Institution.id)))


def get(bank: Bank, institution_id: str) -> Institution:
    with bank.db.reading() as session:
        institution = session.get(Institution, institution_id)
        if institution is None:
            raise NotFound(f"no institution {institution_id!r}")
        return institution
