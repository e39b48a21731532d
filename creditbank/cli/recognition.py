"""The `creditbank recognition` group: recognition by application at the bank's desk.

Apply with evidence files for a learner, list and show applications, assign a reviewer, decide (recognize or refuse
each item, with reasons), appeal, withdraw and revoke. Exit status 1 with a one-line message for every refusal.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click

from creditbank.cli.context import Context, pass_ctx
from creditbank.models.recognition import APPLICATION_STATES

# N=CREDITS, optionally @LEVEL, /CATEGORY and +OUTCOME, optionally :REASON — e.g. 2=3.5@4/professional:matches unit 4
_RECOGNIZE = re.compile(
    r"(?P<item>\d{1,4})=(?P<credits>[0-9]+(?:\.[0-9]{1,2})?)(?:@(?P<level>\d{1,2}))?(?:/(?P<category>[a-z0-9_]{1,40}))?"
    r"(?:\+(?P<outcome>[A-Za-z0-9._-]{1,24}))?(?::(?P<reason>.+))?",
    re.S,
)
_REFUSE = re.compile(r"(?P<item>\d{1,4})(?::(?P<reason>.+))?", re.S)


@click.group()
def recognition() -> None:
    """Recognition by application: apply, list, assign, decide, appeal, withdraw, revoke."""


def _echo(view: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(view, ensure_ascii=False, indent=2))
        return
    click.echo(f"application {view['id']}: {view['state']} ({view['framework']}, learner {view['learner']})")
    if view.get("reviewer"):
        click.echo(f"  reviewer {view['reviewer']}, due {view['due']}")
    for item in view["items"]:
        title = item.get("title") or {}
        name = title.get("en") or title.get("zh") or item.get("description") or item["key"]
        mapped = " (mapped)" if item.get("mapping") else ""
        click.echo(f"  item {item['number']}: {name} [{item['kind']}]{mapped}")
    for label, decision in (
        ("decision", view.get("decision")),
        ("appeal decision", (view.get("appeal") or {}).get("decision")),
    ):
        if not decision:
            continue
        click.echo(f"  {label} #{decision['seq']} by {decision['reviewer']}:")
        for given in decision["recognized"]:
            click.echo(f"    item {given['item']}: {given['credits']} credits at level {given['level']}, "
                       f"{given['category']} — {given['reason']}")  # fmt: skip
        for refused in decision["refused"]:
            click.echo(f"    item {refused['item']}: refused — {refused['reason']}")
    if view.get("appeal_until") and view["state"] == "decided":
        click.echo(f"  may be appealed until {view['appeal_until']}")


@recognition.command("apply")
@click.option("--learner", "learner_id", required=True, help="The learner's pseudonymous id.")
@click.option("--evidence", "files", multiple=True, required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="A credential (JSON), a PDF certificate, or a scanned document; repeat for several.")  # fmt: skip
@click.option("--description", "descriptions", multiple=True,
              help="What a scanned document shows, one per document in the order given.")  # fmt: skip
@click.option("--framework", help="The framework the learning should count in (the only one, if omitted).")
@click.option("--qualification", help="The qualification it should count toward, if any.")
@click.option("--institution", help="Hand it in for this institution, on the learner's behalf.")
@click.option("--json", "as_json", is_flag=True, help="Print the application as JSON.")
@pass_ctx
def recognition_apply(ctx: Context, learner_id: str, files: tuple[Path, ...], descriptions: tuple[str, ...],
                      framework: str | None, qualification: str | None, institution: str | None,
                      as_json: bool) -> None:  # fmt: skip
    """Apply for recognition of a learner's learning, with evidence."""
    from creditbank.services.recognition import applications
    from creditbank.services.recognition.evidence_files import EvidenceFile, sniff

    evidence, unused = [], list(descriptions)
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise click.ClickException(f"cannot read {path}: {exc.strerror}") from None
        description = ""
        if sniff(data) in ("image/png", "image/jpeg") or (sniff(data) == "application/pdf" and unused):
            description = unused.pop(0) if unused else ""
        evidence.append(EvidenceFile(data, path.name, description))
    applicant = applications.Applicant.bank()
    principal = None
    if institution is not None:
        from creditbank.services.records.api_keys import Principal

        principal = Principal("cli", institution, frozenset({"records:read", "records:write"}))
        applicant = applications.Applicant.for_institution(principal)
    view = applications.apply(ctx.bank(), applicant, learner_id, evidence, framework=framework,
                              qualification=qualification, principal=principal)  # fmt: skip
    _echo(view, as_json)


@recognition.command("list")
@click.option("--learner", "learner_id")
@click.option("--institution")
@click.option("--state", type=click.Choice(APPLICATION_STATES))
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def recognition_list(ctx: Context, learner_id: str | None, institution: str | None, state: str | None,
                     as_json: bool) -> None:  # fmt: skip
    """List applications, newest first."""
    from creditbank.services.recognition import applications

    found = applications.list_applications(ctx.bank(), learner_id=learner_id, institution=institution, state=state)
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    for view in found:
        click.echo(f"{view['id']}  {view['state']:<12}  {view['framework']}  learner {view['learner']}  "
                   f"{len(view['items'])} item(s)  applied {view['applied_at'][:10]}")  # fmt: skip


@recognition.command("show")
@click.argument("application_id")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def recognition_show(ctx: Context, application_id: str, as_json: bool) -> None:
    """Show one application with its items, decisions and credit lines."""
    from creditbank.services.recognition import applications

    _echo(applications.get(ctx.bank(), application_id), as_json)


@recognition.command("assign")
@click.argument("application_id")
@click.option("--reviewer", required=True, help="The reviewer's staff login.")
@pass_ctx
def recognition_assign(ctx: Context, application_id: str, reviewer: str) -> None:
    """Assign (or reassign) an open application to a reviewer."""
    from creditbank.services.recognition import applications

    view = applications.assign(ctx.bank(), application_id, reviewer)
    click.echo(f"application {view['id']} assigned to {view['reviewer']}, due {view['due']}")


def _recognized(values: tuple[str, ...], reason: str | None) -> list[Any]:
    from creditbank.services.recognition.decisions import Recognize

    found = []
    for value in values:
        match = _RECOGNIZE.fullmatch(value.strip())
        if match is None:
            raise click.BadParameter(
                f"{value!r}: write ITEM=CREDITS[@LEVEL][/CATEGORY][+OUTCOME][:REASON], e.g. 1=3@4/general",
                param_hint="--recognize",
            )
        try:
            credits = Decimal(match["credits"])
        except InvalidOperation:
            raise click.BadParameter(f"{value!r}: credits must be a number", param_hint="--recognize") from None
        found.append(
            Recognize(
                int(match["item"]),
                credits,
                (match["reason"] or reason or "").strip(),
                int(match["level"]) if match["level"] else None,
                match["category"],
                match["outcome"],
            )
        )
    return found


def _refused(values: tuple[str, ...], reason: str | None) -> list[Any]:
    from creditbank.services.recognition.decisions import Refuse

    found = []
    for value in values:
        match = _REFUSE.fullmatch(value.strip())
        if match is None:
            raise click.BadParameter(f"{value!r}: write ITEM[:REASON], e.g. 2:not at the required level",
                                     param_hint="--refuse")  # fmt: skip
        found.append(Refuse(int(match["item"]), (match["reason"] or reason or "").strip()))
    return found


@recognition.command("decide")
@click.argument("application_id")
@click.option("--recognize", "recognize", multiple=True, metavar="ITEM=CREDITS[@LEVEL][/CATEGORY][+OUTCOME][:REASON]",
              help="Recognize an item; repeat per item.")  # fmt: skip
@click.option("--refuse", "refuse", multiple=True, metavar="ITEM[:REASON]", help="Refuse an item; repeat per item.")
@click.option("--reason", help="The reason for every item that names none of its own.")
@click.option("--reviewer", required=True, help="The deciding reviewer's staff login.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def recognition_decide(ctx: Context, application_id: str, recognize: tuple[str, ...], refuse: tuple[str, ...],
                       reason: str | None, reviewer: str, as_json: bool) -> None:  # fmt: skip
    """Decide an application (or its appeal): every item recognized or refused, each with a reason."""
    from creditbank.services.recognition import decisions

    if not recognize and not refuse:
        raise click.UsageError("give --recognize or --refuse for each item")
    bank = ctx.bank()
    view = decisions.decide(bank, application_id, decisions.reviewer_by_login(bank, reviewer),
                            _recognized(recognize, reason), _refused(refuse, reason))  # fmt: skip
    _echo(view, as_json)


@recognition.command("appeal")
@click.argument("application_id")
@click.option("--reason", required=True, help="Why the decision should be looked at again.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def recognition_appeal(ctx: Context, application_id: str, reason: str, as_json: bool) -> None:
    """Appeal a decision (once, within the appeal period); another reviewer decides, finally."""
    from creditbank.services.recognition import applications, decisions

    _echo(decisions.appeal(ctx.bank(), application_id, applications.Applicant.bank(), reason), as_json)


@recognition.command("withdraw")
@click.argument("application_id")
@pass_ctx
def recognition_withdraw(ctx: Context, application_id: str) -> None:
    """Withdraw an application (or an appeal) not yet decided."""
    from creditbank.services.recognition import applications

    view = applications.withdraw(ctx.bank(), application_id, applications.Applicant.bank())
    click.echo(f"application {view['id']}: {view['state']}")


@recognition.command("revoke")
@click.argument("application_id")
@click.option("--reason", required=True)
@pass_ctx
def recognition_revoke(ctx: Context, application_id: str, reason: str) -> None:
    """Revoke a decision: the credits it gave are reversed."""
    from creditbank.services.recognition import decisions

    view = decisions.revoke(ctx.bank(), application_id, reason)
    click.echo(f"application {view['id']}: {view['state']}; {sum(1 for line in view['lines'] if line['reverses'])} "
               "credit line(s) reversed")  # fmt: skip
