"""The fetcher behind the evidence check: where a DID's documents live, which URLs count as the issuer's own, and
the bounds on what an issuer's server can make this bank do (size, time, redirects), against a real local server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from creditbank.services.recognition import remote


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/ok":
            self._send(200, b'{"ok": true}')
        elif self.path.startswith("/counted"):
            self.server.hits += 1  # type: ignore[attr-defined]
            self._send(200, b"%d" % self.server.hits)  # type: ignore[attr-defined]
        elif self.path == "/big":
            self._send(200, b"x" * 5000)
        elif self.path == "/big-undeclared":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"x" * 5000)
        elif self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/drip":
            self.send_response(200)
            self.end_headers()
            try:
                for _ in range(30):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.1)
            except BrokenPipeError:
                pass  # the client gave up, as it should
        else:
            self._send(404, b"no")

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def site() -> Iterator[remote.Site]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.hits = 0  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield remote.site_of(f"did:web:127.0.0.1%3A{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def _forget() -> None:
    remote.forget()


def test_where_did_web_documents_live() -> None:
    assert remote.site_of("did:web:bank.example").did_document_url == "https://bank.example/.well-known/did.json"
    assert (
        remote.site_of("did:web:bank.example%3A8443:a:b").did_document_url == "https://bank.example:8443/a/b/did.json"
    )
    # Only loopback hosts are reached without TLS.
    assert remote.site_of("did:web:127.0.0.1%3A5000").origin == "http://127.0.0.1:5000"
    assert remote.site_of("did:web:localhost").origin == "http://localhost"
    assert remote.site_of("did:web:127.1.2.3").scheme == "http"
    assert remote.site_of("did:web:10.0.0.1").scheme == "https"
    assert remote.site_of("did:web:localhost.evil.example").scheme == "https"


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/status/1-revocation",
        "https://bank.example:444/status/1-revocation",
        "https://bank.example.evil.example/status/1",
        "https://user@bank.example/status/1",
        "https://bank.example@evil.example/status/1",
        "http://bank.example/status/1",
        "https://BANK.example/status/1",
        "https://bank.example/status/1?x=1",
        "https://bank.example/status/1#f",
        "https://bank.example:443/status/1",
        "file:///etc/passwd",
        "https://bank.example",
    ],
)
def test_only_urls_on_the_issuers_own_host_are_its_own(url: str) -> None:
    site = remote.site_of("did:web:bank.example")
    assert site.owns("https://bank.example/status/1-revocation")
    assert not site.owns(url)


def test_a_url_off_the_site_is_never_fetched(site: remote.Site) -> None:
    with pytest.raises(remote.RemoteError, match="not on the issuer's host"):
        remote.fetch(site, "http://127.0.0.2:1/ok", 100)


def test_a_body_over_the_limit_is_refused_declared_or_not(site: remote.Site) -> None:
    assert remote.fetch(site, f"{site.origin}/ok", 100) == b'{"ok": true}'
    for path in ("/big", "/big-undeclared"):
        with pytest.raises(remote.RemoteError, match="larger than 1,000 bytes"):
            remote.fetch(site, f"{site.origin}{path}", 1000)


def test_redirects_are_not_followed(site: remote.Site) -> None:
    with pytest.raises(remote.RemoteError, match="answered 302"):
        remote.fetch(site, f"{site.origin}/redirect", 1000)


def test_errors_are_reported_not_raised_as_they_come(site: remote.Site) -> None:
    with pytest.raises(remote.RemoteError, match="answered 404"):
        remote.fetch(site, f"{site.origin}/nothing", 1000)
    closed = remote.site_of("did:web:127.0.0.1%3A1")
    with pytest.raises(remote.RemoteError, match="could not be fetched"):
        remote.fetch(closed, "http://127.0.0.1:1/x", 1000)


def test_a_server_that_drips_its_answer_is_cut_off_at_the_deadline(site: remote.Site) -> None:
    started = time.monotonic()
    with pytest.raises(remote.RemoteError, match="took more than"):
        remote.fetch(site, f"{site.origin}/drip", 1000, timeout=0.5)
    assert time.monotonic() - started < 2


def test_answers_are_kept_unless_they_must_be_current(site: remote.Site) -> None:
    first = remote.fetch(site, f"{site.origin}/counted", 100)
    assert remote.fetch(site, f"{site.origin}/counted", 100) == first
    assert remote.fetch(site, f"{site.origin}/counted", 100, keep=False) != first
    remote.forget()
    assert remote.fetch(site, f"{site.origin}/counted", 100) != first
