"""Structured logs: one JSON object per line, each request's lines tied together by a request id.

What a line may hold is deliberately narrow. Requests are logged by their route template
(``/s/<token>``), never by their path or query, because paths carry share tokens and query strings
carry whatever a client sends; bodies are never logged. Personal data is sealed before it reaches
the database, and statement parameters are hidden from database errors (``creditbank.db``), so an
error line cannot leak it either.

The same holds for the development server behind ``creditbank serve``: werkzeug's own request lines
(and the raw request line it puts into its error messages) are replaced by ``RouteLoggingHandler``,
so its log reads like gunicorn's, where ``accesslog`` is off and these lines are the only record.

No line carries terminal colours: werkzeug styles its request lines with ANSI escape codes, and a library may do the
same; log files and collectors are not terminals, so every escape sequence is taken out of what is written.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.serving import WSGIRequestHandler

REQUEST_ID_HEADER = "X-Request-Id"
# A caller's id is kept when it is plainly an id; anything else could smuggle text into the logs.
_CALLER_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# ECMA-48 escape sequences: CSI (colours, cursor moves), OSC (window titles, links) and the two-character forms.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")

request_id: ContextVar[str | None] = ContextVar("creditbank_request_id", default=None)
access = logging.getLogger("creditbank.access")
server_log = logging.getLogger("creditbank.server")


def without_colours(text: str) -> str:
    """``text`` without ANSI escape sequences (nor a stray escape character)."""
    return _ANSI.sub("", text).replace("\x1b", "")


def _plain(value: Any) -> Any:
    return without_colours(value) if isinstance(value, str) else value


class JsonLines(logging.Formatter):
    """``{"time", "level", "logger", "message", "request_id"?, ...fields, "error"?}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": without_colours(record.getMessage()),
        }
        current = request_id.get()
        if current is not None:
            line["request_id"] = current
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update({key: _plain(value) for key, value in fields.items()})
        if record.exc_info:
            line["error"] = without_colours(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


class PlainLines(logging.Formatter):
    """``time level logger: message``, without terminal colours."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return without_colours(super().format(record))


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is now, so a replaced stream (test capture, daemons) is followed."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure(level: str, style: str = "json") -> None:
    """Send every logger's records to stderr as JSON lines (or plain text for ``style="text"``), once per process."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "creditbank", False):
            root.removeHandler(handler)
    handler = _Stderr()
    handler.creditbank = True  # type: ignore[attr-defined]
    if style == "text":
        handler.setFormatter(PlainLines())
    else:
        handler.setFormatter(JsonLines())
    root.addHandler(handler)
    root.setLevel(level)
    # Migration chatter on every command hides what the operator asked for.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # WeasyPrint narrates every rendering step at INFO; fontTools subsetting likewise.
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)


def route_of() -> str:
    """The matched route's template, or a fixed word: bounded, and free of tokens and ids."""
    rule = request.url_rule
    return rule.rule if rule is not None else "(unmatched)"


def _begin() -> None:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = offered if _CALLER_ID.fullmatch(offered) else uuid.uuid4().hex
    g.request_started = time.perf_counter()
    request_id.set(g.request_id)


def _finish(response: Response) -> Response:
    identifier = g.get("request_id")
    if identifier is not None:
        response.headers[REQUEST_ID_HEADER] = identifier
        elapsed = time.perf_counter() - g.get("request_started", time.perf_counter())
        access.info(
            "request",
            extra={
                "fields": {
                    "method": request.method,
                    "route": route_of(),
                    "status": response.status_code,
                    "duration_ms": round(elapsed * 1000, 2),
                }
            },
        )
    return response


def _forget(_error: BaseException | None) -> None:
    request_id.set(None)


def install(app: Flask) -> None:
    app.before_request(_begin)
    app.after_request(_finish)
    app.teardown_request(_forget)


class RouteLoggingHandler(WSGIRequestHandler):
    """werkzeug's request handler without its access lines, which hold the raw path and query string.

    The application already writes one line per request naming its route (``install``). What is left for the
    server to report, a request it refused before the application saw it, is logged by status alone: werkzeug's
    message for it quotes the raw request line.
    """

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log_error(self, format: str, *args: Any) -> None:
        status = args[0] if args and isinstance(args[0], int) else None
        server_log.warning("request refused by the server", extra={"fields": {"status": status}})

    def log_message(self, format: str, *args: Any) -> None:
        server_log.info("server message withheld (it may quote the request)")
