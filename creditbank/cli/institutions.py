"""The `creditbank institutions` group: institutions that post learning records."""

from __future__ import annotations

import json
from typing import Any

import click

from creditbank.cli.context import Context, pass_ctx
from creditbank.models import INSTITUTION_TYPES


@click.group()
def institutions() -> None:
    """Institutions that post learning records."""


@institutions.command("add")
@click.argument("institution_id")
@click.option("--type", "type_", required=True, type=click.Choice(INSTITUTION_TYPES))
@click.option("--name-en", required=True)
@click.option("--name-zh")
@click.option("--parent", help="Parent institution id (for branches and learning points).")
@click.option("--credit-unit", help="Name of the native credit unit, e.g. 'credit'.")
@click.option("--hours-per-unit", type=float, help="Notional learning hours per native unit.")
@pass_ctx
def institutions_add(
    ctx: Context,
    institution_id: str,
    type_: str,
    name_en: str,
    name_zh: str | None,
    parent: str | None,
    credit_unit: str | None,
    hours_per_unit: float | None,
) -> None:
    """Register an institution (recorded as institution.registered)."""
    from creditbank.services.records import institutions as service

    data = service.InstitutionInput(institution_id, type_, name_en, name_zh, parent, credit_unit, hours_per_unit)
    institution = service.register(ctx.bank(), data)
    click.echo(f"registered {institution.id} at ledger seq {institution.registered_seq}")


@institutions.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def institutions_list(ctx: Context, as_json: bool) -> None:
    """List registered institutions."""
    from creditbank.services.records import institutions as service

    rows: list[dict[str, Any]] = [
        {
            "id": i.id,
            "type": i.type,
            "name_en": i.name_en,
            "name_zh": i.name_zh,
            "parent": i.parent_id,
            "credit_unit": i.credit_unit,
            "hours_per_unit": i.hours_per_unit,
            "status": i.status,
            "registered_seq": i.registered_seq,
        }
        for i in service.list_all(ctx.bank())
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        names = row["name_en"] + (f" / {row['name_zh']}" if row["name_zh"] else "")
        parent = f"  (under {row['parent']})" if row["parent"] else ""
        click.echo(f"{row['id']:32} {row['type']:16} {names}{parent}")
