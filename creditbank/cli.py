"""The `creditbank` command: serve, schedule, administer and audit."""

from __future__ import annotations

import json
import signal
import sys
import time
from typing import Any

import click
from flask import Flask
from sqlalchemy.exc import OperationalError, ProgrammingError

from creditbank import create_app, migrate
from creditbank.db import DATABASE_ERRORS, storage_failure
from creditbank.errors import DomainError
from creditbank.models import INSTITUTION_TYPES
from creditbank.runtime import Bank, bank_of


class _Group(click.Group):
    """Domain errors become one-line messages with exit status 1, never tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DomainError as exc:
            raise click.ClickException(exc.detail) from None
        except DATABASE_ERRORS as exc:
            reason = storage_failure(exc)
            if reason is None and not isinstance(exc, (OperationalError, ProgrammingError)):
                raise
            if reason is None:
                original = getattr(exc, "orig", None) or exc
                reason = str(original).strip().splitlines()[0]
            raise click.ClickException(f"database error: {reason}") from None


class _Context:
    def __init__(self) -> None:
        self._app: Flask | None = None

    @property
    def app(self) -> Flask:
        if self._app is None:
            self._app = create_app()
            # Close pooled connections when the command ends rather than at interpreter exit.
            click.get_current_context().call_on_close(bank_of(self._app).db.dispose)
        return self._app

    def bank(self, *, migrated: bool = True) -> Bank:
        bank = bank_of(self.app)
        if migrated and not migrate.is_current(bank.db.engine):
            raise click.ClickException("the database schema is not current: run `creditbank db upgrade` first")
        return bank


pass_ctx = click.make_pass_decorator(_Context, ensure=True)


@click.group(cls=_Group)
def main() -> None:
    """creditbank: lifelong-learning credit bank and learner record ledger."""


# --- running -------------------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--demo/--no-demo", default=True, show_default=True, help="Seed demo data into an empty bank.")
@pass_ctx
def serve(ctx: _Context, host: str, port: int, demo: bool) -> None:
    """Run the web/API server and the scheduler together (development and embedded use)."""
    from werkzeug.serving import make_server

    from creditbank import demo as demo_data
    from creditbank import logs
    from creditbank.scheduler import Scheduler

    bank = ctx.bank(migrated=False)
    if not migrate.is_current(bank.db.engine):
        click.echo("applying database migrations…")
        migrate.upgrade(bank.db.engine)
    bank.prepare_keys()
    if demo:
        token = demo_data.seed(bank)
        if token:
            click.echo(f"demo data loaded; demo API key for demo-university (also in {demo_data.KEY_FILE}):")
            click.echo(f"  {token}")
    login = demo_data.demo_login(bank) if demo else None
    if login is not None:
        click.echo(f"demo learner: log in at http://{host}:{port}/login as {login[1]}, password {login[2]}")
    scheduler = Scheduler(bank)
    scheduler.start()
    # Requests are logged by route, as under gunicorn: werkzeug's own lines would print tokens from the path.
    server = make_server(host, port, ctx.app, threaded=True, request_handler=logs.RouteLoggingHandler)
    # shutdown() waits for serve_forever() to return, which cannot happen while this very thread runs the handler;
    # turning SIGTERM into the same interrupt as Ctrl+C stops it cleanly.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    click.echo(f"creditbank is serving on http://{host}:{port}/ (API docs: /api/v1/docs); Ctrl+C stops it")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.stop()


def _address(value: str | None) -> tuple[str, int] | None:
    if not value:
        return None
    host, _, port = value.rpartition(":")
    if not host or not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
        raise click.BadParameter(f"{value!r} is not HOST:PORT", param_hint="--metrics-bind")
    return host, int(port)


@main.command()
@click.option(
    "--metrics-bind",
    metavar="HOST:PORT",
    help="Serve this process's Prometheus metrics there (default: CREDITBANK_SCHEDULER_METRICS_BIND; none if unset).",
)
@pass_ctx
def scheduler(ctx: _Context, metrics_bind: str | None) -> None:
    """Run the scheduler alone (production: next to `gunicorn wsgi:app`)."""
    from prometheus_client import start_http_server

    from creditbank.scheduler import Scheduler

    bank = ctx.bank()
    address = _address(metrics_bind or bank.settings["CREDITBANK_SCHEDULER_METRICS_BIND"])
    bank.log_signer()
    if address is not None:
        start_http_server(address[1], addr=address[0])
        click.echo(f"scheduler metrics on http://{address[0]}:{address[1]}/metrics")
    jobs = Scheduler(bank)
    signal.signal(signal.SIGTERM, lambda *_: jobs.stop())
    signal.signal(signal.SIGINT, lambda *_: jobs.stop())
    jobs.start()
    click.echo(f"scheduler {jobs.holder} started")
    jobs.wait()


@main.command()
@click.option("--learners", "learner_count", default=24, show_default=True, type=click.IntRange(1, 100_000))
@pass_ctx
def demo(ctx: _Context, learner_count: int) -> None:
    """Seed an empty bank with fictitious institutions, learners and achievements, the shipped frameworks and
    example rules, and one more learner who holds an awarded qualification."""
    from creditbank import demo as demo_data

    bank = ctx.bank(migrated=False)
    if not migrate.is_current(bank.db.engine):
        migrate.upgrade(bank.db.engine)
    bank.prepare_keys()
    token = demo_data.seed(bank, learner_count)
    if token is None:
        raise click.ClickException("the bank already holds data; the demo seeds only an empty bank")
    login = demo_data.demo_login(bank)
    if login is not None:
        click.echo(f"demo learner portal login: {login[1]}, password {login[2]}")
    click.echo(
        f"demo data loaded with {learner_count} learners and one with an award; "
        f"API key for demo-university (also in {demo_data.KEY_FILE}):"
    )
    click.echo(token)


# --- database ------------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@pass_ctx
def db_upgrade(ctx: _Context) -> None:
    """Apply all migrations."""
    bank = ctx.bank(migrated=False)
    migrate.upgrade(bank.db.engine)
    click.echo(f"database at revision {migrate.current_revision(bank.db.engine)}")


# --- keys ----------------------------------------------------------------------------------------


@main.group()
def keys() -> None:
    """Signing keys and institution API keys."""


@keys.command("init")
@pass_ctx
def keys_init(ctx: _Context) -> None:
    """Create the log signing key and the personal-data master key (each kept if it exists)."""
    bank = ctx.bank(migrated=False)
    existed = bank.log_key_path.exists(), bank.master_key_path.exists()
    bank.prepare_keys()
    click.echo(f"log key {'kept' if existed[0] else 'created'}: {bank.log_key_path}")
    click.echo(f"master key {'kept' if existed[1] else 'created'}: {bank.master_key_path}")
    click.echo(f"log origin: {bank.origin} (fixed with the log key)")
    click.echo(f"verifier key: {bank.log_signer().vkey}")


@keys.command("reseal")
@pass_ctx
def keys_reseal(ctx: _Context) -> None:
    """Seal key files of earlier releases (PEM, or unsealed while a passphrase is now set) with scrypt and AES-GCM.

    The keys stay the same; only their files change. The log key also records the log's origin: the one its signed
    checkpoints name, else the configured one. Take a new backup afterwards: older archives hold the old files.
    """
    from creditbank import keys as key_files
    from creditbank.personal_data import MASTER_PURPOSE
    from creditbank.runtime import origin_drift
    from creditbank.services import checkpoints
    from ledger.note import parse_checkpoint

    bank = ctx.bank()
    passphrase = bank.settings["CREDITBANK_KEY_PASSPHRASE"]
    if not passphrase:
        raise click.ClickException("set CREDITBANK_KEY_PASSPHRASE (or _FILE): there is nothing to seal the keys with")
    origin = bank.origin
    if key_files.stored_attributes(bank.log_key_path) is None:
        with bank.db.reading() as session:
            latest = checkpoints.latest_in(session)
        if latest is not None:
            signed = parse_checkpoint(latest.note[: latest.note.rindex("\n\n") + 1]).origin
            source = bank.settings.get("ORIGIN_SOURCE")
            if source is not None and signed != origin:
                raise click.ClickException(origin_drift(bank.log_key_path, signed, origin, source))
            origin = signed
    folder = bank.log_key_path.parent
    plan = [(bank.log_key_path, key_files.LOG_PURPOSE, {"origin": origin})]
    plan += [(path, key_files.CREDENTIAL_PURPOSE, None) for path in sorted(folder.glob("credential-*.pem"))]
    plan += [
        (bank.master_key_path, MASTER_PURPOSE, None),
        (folder / key_files.SESSION_SECRET_FILE, key_files.SESSION_PURPOSE, None),
    ]
    for path, purpose, attributes in plan:
        if not path.exists():
            continue
        changed = key_files.reseal(path, passphrase, purpose, attributes)
        click.echo(f"{'sealed' if changed else 'already sealed'}: {path}")
    click.echo(f"log origin: {bank.origin}")


@keys.command("issue")
@click.option("--institution", "institution_id", required=True, help="Institution id the key acts for.")
@click.option("--scope", "scopes", multiple=True, help="Scope to grant (repeatable); default: all scopes.")
@pass_ctx
def keys_issue(ctx: _Context, institution_id: str, scopes: tuple[str, ...]) -> None:
    """Issue an API key. The key is printed once, alone on the last line."""
    from creditbank.services import api_keys

    issued = api_keys.issue(ctx.bank(), institution_id, scopes or None)
    click.echo(f"API key {issued.id} for {issued.institution_id}, scopes: {' '.join(issued.scopes)}")
    click.echo("Store it now; only its hash is kept and it cannot be shown again:")
    click.echo(issued.token)


@keys.command("revoke")
@click.argument("key_id")
@pass_ctx
def keys_revoke(ctx: _Context, key_id: str) -> None:
    """Revoke an API key (give its id or the whole key)."""
    from creditbank.services import api_keys

    key = api_keys.revoke(ctx.bank(), key_id)
    click.echo(f"API key {key.id} of {key.institution_id} revoked")


@keys.command("list")
@click.option("--institution", "institution_id")
@pass_ctx
def keys_list(ctx: _Context, institution_id: str | None) -> None:
    """List API keys (ids and scopes; secrets are never stored)."""
    from creditbank.services import api_keys

    for key in api_keys.list_keys(ctx.bank(), institution_id):
        state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
        click.echo(f"{key.id}  {key.institution_id}  {key.scopes}  {state}")


# --- institutions --------------------------------------------------------------------------------


@main.group()
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
    ctx: _Context,
    institution_id: str,
    type_: str,
    name_en: str,
    name_zh: str | None,
    parent: str | None,
    credit_unit: str | None,
    hours_per_unit: float | None,
) -> None:
    """Register an institution (recorded as institution.registered)."""
    from creditbank.services import institutions as service

    data = service.InstitutionInput(institution_id, type_, name_en, name_zh, parent, credit_unit, hours_per_unit)
    institution = service.register(ctx.bank(), data)
    click.echo(f"registered {institution.id} at ledger seq {institution.registered_seq}")


@institutions.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def institutions_list(ctx: _Context, as_json: bool) -> None:
    """List registered institutions."""
    from creditbank.services import institutions as service

    rows = [
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


# --- learners ------------------------------------------------------------------------------------


@main.group()
def learners() -> None:
    """Learners (pseudonymous ids; personal data never leaves its sealed store here)."""


@learners.command("list")
@click.option("--institution", "institution_id", help="Only learners enrolled with this institution.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def learners_list(ctx: _Context, institution_id: str | None, as_json: bool) -> None:
    """List learners with their enrolling institutions."""
    from creditbank.services import institutions as institution_service
    from creditbank.services import learners as service

    bank = ctx.bank()
    if institution_id:
        institution_service.get(bank, institution_id)
    rows = service.list_all(bank, institution_id)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(f"{row['id']}  {row['status']:7}  {', '.join(row['institutions'])}")


@learners.command("erase")
@click.argument("learner_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def learners_erase(ctx: _Context, learner_id: str, yes: bool) -> None:
    """Erase a learner's personal data for good (records learner.erased; achievements stay, pseudonymous)."""
    from creditbank.services import learners as service

    bank = ctx.bank()
    if not yes:
        click.confirm(f"Erase the personal data of {learner_id}? This cannot be undone", abort=True)
    seq = service.erase(bank, learner_id)
    click.echo(f"erased {learner_id}: personal data and its key destroyed; learner.erased at ledger seq {seq}")


@learners.command("activation")
@click.argument("learner_id")
@pass_ctx
def learners_activation(ctx: _Context, learner_id: str) -> None:
    """Print a new one-time portal activation code for a learner (earlier unused codes stop working)."""
    from creditbank.services import accounts

    code = accounts.new_code(ctx.bank(), learner_id)
    click.echo(f"activation code for {learner_id} (valid {accounts.CODE_LIFETIME.days} days, once): {code}")


@learners.command("add-name")
@click.argument("learner_id")
@click.option("--zh", "name_zh", help="The name in Chinese characters, as on the new identity document.")
@click.option("--latin", "name_latin", help="The name in Latin letters, as on the new identity document.")
@pass_ctx
def learners_add_name(ctx: _Context, learner_id: str, name_zh: str | None, name_latin: str | None) -> None:
    """Record a change of name, after checking the person's documents: the new form then links like the old one
    (which keeps working). Records learner.identity_amended; the name itself stays in the sealed store."""
    from creditbank.services import learners as service

    seq = service.add_name(ctx.bank(), learner_id, name_zh, name_latin)
    click.echo(f"name form added for {learner_id}; learner.identity_amended at ledger seq {seq}")


@learners.command("consents")
@click.argument("learner_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def learners_consents(ctx: _Context, learner_id: str, as_json: bool) -> None:
    """List the consent grants a learner has given (institution, scope, expiry, state)."""
    from creditbank.services import consent

    rows = consent.for_learner(ctx.bank(), learner_id)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(f"{learner_id} has granted no consent")
    for row in rows:
        click.echo(f"#{row['seq']}  {row['institution']:24} {row['scope']:8} until {row['expires_at']}  {row['state']}")


# --- ledger --------------------------------------------------------------------------------------


@main.group()
def ledger() -> None:
    """The signed append-only ledger."""


@ledger.command("checkpoint")
@pass_ctx
def ledger_checkpoint(ctx: _Context) -> None:
    """Sign a checkpoint now (if the tree grew) and print the latest."""
    from creditbank.services import checkpoints

    bank = ctx.bank()
    checkpoints.sign(bank)
    click.echo(checkpoints.latest(bank).note, nl=False)


@ledger.command("audit")
@click.option("--deep", is_flag=True, help="Also re-canonicalize every stored body (slower).")
@pass_ctx
def ledger_audit(ctx: _Context, deep: bool) -> None:
    """Recompute every commitment, leaf, subtree and checkpoint from storage; exit 1 on any mismatch."""
    from creditbank.services.audit import audit, record

    bank = ctx.bank()
    report = audit(bank, deep=deep)
    # What /ready reports until the next audit: an operator's passing audit also clears a monitor alarm.
    record(bank, report)
    rate = report.entries / report.seconds if report.seconds else 0.0
    if report.ok:
        click.echo(
            f"audit passed: {report.entries} entries, {report.checkpoints} checkpoints, "
            f"{report.seconds:.2f} s ({rate:,.0f} entries/s)"
        )
        return
    click.echo(f"audit FAILED ({report.summary()}):", err=True)
    for problem in report.problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


@ledger.command("replay")
@pass_ctx
def ledger_replay(ctx: _Context) -> None:
    """Rebuild every projection table from the ledger alone."""
    from creditbank.projections import replay

    bank = ctx.bank()
    started = time.perf_counter()
    with bank.db.writing() as session:
        applied = replay(session)
    click.echo(f"replayed {applied} entries in {time.perf_counter() - started:.2f} s")


# Credit-bank commands live in their own module and attach themselves to ``main``.
from creditbank import cli_credentials, cli_credits, cli_operations  # noqa: E402, F401
