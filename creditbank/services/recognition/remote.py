"""What the evidence check fetches from another issuer: its DID document, its status lists and its log's checkpoint.

These are the service's only outbound requests at run time, and each goes to the host a trusted DID names (the
bank admin put that DID on the trust list), never to a URL a credential chooses: a status list must sit on the
issuer's own host and port, so a credential cannot make this bank call into its own network.

Every request is bounded: a few seconds in all (a server that drips its answer a byte at a time is cut off as well
as one that never answers), a size cap read before anything is parsed, no redirects (a redirect could lead off the
issuer's host) and no proxy from the environment. HTTPS is required, except for loopback hosts (127.0.0.0/8, ::1,
localhost), which are reached over plain HTTP so that two instances on one machine can federate in tests and in
development; nothing off the machine is ever fetched without TLS.

DID documents and status lists are kept for a minute per URL: one application's CLR names the same status list for
every credential, and applications from one bank need not fetch its DID document each time. So a revocation at the
issuer can take up to a minute to be seen here, as it can with any cached status list.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from creditbank.services.transparency.witnesses import _NoRedirects

TIMEOUT_SECONDS = 5.0
DID_DOCUMENT_BYTES = 256 * 1024
STATUS_LIST_BYTES = 4 * 1024 * 1024
CHECKPOINT_BYTES = 16 * 1024
PROOF_BYTES = 64 * 1024
CACHE_SECONDS = 60.0
CACHE_ENTRIES = 256
_CHUNK = 64 * 1024

# A DNS name in the lowercase form DIDs are compared in, or a dotted IPv4 address; no userinfo, no IPv6 literal.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_PORT = re.compile(r"[1-9][0-9]{0,4}")
_SEGMENT = re.compile(r"[A-Za-z0-9._~-]{1,64}")


class RemoteError(Exception):
    """A fetch that did not give a usable answer; the message says why, for the report and the applicant."""


@dataclass(frozen=True)
class Site:
    """Where a did:web DID lives: the scheme, host and port its documents are fetched from, and its path."""

    scheme: str
    host: str
    port: int | None
    path: tuple[str, ...]

    @property
    def origin(self) -> str:
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.scheme}://{self.host}{port}"

    @property
    def did_document_url(self) -> str:
        if self.path:
            return f"{self.origin}/{'/'.join(self.path)}/did.json"
        return f"{self.origin}/.well-known/did.json"

    def owns(self, url: str) -> bool:
        """Whether ``url`` is on this site's host and port exactly (how status list URLs are held to the issuer)."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return False
        return (
            parts.scheme == self.scheme
            and parts.hostname == self.host
            and parts.netloc == (f"{self.host}:{self.port}" if self.port is not None else self.host)
            and port == self.port
            and not parts.query
            and not parts.fragment
            and parts.path.startswith("/")
        )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refuse_address_bait(host: str) -> None:
    """A host whose last label is a number is an IP address, and only in its one dotted-quad spelling: resolvers
    read "0", "127.1", "2130706433" or "0x7f000001" as addresses too, which no check below would recognize. Of the
    addresses, those no bank serves from (link-local such as cloud metadata, unspecified, multicast, broadcast,
    reserved) are refused; loopback stays, for banks federating on one machine, and private ranges, for an
    intranet."""
    last = host.rsplit(".", 1)[-1]
    if not (last.isdigit() or last.startswith("0x")):
        return
    try:
        address = ipaddress.IPv4Address(host)
    except ValueError:
        raise ValueError("an IP address host must be four decimal numbers, e.g. 192.0.2.10") from None
    if str(address) != host:
        raise ValueError("an IP address host must be written in its plain dotted form")
    if (
        address.is_link_local
        or address.is_unspecified
        or address.is_multicast
        or address.is_reserved
        or address == ipaddress.IPv4Address("255.255.255.255")
    ):
        raise ValueError("this address is not one a bank can be reached at")


def site_of(did: str) -> Site:
    """The site of a did:web DID, refusing every spelling but the one canonical form (lowercase host, the port as
    ``%3A`` and digits), so that the DID a credential names and the one on the trust list compare as text."""
    if not did.startswith("did:web:") or len(did) > 255:
        raise ValueError("not a did:web DID")
    host_part, *path = did.removeprefix("did:web:").split(":")
    host, sep, port_text = host_part.partition("%3A")
    if not _HOST.fullmatch(host):
        raise ValueError("the host must be a lowercase DNS name or an IPv4 address (no user, no other encoding)")
    _refuse_address_bait(host)
    port: int | None = None
    if sep:
        if not _PORT.fullmatch(port_text) or not 0 < int(port_text) < 65536:
            raise ValueError("the port must be written %3A and a number from 1 to 65535")
        port = int(port_text)
    for segment in path:
        if not _SEGMENT.fullmatch(segment) or segment in (".", ".."):
            raise ValueError("each path segment must be 1 to 64 letters, digits or . _ ~ - (not . or ..)")
    scheme = "http" if is_loopback(host) else "https"
    return Site(scheme, host, port, tuple(path))


def _watch(connection: http.client.HTTPConnection) -> None:
    """Shut the connection's socket once its timeout has passed, whatever is being read: the socket timeout
    bounds each read alone, so a host sending its headers one byte at a time could hold a worker for ever."""
    sock = connection.sock
    timeout = connection.timeout if isinstance(connection.timeout, int | float) else TIMEOUT_SECONDS

    def shut() -> None:
        with contextlib.suppress(OSError):  # finished and closed already
            sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(timeout, shut)
    timer.daemon = True
    timer.start()


class _WatchedHTTP(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _watch(self)


class _WatchedHTTPS(http.client.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _watch(self)


class _WatchedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_WatchedHTTP, req)


class _WatchedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_WatchedHTTPS, req, context=self._context)  # type: ignore[attr-defined]


_opener = urllib.request.build_opener(
    _NoRedirects, urllib.request.ProxyHandler({}), _WatchedHTTPHandler, _WatchedHTTPSHandler
)
_cache: dict[str, tuple[float, bytes]] = {}
_cache_lock = threading.Lock()


def forget() -> None:
    """Drop every kept answer (tests that change what an issuer serves call this)."""
    with _cache_lock:
        _cache.clear()


def fetch(
    site: Site, url: str, limit: int, *, query: str = "", keep: bool = True, timeout: float = TIMEOUT_SECONDS
) -> bytes:
    """The body of ``url`` on ``site`` (with ``query``, which this module's callers write themselves), at most
    ``limit`` bytes, or RemoteError. ``keep=False`` for what must be current: a checkpoint kept for a minute would
    look older than the receipt of a credential issued meanwhile."""
    if not site.owns(url):
        raise RemoteError(f"{url} is not on the issuer's host {site.origin}")
    if query:
        url = f"{url}?{query}"
    if not keep:
        return _get(url, limit, timeout)
    now = time.monotonic()
    with _cache_lock:
        kept = _cache.get(url)
        if kept is not None and kept[0] > now:
            return kept[1]
    body = _get(url, limit, timeout)
    with _cache_lock:
        if len(_cache) >= CACHE_ENTRIES:
            _cache.clear()
        _cache[url] = (time.monotonic() + CACHE_SECONDS, body)
    return body


def _get(url: str, limit: int, timeout: float) -> bytes:
    deadline = time.monotonic() + timeout
    # The URL was held to the issuer's http(s) origin above.
    request = urllib.request.Request(url, method="GET", headers={"Accept": "application/json, text/plain"})  # noqa: S310
    try:
        with _opener.open(request, timeout=timeout) as response:
            if response.status != 200:
                raise RemoteError(f"{url} answered {response.status}")
            declared = response.headers.get("Content-Length")
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise RemoteError(f"{url} is larger than {limit:,} bytes")
            body = bytearray()
            while True:
                # The socket timeout bounds each read; the deadline bounds them all together.
                if time.monotonic() > deadline:
                    raise RemoteError(f"{url} took more than {timeout:g} s to answer")
                # read1: what has arrived, so a slow sender meets the deadline instead of filling a whole chunk.
                piece = response.read1(_CHUNK)
                if not piece:
                    # The watchdog ends a late exchange by shutting the socket, which reads as the end of the body:
                    # a body cut short, or ending at the deadline, is no answer.
                    if time.monotonic() >= deadline or (
                        declared is not None and declared.isdigit() and len(body) < int(declared)
                    ):
                        raise RemoteError(f"{url} took more than {timeout:g} s to answer")
                    return bytes(body)
                body += piece
                if len(body) > limit:
                    raise RemoteError(f"{url} is larger than {limit:,} bytes")
    except urllib.error.HTTPError as error:
        with error:
            raise RemoteError(f"{url} answered {error.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", None) or error
        raise RemoteError(f"{url} could not be fetched ({reason})") from None
