"""No log line carries terminal colours: werkzeug styles its request lines with ANSI escape codes, and JSON (or text)
lines bound for a file or a collector must hold the text alone, not the codes (nor their ``\\u001b`` escapes)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from werkzeug import serving

from creditbank import logs


def _werkzeug_request_line() -> None:
    """What werkzeug's own request handler logs for a request (with its colours, as on any terminal)."""
    handler: Any = object.__new__(serving.WSGIRequestHandler)
    handler.path = "/ledger/checkpoint"
    handler.command = "GET"
    handler.request_version = "HTTP/1.1"
    handler.requestline = "GET /ledger/checkpoint HTTP/1.1"
    handler.client_address = ("127.0.0.1", 40000)
    handler.log_request(404, 12)


@pytest.fixture
def configured():
    """The process's log handler is replaced for the test and taken away after it."""
    root = logging.getLogger()
    level = root.level
    yield
    for handler in list(root.handlers):
        if getattr(handler, "creditbank", False):
            root.removeHandler(handler)
    root.setLevel(level)


def test_werkzeug_really_colours_its_request_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    # The premise: without the formatter's care the codes reach the record.
    monkeypatch.setattr(serving, "_log_add_style", True)
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    keep = Keep()
    werkzeug_log = logging.getLogger("werkzeug")
    werkzeug_log.addHandler(keep)
    previous = werkzeug_log.level
    werkzeug_log.setLevel(logging.INFO)
    try:
        _werkzeug_request_line()
    finally:
        werkzeug_log.removeHandler(keep)
        werkzeug_log.setLevel(previous)
    assert any("\x1b[" in message for message in seen), seen


@pytest.mark.parametrize("style", ["json", "text"])
@pytest.mark.usefixtures("configured")
def test_no_escape_code_reaches_a_log_line(style: str, capsys: pytest.CaptureFixture[str], monkeypatch):
    monkeypatch.setattr(serving, "_log_add_style", True)
    logs.configure("INFO", style)
    _werkzeug_request_line()
    logging.getLogger("creditbank.test").warning(
        "\x1b[1m\x1b[31mbold red\x1b[0m and \x1b]0;title\x07", extra={"fields": {"detail": "\x1b[33myellow\x1b[0m"}}
    )
    try:
        raise ValueError("\x1b[35mmagenta\x1b[0m")
    except ValueError:
        logging.getLogger("creditbank.test").exception("failed")
    text = capsys.readouterr().err
    lines = [line for line in text.splitlines() if line.strip()]
    assert any("GET /ledger/checkpoint HTTP/1.1" in line for line in lines), text
    assert "\x1b" not in text, text
    assert "\\u001b" not in text, text
    if style == "json":
        records = [json.loads(line) for line in lines if line.startswith("{")]
        request = next(r for r in records if r["logger"] == "werkzeug")
        assert request["message"].endswith('"GET /ledger/checkpoint HTTP/1.1" 404 12'), request
        warning = next(r for r in records if r["message"].startswith("bold red"))
        assert warning["detail"] == "yellow"
        failure = next(r for r in records if r["message"] == "failed")
        assert "ValueError: magenta" in failure["error"]
