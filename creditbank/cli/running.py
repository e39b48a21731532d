"""Commands that run the bank: `serve`, `scheduler` and `demo`."""

from __future__ import annotations

import signal

import click

from creditbank import migrate
from creditbank.cli.context import Context, pass_ctx


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--demo/--no-demo", default=True, show_default=True, help="Seed demo data into an empty bank.")
@pass_ctx
def serve(ctx: Context, host: str, port: int, demo: bool) -> None:
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
    if demo:
        for staff_login, role, token in demo_data.demo_staff_links(bank):
            if token is None:
                click.echo(f"demo {role}: sign in at http://{host}:{port}/staff/login as {staff_login}")
            else:
                click.echo(f"demo {role} ({staff_login}): set up at http://{host}:{port}/staff/setup/{token}")
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


@click.command()
@click.option(
    "--metrics-bind",
    metavar="HOST:PORT",
    help="Serve this process's Prometheus metrics there (default: CREDITBANK_SCHEDULER_METRICS_BIND; none if unset).",
)
@pass_ctx
def scheduler(ctx: Context, metrics_bind: str | None) -> None:
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


@click.command()
@click.option("--learners", "learner_count", default=24, show_default=True, type=click.IntRange(1, 100_000))
@pass_ctx
def demo(ctx: Context, learner_count: int) -> None:
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
