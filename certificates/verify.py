"""One verification engine for every door (API, web page, offline command).

It takes the bytes a verifier holds — a PDF with the credential attached, a bare credential, a credential with
its ledger receipt, or a badge image (PNG or SVG) with the credential baked in — and what the verifier chooses to
trust (the bank's DID document and log key, optionally a checkpoint and status lists), and reports every check with
a reason. Any failed check makes the whole invalid;
a check that cannot be made offline (status without a status list) is reported as skipped, not passed, and a
report with a skipped check (other than the optional identity comparison) has a verdict of its own, "authentic,
status not checked", which is never "valid".
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from certificates import badges, bounds, names, pdf_signature, proofs, receipts, shape, summary
from certificates.contexts import ContextError
from certificates.credentials import identity_hash
from certificates.multibase import MultibaseError, public_key_bytes
from certificates.pdf_read import PdfError, embedded_credential, embedded_file, visible_text
from ledger import strict_json
from ledger.note import NoteError, NoteVerifier
from ledger.numbers import NotADecimal, parse_decimal

CheckOutcome = Literal["pass", "fail", "skip"]
Verdict = Literal["valid", "invalid", "authentic_unchecked"]
# How far a proof's creation time may run ahead of the verifier's clock: signers' clocks drift, and a credential
# dated later than that was not signed when it says it was.
MAX_CLOCK_SKEW = timedelta(minutes=5)
# Checks whose skipping leaves the verdict short of "valid"; the identity comparison is the verifier's option.
DECISIVE = ("pdf_signature", "format", "signature", "key", "ledger", "status", "validity")
MAX_JSON = 8 * 1024 * 1024
CHECKS = ("pdf_signature", "format", "signature", "key", "ledger", "status", "validity", "identity")


@dataclass(frozen=True)
class IssuerKey:
    method: str  # the verification method URL, e.g. did:web:bank.example#key-1
    public: bytes
    active_from: str  # RFC 3339; signatures created before it are not accepted
    retired_at: str | None = None  # signatures created at or after it are not accepted
    # Reported stolen from this time on: nothing it signed, or the ledger recorded, since then is accepted.
    compromised_since: str | None = None


@dataclass(frozen=True)
class StatusAnswer:
    revoked: bool
    suspended: bool
    # The list was consulted and holds no such index: Bitstring Status List's RANGE_ERROR, a failure, never a skip.
    past_end: int | None = None


# (credential id, revocation list URL, index) -> answer, or None when the list cannot be consulted. A lookup answers
# only from a list whose own id is that URL and whose statusPurpose is "revocation".
StatusLookup = Callable[[str, str, int], StatusAnswer | None]


@dataclass(frozen=True)
class RecordedStatus:
    """What the bank's own ledger says of a credential: the slot it was issued with and its status today."""

    list_url: str  # the revocation list named at issuance
    index: int
    revoked: bool
    suspended: bool
    # How many entries the bank's lists hold: an index past them names a bit no list has, which every other
    # verifier reads as an error (Bitstring Status List's RANGE_ERROR), whatever the ledger says.
    list_size: int | None = None


# credential id -> its ledger record, or None when the ledger has none. Only the bank itself can answer this.
LedgerStatus = Callable[[str], RecordedStatus | None]


@dataclass(frozen=True)
class Trust:
    issuer: str
    keys: Sequence[IssuerKey]
    log_keys: Sequence[NoteVerifier]
    status: StatusLookup | None = None
    checkpoint: str | None = None
    # The bank's PDF signing roots (DER): a PDF verifies only with the bank's signature chaining to one of them.
    pdf_roots: Sequence[bytes] = ()
    # Online, the ledger decides status: revocations, suspensions and reinstatements as recorded, whatever the
    # credential's own status entry says.
    ledger_status: LedgerStatus | None = None


@dataclass(frozen=True)
class Identity:
    name: str
    birth_date: date


@dataclass
class Check:
    check: str
    outcome: CheckOutcome
    reason: str


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    kind: str | None = None
    credential_id: str | None = None
    source: str = "json"
    credential: dict[str, Any] | None = None
    # Set when the file was refused because an object in it names a key twice (a door may answer 400 for it).
    duplicate_key: strict_json.DuplicateKeyError | None = None
    # The credential.issued entry, once the ledger check has proved it: shown beside what the credential says.
    ledger_seq: int | None = None
    ledger_time: str | None = None

    @property
    def verdict(self) -> Verdict:
        # The holder comparison is not about the credential: a wrong name typed in leaves an authentic one authentic.
        failed = any(c.outcome == "fail" and c.check != "identity" for c in self.checks)
        if not self.checks or self.credential is None or failed:
            return "invalid"
        if any(c.outcome == "skip" and c.check in DECISIVE for c in self.checks):
            return "authentic_unchecked"
        return "valid"

    @property
    def valid(self) -> bool:
        return self.verdict == "valid"

    @property
    def identity(self) -> Literal["matches", "does_not_match", "not_checked"]:
        """Whether the holder the verifier named is the credential's, reported apart from the verdict."""
        outcome = next((c.outcome for c in self.checks if c.check == "identity"), "skip")
        return "matches" if outcome == "pass" else "does_not_match" if outcome == "fail" else "not_checked"

    def add(self, check: str, outcome: CheckOutcome, reason: str) -> None:
        # A reason may quote the file (a key id, a type); a lone surrogate there has no UTF-8 form to show.
        self.checks.append(Check(check, outcome, reason.encode("utf-16", "surrogatepass").decode("utf-16", "replace")))

    def to_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "verdict": self.verdict,
            "kind": self.kind,
            "credential_id": self.credential_id,
            "source": self.source,
            "checks": [{"check": c.check, "result": c.outcome, "reason": c.reason} for c in self.checks],
            "identity": self.identity,
            "summary": summary.describe(self.credential, ledger_seq=self.ledger_seq, ledger_time=self.ledger_time),
        }


def did_document_trust(document: Any, log_key: str | None = None) -> Trust:
    """Trust built from the bank's published DID document (its keys, and the log key it names)."""
    if not isinstance(document, dict) or not isinstance(document.get("id"), str):
        raise ValueError("not a DID document")
    assertion = set(document.get("assertionMethod") or [])
    keys: list[IssuerKey] = []
    for method in document.get("verificationMethod") or []:
        # A compromised key has left assertionMethod, so that other verifiers refuse it outright, and carries the
        # time it was revoked from; this engine still reads it to accept what it signed, and the ledger recorded,
        # before then.
        if not isinstance(method, dict) or (
            method.get("id") not in assertion and not isinstance(method.get("revoked"), str)
        ):
            continue
        # Only the document's own keys: a method of another DID listed here would make this issuer's signatures
        # read as that DID's.
        controller = method.get("controller")
        if not str(method.get("id", "")).startswith(f"{document['id']}#") or (
            controller is not None and controller != document["id"]
        ):
            continue
        try:
            public = public_key_bytes(str(method.get("publicKeyMultibase", "")))
        except MultibaseError as exc:
            raise ValueError(f"{method.get('id')}: {exc}") from None
        keys.append(
            IssuerKey(
                method["id"],
                public,
                str(method.get("activeFrom", "")),
                method.get("retiredAt"),
                method.get("revoked") if isinstance(method.get("revoked"), str) else None,
            )
        )
    vkeys = [log_key] if log_key else []
    for service in document.get("service") or []:
        if isinstance(service, dict) and isinstance(service.get("verifierKey"), str):
            vkeys.append(service["verifierKey"])
    try:
        verifiers = [NoteVerifier.from_vkey(vkey) for vkey in vkeys]
    except NoteError as exc:
        raise ValueError(f"log key: {exc}") from None
    return Trust(document["id"], keys, verifiers, pdf_roots=pdf_signature.did_roots(document))


def _load_json(data: bytes, report: Report) -> Any:
    if len(data) > MAX_JSON:
        raise ValueError("the JSON document is too large")
    bounds.check_bytes(data)  # LimitExceeded is no ValueError: it leaves the engine, and each door refuses the file
    try:
        loaded = strict_json.loads(data)
        bounds.check_json(loaded)
        return loaded
    except strict_json.DuplicateKeyError as exc:
        # Which of the two values a verifier would see is up to its parser; the document is refused.
        report.duplicate_key = exc
        raise
    except strict_json.JSONInputError:
        raise ValueError("not a JSON document") from None


def _unwrap(document: Any) -> tuple[Any, Any]:
    """A bare credential, or the {credential, receipt} bundle the bank hands out for offline checks."""
    if isinstance(document, dict) and "credential" in document and "@context" not in document:
        return document.get("credential"), document.get("receipt")
    return document, None


def verify_bytes(
    data: bytes,
    trust: Trust,
    *,
    now: datetime | None = None,
    identity: Identity | None = None,
    receipt_lookup: Callable[[Mapping[str, Any]], Any] | None = None,
) -> Report:
    report = Report()
    stripped = data.lstrip()
    receipt: Any = None
    text_hash: str | None = None
    if stripped.startswith(b"%PDF"):
        report.source = "pdf"
        try:
            credential_bytes = embedded_credential(data)
            receipt_bytes = embedded_file(data, "receipt.json")
            text = visible_text(data)
        except PdfError as exc:
            report.add("format", "fail", str(exc))
            return report
        signed = _pdf_signature(data, trust, now, report)
        text_hash = visible_text_hash(text)
        try:
            document = _load_json(credential_bytes, report)
        except ValueError as exc:
            report.add("format", "fail", f"the attached credential: {exc}")
            return report
        try:
            receipt = _load_json(receipt_bytes, report) if receipt_bytes is not None else None
        except ValueError as exc:
            report.add("format", "fail", f"the attached receipt: {exc}")
            return report
        _signed_for_recorded(signed, receipt, report)
    elif badges.is_png(data) or badges.is_svg(data):
        # A baked badge carries the bare credential (no receipt): the ledger check then asks receipt_lookup.
        report.source = "png" if badges.is_png(data) else "svg"
        try:
            document = _load_json(badges.unbake(data), report)
        except ValueError as exc:  # BakeError is one
            report.add(
                "format",
                "fail",
                f"the badge image: {exc} (expected a PDF certificate or a JSON credential, or a badge image with one "
                "baked in)",
            )
            return report
    else:
        if not stripped:
            report.add("format", "fail", "the file is empty")
            return report
        try:
            loaded = _load_json(data, report)
        except ValueError as exc:
            report.add("format", "fail", f"{exc} (expected a PDF certificate or a JSON credential)")
            return report
        # No separate depth check: _load_json refused anything nested deeper than bounds.MAX_DEPTH.
        document, receipt = _unwrap(loaded)
    bounds.check_credential(document)
    return verify_document(
        document, trust, report=report, receipt=receipt, now=now, identity=identity,
        text_hash=text_hash, receipt_lookup=receipt_lookup,
    )  # fmt: skip


def _pdf_signature(
    data: bytes, trust: Trust, now: datetime | None, report: Report
) -> pdf_signature.VerifiedSignature | None:
    """The file itself: the bank's PAdES signature over every byte of it (the text and attachments come after)."""
    try:
        signed = pdf_signature.verify(data, trust.pdf_roots, now=now)
    except pdf_signature.SignatureError as exc:
        report.add("pdf_signature", "fail", str(exc))
        return None
    report.add(
        "pdf_signature",
        "pass",
        f"the whole file is signed by {signed.signer} (PAdES, {signed.signed_at.isoformat()}), "
        "with a certificate of the bank's PDF root; nothing was changed after signing",
    )
    return signed


def _signed_for_recorded(signed: pdf_signature.VerifiedSignature | None, receipt: Any, report: Report) -> None:
    """The signing certificate must have been valid when the ledger recorded the credential, and the PDF signed
    after that. The time is read from the receipt here; the ledger check proves it."""
    if signed is None or not isinstance(receipt, dict):
        return
    recorded = next(
        (
            _instant(item["entry"].get("time"))
            for item in receipt.get("entries") or []
            if isinstance(item, dict) and item.get("role") == "credential" and isinstance(item.get("entry"), dict)
        ),
        None,
    )
    if recorded is None:
        return
    problem = None
    if not signed.not_before <= recorded <= signed.not_after:
        problem = "the PDF's signing certificate was not valid when the ledger recorded the credential"
    elif recorded > signed.signed_at + pdf_signature.MAX_CLOCK_SKEW:
        problem = "the PDF was signed before the ledger recorded its credential"
    if problem:
        for check in report.checks:
            if check.check == "pdf_signature":
                check.outcome, check.reason = "fail", f"{problem} ({recorded.isoformat()})"


def visible_text_hash(text: str) -> str:
    """A fingerprint of what a PDF shows, independent of the order its text is extracted or laid out in."""
    tokens = sorted(text.split())
    # A damaged ToUnicode map can make the extracted text hold lone surrogates; they hash (to a mismatch) rather
    # than fail to encode. Text a real page shows encodes the same either way.
    return "sha256:" + hashlib.sha256("\n".join(tokens).encode("utf-8", "surrogatepass")).hexdigest()


def verify_document(
    document: Any,
    trust: Trust,
    *,
    report: Report | None = None,
    receipt: Any = None,
    now: datetime | None = None,
    identity: Identity | None = None,
    text_hash: str | None = None,
    receipt_lookup: Callable[[Mapping[str, Any]], Any] | None = None,
) -> Report:
    report = report or Report()
    moment = now or datetime.now(UTC)
    try:
        report.kind = shape.check(document)
    except shape.ShapeError as exc:
        report.add("format", "fail", f"not a valid OB 3.0 / CLR 2.0 credential: {exc}")
        return report
    report.credential = document
    report.credential_id = document["id"]
    report.add("format", "pass", f"a well-formed {report.kind}")

    keys = {key.method: key for key in trust.keys}
    used = _issued_and_signed(document, trust, keys, report)
    recorded = _ledger(
        document, receipt if receipt is not None else _lookup(receipt_lookup, document), trust, report, text_hash
    )
    _key_validity(used, keys, report, moment, recorded[0] if recorded else None)
    _status(document, trust, report, recorded[1] if recorded else None)
    _validity(document, moment, report)
    if report.kind == "ClrCredential":
        _wrapped(document, trust, keys, moment, recorded[0] if recorded else None, report)
    _identity(document, identity, report)
    # The key check needs the ledger's recording time, so it runs after the ledger check; the report keeps the
    # documented order.
    report.checks.sort(key=lambda item: CHECKS.index(item.check) if item.check in CHECKS else len(CHECKS))
    return report


def _issued_and_signed(
    document: Mapping[str, Any], trust: Trust, keys: Mapping[str, IssuerKey], report: Report
) -> list[proofs.ProofCheck]:
    issuer = document.get("issuer")
    issuer_id = issuer if isinstance(issuer, str) else issuer.get("id") if isinstance(issuer, dict) else None
    if issuer_id != trust.issuer:
        report.add("signature", "fail", f"issued by {issuer_id}, not by the trusted issuer {trust.issuer}")
        return []
    return _signature(document, keys, report)


def _merge(report: Report, check: str, outcome: CheckOutcome, reason: str) -> None:
    """Fold a wrapped credential's result into the transcript's row for that check: a failure replaces a pass or a
    skip, a skip replaces a pass, so the row shows the worst and names which credential it was."""
    rank = {"pass": 0, "skip": 1, "fail": 2}
    for item in report.checks:
        if item.check == check:
            if rank[outcome] > rank[item.outcome]:
                item.outcome, item.reason = outcome, reason
            return
    report.add(check, outcome, reason)


def _wrapped(
    document: Mapping[str, Any],
    trust: Trust,
    keys: Mapping[str, IssuerKey],
    moment: datetime,
    recorded: datetime | None,
    report: Report,
) -> None:
    """Every credential a transcript wraps gets the transcript's own checks. They were recorded together: the
    transcript's ledger entry holds the hash of the whole, wrapped credentials included, so its recording time is
    theirs too."""
    inner = document["credentialSubject"]["verifiableCredential"]
    for index, credential in enumerate(inner):
        label = f"wrapped credential {index + 1} ({credential.get('id')})"
        own = Report()
        used = _issued_and_signed(credential, trust, keys, own)
        _key_validity(used, keys, own, moment, recorded)
        _status(credential, trust, own, None, wrapped=True)
        _validity(credential, moment, own)
        for item in own.checks:
            if item.outcome != "pass":
                _merge(report, item.check, item.outcome, f"{label}: {item.reason}")


def _lookup(lookup: Callable[[Mapping[str, Any]], Any] | None, document: Mapping[str, Any]) -> Any:
    return lookup(document) if lookup is not None else None


def _signature(document: Mapping[str, Any], keys: Mapping[str, IssuerKey], report: Report) -> list[proofs.ProofCheck]:
    def resolve(method: str) -> bytes | None:
        key = keys.get(method)
        return key.public if key else None

    try:
        results = proofs.verify(document, resolve)
    except ContextError as exc:
        report.add("signature", "fail", str(exc))
        return []
    failed = [result for result in results if not result.ok]
    if not results:
        report.add("signature", "fail", "the credential carries no proof")
    elif failed:
        report.add("signature", "fail", failed[0].reason)
    else:
        report.add("signature", "pass", f"eddsa-rdfc-2022 signature by {results[0].verification_method}")
    return [result for result in results if result.ok]


def _key_validity(
    used: Sequence[proofs.ProofCheck],
    keys: Mapping[str, IssuerKey],
    report: Report,
    moment: datetime,
    recorded: datetime | None,
) -> None:
    if not used:
        report.add("key", "fail", "no valid signature to date against the issuer's keys")
        return
    for result in used:
        key = keys[result.verification_method or ""]
        created = _instant(result.created)
        if created is None:
            report.add("key", "fail", "the proof has no valid creation time (an RFC 3339 date-time with a zone)")
            return
        if created > moment + MAX_CLOCK_SKEW:
            report.add("key", "fail", f"the proof claims to be created at {result.created}, in the future")
            return
        # Proof times are whole seconds; the key's start is compared at the same precision.
        start = _instant(key.active_from)
        if start is not None and created < start.replace(microsecond=0):
            report.add("key", "fail", f"signed at {result.created}, before {key.method} was in use")
            return
        retired = _instant(key.retired_at)
        if retired is not None and created >= retired:
            report.add("key", "fail", f"signed at {result.created}, after {key.method} was retired")
            return
        compromised = _instant(key.compromised_since)
        if key.compromised_since is not None and (compromised is None or created >= compromised):
            report.add("key", "fail", f"signed at {result.created}, after {key.method} was compromised")
            return
        # The signer writes the proof's time; the ledger's is the bank's. The key must have been the signing key
        # when the ledger recorded the credential, or a key retired (or stolen) long ago could still sign "old"
        # credentials and have them recorded.
        if recorded is not None:
            if start is not None and recorded < start:
                report.add("key", "fail", f"the ledger recorded it at {recorded.isoformat()}, before {key.method}")
                return
            if retired is not None and recorded >= retired:
                report.add(
                    "key", "fail", f"the ledger recorded it at {recorded.isoformat()}, after {key.method} was retired"
                )
                return
            if compromised is not None and recorded >= compromised:
                report.add(
                    "key",
                    "fail",
                    f"the ledger recorded it at {recorded.isoformat()}, after {key.method} was compromised",
                )
                return
    note = (
        " (since retired; earlier signatures stay valid)"
        if any(keys[r.verification_method or ""].retired_at for r in used)
        else ""
    )
    report.add("key", "pass", f"the key was the issuer's signing key when the credential was signed{note}")


def _instant(text: Any) -> datetime | None:
    """A strict RFC 3339 / XSD dateTimeStamp instant, or None: a date that does not exist or a time without a zone
    is never read as some nearby instant."""
    return shape.parse_datetime(text)


def _ledger(
    document: Mapping[str, Any], receipt: Any, trust: Trust, report: Report, text_hash: str | None
) -> tuple[datetime | None, Mapping[str, Any]] | None:
    """The ledger check; when it passes, the recording time and the recorded credential.issued body."""
    if receipt is None:
        report.add("ledger", "fail", "no ledger receipt came with the credential, so its recording cannot be checked")
        return None
    if not trust.log_keys:
        report.add("ledger", "fail", "no log key is trusted, so the ledger checkpoint cannot be checked")
        return None
    try:
        recorded = receipts.verify(receipt, document, trust.log_keys, trust.checkpoint)
    except receipts.ReceiptError as exc:
        report.add("ledger", "fail", str(exc))
        return None
    if text_hash is not None:
        expected = receipts.issued_body(receipt).get("visible_text_hash")
        if expected != text_hash:
            report.add("ledger", "fail", "the PDF's visible text differs from what was issued and recorded")
            return None
    report.add(
        "ledger",
        "pass",
        f"recorded at ledger entry #{recorded.seq} ({recorded.time}), included in the signed checkpoint of "
        f"size {recorded.tree_size}",
    )
    report.ledger_seq, report.ledger_time = recorded.seq, recorded.time
    return _instant(recorded.time), receipts.issued_body(receipt)


def _entry(entry: Any) -> tuple[str, int] | str:
    """The revocation list and index a status entry names, or what is wrong with it."""
    if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
        return "unsupported credentialStatus type (a single BitstringStatusListEntry is expected)"
    url = entry.get("statusListCredential")
    index_text = entry.get("statusListIndex")
    try:
        if not isinstance(url, str) or not isinstance(index_text, str):
            raise NotADecimal("not text")
        # One spelling per index: "007" or a full-width digit could name a bit the issuer never assigned.
        index = parse_decimal(index_text)
    except NotADecimal:
        return "the status entry is malformed"
    # The bank's credentials name their revocation list (suspension is read beside it); an entry's purpose must
    # be that of the list it names, and a lookup answers only from a list whose own purpose is revocation.
    if entry.get("statusPurpose") != "revocation":
        return f"the status entry's purpose is {entry.get('statusPurpose')!r}, not that of a revocation list"
    return url, index


def _on_issuer_host(url: str, issuer: str, number: Any) -> bool:
    """Whether ``url`` is the issuer's revocation list number ``number`` (offline, from the receipt's record)."""
    if not issuer.startswith("did:web:") or type(number) is not int:
        return False
    parts = urlsplit(url)
    host = unquote(issuer.removeprefix("did:web:").split(":", 1)[0])
    return (
        parts.scheme in ("http", "https")
        and parts.netloc == host
        and parts.path.endswith(f"/status/{number}-revocation")
        and not parts.query
        and not parts.fragment
    )


def _status(
    document: Mapping[str, Any],
    trust: Trust,
    report: Report,
    issued_body: Mapping[str, Any] | None,
    *,
    wrapped: bool = False,
) -> None:
    entry = document.get("credentialStatus")
    named = _entry(entry) if entry is not None else None
    if trust.ledger_status is not None:
        _ledger_status(document, trust.ledger_status, report, named, wrapped=wrapped)
        return
    if named is None:
        if issued_body is not None and "status_list" in issued_body:
            report.add("status", "fail", "the status entry it was issued with has been removed")
        elif not wrapped:
            # A wrapped credential has no entry of its own: the transcript's entry covers the whole.
            report.add("status", "skip", "the credential has no status entry, so whether it was revoked is unknown")
        return
    if isinstance(named, str):
        report.add("status", "fail", named)
        return
    url, index = named
    recorded_slot = issued_body is not None and "status_list" in issued_body
    if recorded_slot and (
        not _on_issuer_host(url, trust.issuer, issued_body.get("status_list"))  # type: ignore[union-attr]
        or index != issued_body.get("status_index")  # type: ignore[union-attr]
    ):
        report.add("status", "fail", "the status entry names another list or index than was recorded at issuance")
        return
    if trust.status is None:
        report.add("status", "skip", "offline: revocation and suspension were not checked (no status list given)")
        return
    answer = trust.status(str(document.get("id")), url, index)
    if answer is None:
        report.add("status", "skip", f"the status list {url} could not be consulted")
    elif answer.past_end is not None:
        report.add(
            "status", "fail", f"the status entry's index is past the end of its list ({answer.past_end} entries)"
        )
    elif answer.revoked:
        report.add("status", "fail", "the credential has been revoked")
    elif answer.suspended:
        report.add("status", "fail", "the credential is suspended")
    else:
        report.add("status", "pass", "neither revoked nor suspended")


def _ledger_status(
    document: Mapping[str, Any],
    lookup: LedgerStatus,
    report: Report,
    named: tuple[str, int] | str | None,
    *,
    wrapped: bool,
) -> None:
    """Online: the ledger's revocations, suspensions and reinstatements decide, and the credential's entry must be
    the one it was issued with (another list, another index, another host or the suspension list are refused)."""
    row = lookup(str(document.get("id")))
    if row is None:
        if wrapped and named is None:
            return  # issued inside its transcript only: the transcript's own status covers it
        report.add("status", "fail", "the bank's ledger records no such credential, so it has no status to rely on")
        return
    if row.revoked:
        report.add("status", "fail", "the credential has been revoked (recorded in the bank's ledger)")
    elif named is None:
        report.add("status", "fail", "the status entry it was issued with has been removed")
    elif isinstance(named, str):
        report.add("status", "fail", named)
    elif named != (row.list_url, row.index):
        report.add("status", "fail", "the status entry names another list or index than was recorded at issuance")
    elif row.list_size is not None and row.index >= row.list_size:
        report.add("status", "fail", f"the status entry's index is past the end of its list ({row.list_size} entries)")
    elif row.suspended:
        report.add("status", "fail", "the credential is suspended (recorded in the bank's ledger)")
    else:
        report.add("status", "pass", "neither revoked nor suspended, as the bank's ledger records today")


def _validity(document: Mapping[str, Any], moment: datetime, report: Report) -> None:
    start = _instant(document.get("validFrom"))
    end = _instant(document.get("validUntil"))
    if start is None:
        report.add("validity", "fail", "validFrom is not a real RFC 3339 date-time with a time zone")
    elif "validUntil" in document and end is None:
        # Never "no expiry": an expiry that cannot be read is not an absent one.
        report.add("validity", "fail", "validUntil is not a real RFC 3339 date-time with a time zone")
    elif moment < start:
        report.add("validity", "fail", f"not valid before {document['validFrom']}")
    elif end is not None and moment > end:
        report.add("validity", "fail", f"expired on {document['validUntil']}")
    else:
        until = f" until {document['validUntil']}" if end else ""
        report.add("validity", "pass", f"valid from {document['validFrom']}{until}")


def _identity(document: Mapping[str, Any], identity: Identity | None, report: Report) -> None:
    if identity is None:
        report.add("identity", "skip", "no name and birth date given to compare with the credential's holder")
        return
    subject = document.get("credentialSubject", {})
    hashed = [
        item
        for item in (subject.get("identifier", []) if isinstance(subject, dict) else [])
        if isinstance(item, dict) and item.get("hashed") and isinstance(item.get("salt"), str)
    ]
    if not hashed:
        report.add("identity", "fail", "the credential carries no identity hash to compare with")
    # One identifier per form of the holder's name (Chinese, Latin): whichever form the verifier was given counts,
    # in any of the few spellings that could have been hashed at issuance (see certificates.names).
    elif any(
        identity_hash(candidate, identity.birth_date, item["salt"]) == item.get("identityHash")
        for candidate in names.name_candidates(identity.name)
        for item in hashed
    ):
        report.add("identity", "pass", "the name and birth date match the credential's holder")
    else:
        report.add(
            "identity",
            "fail",
            "the name or birth date does not match what you entered; this says nothing against the credential itself",
        )
