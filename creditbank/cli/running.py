"""Commands that run the bank: `serve`, `scheduler` and `demo`."""

from __future__ import annotations

import errno
import signal
import socket
from pathlib import Path

import click

from creditbank import config, migrate
from creditbank.cli.context import Context, pass_ctx
from creditbank.runtime import Bank


def listen_url(host: str, port: int) -> str:
    """The URL of the address serve listens on: what the bank's public URL is, unless CREDITBANK_PUBLIC_URL is set.

    An unspecified address (all interfaces) is reached on this machine by loopback; other machines need the name they
    know it by, which only CREDITBANK_PUBLIC_URL can give.
    """
    name = host.strip().lower().strip("[]")
    name = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(name, name)  # noqa: S104 - compared, not bound
    return f"http://{f'[{name}]' if ':' in name else name}:{port}"


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound and listening where serve was asked to listen; bound here so that a refusal (the port is taken,
    the host unknown) is one line of ours rather than werkzeug's two."""
    from werkzeug.serving import LISTEN_QUEUE, get_sockaddr, select_address_family

    family = select_address_family(host, port)
    listening = socket.socket(family, socket.SOCK_STREAM)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(get_sockaddr(host, port, family))
        listening.listen(LISTEN_QUEUE)
    except OSError:
        listening.close()
        raise
    return listening


def _cannot_listen(what: str, host: str, port: int, exc: OSError) -> click.ClickException:
    reason = exc.strerror or str(exc)
    if exc.errno == errno.EADDRINUSE:
        reason = "the address is already in use (another server is listening there?)"
    shown = f"[{host}]" if ":" in host else host
    return click.ClickException(f"cannot {what} on {shown}:{port}: {reason}")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--demo/--no-demo", default=True, show_default=True, help="Seed demo data into an empty bank.")
@pass_ctx
def serve(ctx: Context, host: str, port: int, demo: bool) -> None:
    """Run the web/API server and the scheduler together (development and embedded use).

    Unless CREDITBANK_PUBLIC_URL is set, the bank's public URL (QR codes, printed and shared links, did:web) is
    http://HOST:PORT, and the other commands of this instance use it too.
    """
    from werkzeug.serving import make_server

    from creditbank import demo as demo_data
    from creditbank import files, logs
    from creditbank.scheduler import Scheduler

    ctx.overrides[config.SERVE_URL] = listen_url(host, port)
    bank = ctx.bank(migrated=False, create=True)
    try:
        listening = _listen(host, port)
    except OSError as exc:
        raise _cannot_listen("serve", host, port, exc) from None
    with listening:
        # Requests are logged by route, as under gunicorn: werkzeug's own lines would print tokens from the path.
        server = make_server(
            host, port, ctx.app, threaded=True, request_handler=logs.RouteLoggingHandler, fd=listening.fileno()
        )
    try:
        if not migrate.is_current(bank.db.engine):
            click.echo("applying database migrations…")
            migrate.upgrade(bank.db.engine)
        bank.prepare_keys()
        public = bank.public_url
        if bank.settings.get("PUBLIC_URL_SOURCE") == "serve":
            files.write_private(Path(bank.instance_path) / config.SERVE_URL_FILE, f"{public}\n".encode(), replace=True)
            click.echo(f"public URL {public} (QR codes, links, {bank.did}); CREDITBANK_PUBLIC_URL sets another")
        else:
            click.echo(f"public URL {public} (CREDITBANK_PUBLIC_URL)")
        if demo:
            _print_demo(bank, demo_data.seed(bank) is not None)
        scheduler = Scheduler(bank)
        scheduler.start()
        # shutdown() waits for serve_forever() to return, which cannot happen while this very thread runs the
        # handler; turning SIGTERM into the same interrupt as Ctrl+C stops it cleanly.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        click.echo(f"creditbank is serving on http://{host}:{port}/ (API docs: /api/v1/docs); Ctrl+C stops it")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            scheduler.stop()
    finally:
        server.server_close()


def _print_demo(bank: Bank, seeded: bool) -> None:
    """The demo's API key and logins, on every start: they are in the instance folder, and easily lost otherwise."""
    from creditbank import demo as demo_data

    public = bank.public_url
    key_file = Path(bank.instance_path) / demo_data.KEY_FILE
    token = demo_data.demo_api_key(bank)
    if token is not None:
        loaded = "demo data loaded; " if seeded else ""
        click.echo(f"{loaded}demo API key for demo-university (also in {key_file}):")
        click.echo(f"  {token}")
    login = demo_data.demo_login(bank)
    if login is not None:
        click.echo(f"demo learner: log in at {public}/login as {login[1]}, password {login[2]}")
    for staff_login, role, setup_token in demo_data.demo_staff_links(bank):
        if setup_token is None:
            click.echo(f"demo {role}: sign in at {public}/staff/login as {staff_login}")
        else:
            click.echo(f"demo {role} ({staff_login}): set up at {public}/staff/setup/{setup_token}")


def _address(value: str | None) -> tuple[str, int] | None:
    if not value:
        return None
    host, _, port = value.rpartition(":")
    if not host or not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
        raise click.BadParameter(f"{value!r} is not HOST:PORT", param_hint="--metrics-bind")
    return host.removeprefix("[").removesuffix("]"), int(port)


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
        try:
            start_http_server(address[1], addr=address[0])
        except OSError as exc:
            raise _cannot_listen("serve the scheduler's metrics", address[0], address[1], exc) from None
        shown = f"[{address[0]}]" if ":" in address[0] else address[0]
        click.echo(f"scheduler metrics on http://{shown}:{address[1]}/metrics")
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

    bank = ctx.bank(migrated=False, create=True)
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
