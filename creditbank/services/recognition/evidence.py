"""The evidence check: is a credential brought for recognition authentic, the applicant's, and from an issuer this
bank trusts — and which learning does it name?

One verification engine decides authenticity (``certificates.verify``, in a child process under the CPU budget).
What this module adds is the choice of what to trust: this bank's own keys, log and ledger for its own credentials;
for another issuer, only a DID on the trust list, valid today and when the credential was recorded, with the keys
and log key of the DID document fetched from that DID's own host, and status read from that host's signed status
lists. A bank that can be reached is asked, too, whether its log today extends the checkpoint in the receipt, so a
bank that forked its log (showing one history to the learner and another to everyone else) is caught.

Anything that fails is refused with the reason and nothing is appended (the caller appends). A credential whose
status could not be consulted is "authentic_unchecked": never recognized automatically, it goes to a reviewer.

The CPU budget is the verify door's (2 s). A CLR wrapping 50 credentials takes about 0.3 s of it here, and the
engine's bounds refuse more than 250 credentials in one document before any of them is canonicalized, so the most
a transcript can ask stays under the budget and evidence needs no larger one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from certificates import bounds, budget, names, proofs, shape
from certificates import verify as verification
from certificates.credentials import identity_hash
from certificates.multibase import MultibaseError, public_key_bytes
from certificates.pdf_read import PdfError, embedded_file
from certificates.status_list import StatusBits, StatusListError
from creditbank.errors import InvalidInput, NotFound
from creditbank.runtime import Bank
from creditbank.services.credentials import verifying
from creditbank.services.credentials.facts import bank_name, both_languages
from creditbank.services.credentials.reading import receipt as own_receipt
from creditbank.services.recognition import remote, trust_list
from ledger import strict_json
from ledger.merkle import verify_consistency
from ledger.note import Checkpoint, NoteError, NoteVerifier, open_note, parse_checkpoint

# Nothing is trusted: a first pass with it only reads what the file claims (its issuer), cheaply, under the budget.
_NOBODY = verification.Trust("", (), ())
_CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff]")
CONSISTENCY = "log_consistency"


@dataclass(frozen=True)
class LearningItem:
    key: str  # "ach:<achievement id>" (this bank's own) or "ext:<sha256(issuer DID + "\n" + credential id)>"
    issuer: str
    issuer_name: str
    title: dict[str, str]
    achievement_ref: str | None
    achievement_type: str | None
    completed: str | None  # YYYY-MM-DD
    credits: str | None  # decimal text
    # {"framework", "outcome", "credits", "level", "category", "rule": "<did>@<seq>"}, or None when none applies.
    mapping: dict[str, Any] | None


@dataclass(frozen=True)
class EvidenceCheck:
    kind: str  # "credential" | "pdf"
    verdict: str  # "valid" | "authentic_unchecked"
    issuer: str
    own: bool
    items: tuple[LearningItem, ...]
    report: dict[str, Any]


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, errors={"evidence": message})


def _engine(data: bytes, trust: verification.Trust, moment: datetime, lookup: Any = None) -> verification.Report:
    return verifying.run_engine(data, trust, now=moment, receipt_lookup=lookup)


def _issuer_of(document: Mapping[str, Any]) -> str | None:
    issuer = document.get("issuer")
    found = issuer if isinstance(issuer, str) else issuer.get("id") if isinstance(issuer, dict) else None
    return found if isinstance(found, str) else None


def check(
    bank: Bank,
    data: bytes,
    identities: Sequence[verification.Identity],
    framework: str,
    *,
    now: datetime | None = None,
) -> EvidenceCheck:
    """Verify one evidence file for an applicant known by ``identities``; its items, mapped into ``framework``."""
    moment = now or datetime.now(UTC)
    first = _engine(data, _NOBODY, moment)
    if first.credential is None:
        reason = next((c.reason for c in first.checks if c.outcome == "fail"), "not readable")
        raise _refuse(f"the file is not a credential or certificate that can be verified: {reason}")
    issuer = _issuer_of(first.credential)
    if issuer is None:
        raise _refuse("the credential names no issuer")
    # Whose it is needs nothing remote: someone else's transcript is refused before any issuer is asked anything.
    _holder(first.credential, identities)
    kind = "pdf" if first.source == "pdf" else "credential"
    extra: list[dict[str, str]] = []
    entry: trust_list.Issuer | None = None
    if issuer == bank.did:
        report = _engine(data, verifying.trust(bank), moment, _own_receipt_lookup(bank))
        issuer_name = both_languages(bank_name(bank))
    else:
        # A DID no entry could have (a NUL, 10,000 characters) is not even looked up.
        entry = trust_list.find(bank, issuer)
        if entry is None:
            raise _refuse(f"the issuer is not on this bank's trust list: {issuer}")
        if not entry.valid_on(moment.date()):
            raise _refuse(f"the trust list entry for {issuer} is not in force today ({_window(entry)})")
        trust, remote_notes, site = _remote_trust(issuer)
        report = _engine(data, trust, moment)
        if report.verdict != "invalid" and site is not None:
            extra.append(_consistency(site, trust.log_keys, data, first.source, remote_notes))
        issuer_name = entry.name
    answer = report.to_json()
    answer["checks"].extend({"check": e["check"], "result": e["result"], "reason": e["reason"]} for e in extra)
    if entry is not None:
        answer["remote"] = remote_notes
    failed = next(
        (c for c in answer["checks"] if c["result"] == "fail" and c["check"] != "identity"),
        None,
    )
    if report.verdict == "invalid" or failed is not None:
        if failed is None:
            raise _refuse("the credential did not verify")
        raise _refuse(f"the credential did not verify: {failed['check']} check failed: {failed['reason']}")
    verdict = report.verdict
    if any(e["result"] == "skip" for e in extra):
        verdict = "authentic_unchecked"
    answer["verdict"], answer["valid"] = verdict, verdict == "valid"
    document = report.credential
    assert document is not None
    if entry is not None:
        recorded = _day_of(report.ledger_time) or _day_of(document.get("validFrom"))
        if recorded is None or not entry.valid_on(recorded):
            raise _refuse(
                f"the trust list entry for {issuer} was not in force when the credential was recorded "
                f"({recorded.isoformat() if recorded else 'unknown date'}; {_window(entry)})"
            )
    _holder(document, identities)
    # The engine ran without a holder to compare (the applicant may be known by several identities); the report
    # that is kept says the comparison made here.
    for row in answer["checks"]:
        if row["check"] == "identity":
            row["result"], row["reason"] = "pass", "the applicant's identity matches the credential's holder"
    answer["identity"] = "matches"
    items = _items(bank, document, issuer, issuer_name, entry, framework)
    return EvidenceCheck(kind, verdict, issuer, entry is None, items, answer)


def _window(entry: trust_list.Issuer) -> str:
    return f"trusted from {entry.valid_from} to {entry.valid_until or 'removal'}"


def _day_of(text: Any) -> date | None:
    instant = shape.parse_datetime(text)
    return instant.astimezone(UTC).date() if instant is not None else None


def _own_receipt_lookup(bank: Bank) -> Callable[[Mapping[str, Any]], Any]:
    def lookup(credential: Mapping[str, Any]) -> Any:
        credential_id = credential.get("id")
        if not isinstance(credential_id, str):
            return None
        try:
            return own_receipt(bank, credential_id)
        except NotFound:
            return None

    return lookup


# -- another issuer ----------------------------------------------------------------------------------------------


def _remote_trust(did: str) -> tuple[verification.Trust, dict[str, Any], remote.Site | None]:
    """The issuer's keys and log key from its DID document, and a status lookup on its own host."""
    notes: dict[str, Any] = {}
    if did.startswith("did:key:"):
        # The key is the DID; there is no document, no log and no status list to fetch. The engine's ledger check
        # then fails for want of a log key, which is the honest answer: nothing shows the credential was recorded.
        try:
            public = public_key_bytes(did.removeprefix("did:key:"))
        except MultibaseError as exc:
            raise _refuse(f"the issuer's did:key cannot be read: {exc}") from None
        method = f"{did}#{did.removeprefix('did:key:')}"
        return verification.Trust(did, [verification.IssuerKey(method, public, "")], []), notes, None
    try:
        site = remote.site_of(did)
    except ValueError as exc:
        raise _refuse(f"the issuer's DID cannot be resolved: {exc}") from None
    url = site.did_document_url
    notes["did_document"] = url
    try:
        document = strict_json.loads(remote.fetch(site, url, remote.DID_DOCUMENT_BYTES).decode("utf-8"))
        if not isinstance(document, dict) or document.get("id") != did:
            raise ValueError(f"the document at {url} is not the DID document of {did}")
        base = verification.did_document_trust(document)
    except remote.RemoteError as exc:
        raise _refuse(f"the issuer's DID document could not be fetched, so nothing can be checked: {exc}") from None
    except (UnicodeDecodeError, strict_json.JSONInputError, ValueError, RecursionError) as exc:
        raise _refuse(f"the issuer's DID document cannot be used: {exc}") from None
    except (TypeError, AttributeError, KeyError):
        # Members of the wrong type (a number for a list, objects for ids) are as unusable as bad JSON.
        raise _refuse(f"the issuer's DID document cannot be used: {url} is not shaped as a DID document") from None
    keys = {key.method: key.public for key in base.keys}
    lists: dict[str, Any] = notes.setdefault("status_lists", {})
    ledger = _ledger_endpoint(document, site)
    notes["ledger"] = ledger

    def bits(list_url: str, purpose: str) -> StatusBits | None:
        try:
            found = _status_list(site, did, keys, list_url, purpose)
        except (remote.RemoteError, StatusListError, ValueError, TypeError, bounds.LimitExceeded) as exc:
            # A list past the bounds is the issuer's fault, not the file's: status unknown, not the file refused.
            lists[list_url] = str(exc)
            return None
        lists[list_url] = "consulted"
        return found

    def status(_credential_id: str, list_url: str, index: int) -> verification.StatusAnswer | None:
        revocation = bits(list_url, "revocation")
        if revocation is None or index >= revocation.size:
            return None
        if revocation.get(index):
            return verification.StatusAnswer(True, False)
        # A bank running this software publishes suspension beside revocation, at the same index; another issuer
        # may publish revocation only, and then a revocation list is all there is to consult.
        if not list_url.endswith("-revocation"):
            return verification.StatusAnswer(False, False)
        suspension = bits(list_url.removesuffix("revocation") + "suspension", "suspension")
        if suspension is None or index >= suspension.size:
            return None
        return verification.StatusAnswer(False, suspension.get(index))

    trust = verification.Trust(did, base.keys, base.log_keys, status, pdf_roots=base.pdf_roots)
    return trust, notes, site


def _ledger_endpoint(document: Mapping[str, Any], site: remote.Site) -> str:
    services = document.get("service")
    for service in services if isinstance(services, list) else []:
        if isinstance(service, dict) and service.get("type") == "TransparencyLog":
            endpoint = service.get("serviceEndpoint")
            if isinstance(endpoint, str) and site.owns(endpoint):
                return endpoint.rstrip("/")
    return f"{site.origin}/ledger"


def _status_list(site: remote.Site, did: str, keys: Mapping[str, bytes], url: str, purpose: str) -> StatusBits:
    """The issuer's status list at ``url``, signed by one of its keys, with that purpose, read into bits."""
    raw = remote.fetch(site, url, remote.STATUS_LIST_BYTES)
    bounds.check_bytes(raw)
    try:
        document = strict_json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, strict_json.JSONInputError) as exc:
        raise ValueError(f"the status list at {url} is not JSON") from exc
    bounds.check_json(document)
    if not isinstance(document, dict) or document.get("id") != url or _issuer_of(document) != did:
        raise ValueError(f"the document at {url} is not {did}'s status list {url}")
    subject = document.get("credentialSubject")
    if not isinstance(subject, dict) or subject.get("statusPurpose") != purpose:
        raise ValueError(f"the status list at {url} is not a {purpose} list")
    bounds.check_credential(document)
    # Canonicalizing is the costly part, and the list is the issuer's server's to shape: it runs under the same
    # CPU budget as the engine, in a child of its own (the engine's child is waiting for this answer).
    try:
        checked = budget.run(proofs.verify, document, dict(keys).get)
    except (budget.BudgetExceeded, budget.WorkerFailed) as exc:
        raise ValueError(f"the status list at {url} could not be checked: {exc}") from None
    if not checked or not all(item.ok for item in checked):
        raise ValueError(f"the status list at {url} is not signed by the issuer's key")
    encoded = subject.get("encodedList")
    if not isinstance(encoded, str):
        raise ValueError(f"the status list at {url} has no encodedList")
    return StatusBits.decode(encoded)


def _receipt_checkpoint(data: bytes, source: str) -> str | None:
    try:
        if source == "pdf":
            raw = embedded_file(data, "receipt.json")
            receipt = strict_json.loads(raw.decode("utf-8")) if raw is not None else None
        else:
            loaded = strict_json.loads(data.decode("utf-8"))
            receipt = loaded.get("receipt") if isinstance(loaded, dict) and "@context" not in loaded else None
    except (PdfError, UnicodeDecodeError, strict_json.JSONInputError, ValueError):
        return None
    note = receipt.get("checkpoint") if isinstance(receipt, dict) else None
    return note if isinstance(note, str) else None


def _consistency(
    site: remote.Site, log_keys: Sequence[NoteVerifier], data: bytes, source: str, notes: dict[str, Any]
) -> dict[str, str]:
    """Whether the issuer's log today extends the checkpoint the receipt was proved against."""

    def row(result: str, reason: str) -> dict[str, str]:
        return {"check": CONSISTENCY, "result": result, "reason": reason}

    held = _receipt_checkpoint(data, source)
    if held is None:
        return row("skip", "the receipt carries no checkpoint to compare with the issuer's log")
    ledger = str(notes["ledger"])
    try:
        old = parse_checkpoint(open_note(held, log_keys).text)
        raw = remote.fetch(site, f"{ledger}/checkpoint", remote.CHECKPOINT_BYTES, keep=False)
        new = parse_checkpoint(open_note(raw.decode("utf-8"), log_keys).text)
    except remote.RemoteError as exc:
        return row("skip", f"the issuer's current checkpoint could not be fetched: {exc}")
    except (NoteError, UnicodeDecodeError) as exc:
        return row("fail", f"the issuer's current checkpoint is not signed by its log key: {exc}")
    if new.origin != old.origin:
        return row("fail", f"the issuer's log is now named {new.origin}, not {old.origin}")
    if new.size < old.size:
        return row("fail", f"the issuer's log has shrunk from {old.size} to {new.size} entries")
    if new.size == old.size:
        if new.root != old.root:
            return row("fail", f"the issuer signed two different trees of size {new.size}: its log is forked")
        return row("pass", f"the issuer's log is still at size {new.size}, with the same root")
    return _proved_consistent(site, ledger, old, new, row)


def _proved_consistent(
    site: remote.Site, ledger: str, old: Checkpoint, new: Checkpoint, row: Callable[[str, str], dict[str, str]]
) -> dict[str, str]:
    query = f"from={old.size}&to={new.size}"
    try:
        raw = remote.fetch(site, f"{ledger}/proofs/consistency", remote.PROOF_BYTES, query=query, keep=False)
        answer = strict_json.loads(raw.decode("utf-8"))
    except remote.RemoteError as exc:
        return row("skip", f"the issuer's consistency proof could not be fetched: {exc}")
    except (UnicodeDecodeError, strict_json.JSONInputError):
        return row("fail", "the issuer's consistency proof is not JSON")
    try:
        path = answer["proof"] if isinstance(answer, dict) else None
        if not isinstance(path, list) or len(path) > 64:
            raise ValueError
        hashes = [base64.b64decode(item, validate=True) for item in path]
    except (KeyError, TypeError, ValueError, binascii.Error):
        return row("fail", "the issuer's consistency proof is malformed")
    if not verify_consistency(old.size, new.size, old.root, new.root, hashes):
        return row("fail", f"the issuer's log of size {new.size} does not extend the one of size {old.size}: forked")
    return row("pass", f"the issuer's log of size {new.size} extends the receipt's checkpoint of size {old.size}")


# -- the holder and the items ------------------------------------------------------------------------------------


def _matches(subject: Any, identities: Sequence[verification.Identity]) -> bool:
    hashed = [
        item
        for item in (subject.get("identifier", []) if isinstance(subject, dict) else [])
        if isinstance(item, dict) and item.get("hashed") and isinstance(item.get("salt"), str)
    ]
    return any(
        identity_hash(candidate, person.birth_date, item["salt"]) == item.get("identityHash")
        for person in identities
        for candidate in names.name_candidates(person.name)
        for item in hashed
    )


def _holder(document: Mapping[str, Any], identities: Sequence[verification.Identity]) -> None:
    """The applicant must be the credential's holder, and of every credential a transcript wraps. The message
    says nothing of whose it is."""
    refusal = _refuse("the credential is not the applicant's: its holder's identity does not match")
    subject = document.get("credentialSubject")
    if not identities or not _matches(subject, identities):
        raise refusal
    for credential in _wrapped(document):
        if not _matches(credential.get("credentialSubject"), identities):
            raise refusal


def _wrapped(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    subject = document.get("credentialSubject")
    if document.get("type") and "ClrCredential" in document.get("type", []) and isinstance(subject, dict):
        inner = subject.get("verifiableCredential")
        return [item for item in inner if isinstance(item, dict)] if isinstance(inner, list) else []
    return []


def _items(
    bank: Bank,
    document: Mapping[str, Any],
    issuer: str,
    issuer_name: str,
    entry: trust_list.Issuer | None,
    framework: str,
) -> tuple[LearningItem, ...]:
    credentials = _wrapped(document) if "ClrCredential" in (document.get("type") or []) else [document]
    items: list[LearningItem] = []
    seen: set[str] = set()
    for credential in credentials:
        item = _item(bank, credential, issuer, issuer_name, entry, framework)
        if item.key in seen:
            raise _refuse(f"the transcript holds the same learning twice ({credential.get('id')})")
        seen.add(item.key)
        items.append(item)
    return tuple(items)


def _item(
    bank: Bank,
    credential: Mapping[str, Any],
    issuer: str,
    issuer_name: str,
    entry: trust_list.Issuer | None,
    framework: str,
) -> LearningItem:
    subject = credential.get("credentialSubject")
    subject = subject if isinstance(subject, dict) else {}
    achievement = subject.get("achievement")
    achievement = achievement if isinstance(achievement, dict) else {}
    reference = achievement.get("id") if isinstance(achievement.get("id"), str) else None
    own_prefix = f"{bank.public_url}/achievements/"
    if entry is None and reference is not None and reference.startswith(own_prefix):
        key = "ach:" + reference.removeprefix(own_prefix)
    else:
        # The learning, not the document: an issuer hands out a new credential (a new id) with every download or
        # transcript, but names the same achievement in each. Keyed by the achievement, the learner's second copy
        # is the same learning; the bank counts it per learner, since many issuers name one achievement (a course,
        # a badge class) for everyone who earned it.
        named = reference if reference is not None else credential.get("id")
        key = "ext:" + hashlib.sha256(f"{issuer}\n{named}".encode()).hexdigest()
    kind = achievement.get("achievementType")
    credits = _credits(subject.get("creditsEarned")) or _credits(achievement.get("creditsAvailable"))
    completed = next(
        (
            found
            for found in (
                _day_of(subject.get("activityEndDate")),
                _day_of(credential.get("awardedDate")),
                _day_of(credential.get("validFrom")),
            )
            if found is not None
        ),
        None,
    )
    return LearningItem(
        key=key,
        issuer=issuer,
        issuer_name=issuer_name,
        title=_title(achievement.get("name")),
        achievement_ref=reference,
        achievement_type=kind if isinstance(kind, str) else None,
        completed=completed.isoformat() if completed is not None else None,
        credits=credits,
        mapping=_mapping(entry, reference, framework, credits) if entry is not None else None,
    )


def _credits(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = Decimal(repr(value))
    except InvalidOperation:
        return None
    if not number.is_finite() or number < 0:
        return None
    return format(number.normalize(), "f")


def _title(name: Any) -> dict[str, str]:
    """A language map as given (en / zh, regional forms folded), or plain text sorted by its script; the bank's
    own "中文 / English" form splits into both."""
    if isinstance(name, dict):
        title: dict[str, str] = {}
        for tag, text in name.items():
            language = str(tag).lower().split("-")[0]
            if language in ("en", "zh") and isinstance(text, str) and language not in title:
                title[language] = text
        return title
    if not isinstance(name, str) or not name.strip():
        return {}
    left, sep, right = name.partition(" / ")
    if sep and _CJK.search(left) and not _CJK.search(right):
        return {"zh": left.strip(), "en": right.strip()}
    return {"zh": name} if _CJK.search(name) else {"en": name}


def _mapping(
    entry: trust_list.Issuer, reference: str | None, framework: str, credits: str | None
) -> dict[str, Any] | None:
    """The trust list mapping for this achievement in ``framework``: its own id first, then ``*``."""
    candidates = [m for m in entry.mappings if m["framework"] == framework]
    chosen = next((m for m in candidates if reference is not None and m["achievement"] == reference), None)
    chosen = chosen or next((m for m in candidates if m["achievement"] == "*"), None)
    if chosen is None:
        return None
    if chosen.get("credits") is not None:
        amount = Decimal(chosen["credits"])
    elif chosen.get("credits_ratio") is not None and credits is not None:
        # Cut to hundredths, never rounded up: a mapping does not grant a part of a credit the credential lacks.
        amount = (Decimal(chosen["credits_ratio"]) * Decimal(credits)).quantize(Decimal("0.01"), ROUND_DOWN)
    else:
        # A ratio of nothing: the credential states no credits for the mapping to scale.
        return None
    return {
        "framework": framework,
        "outcome": chosen.get("outcome"),
        "credits": format(amount.normalize(), "f"),
        "level": chosen["level"],
        "category": chosen["category"],
        "rule": f"{entry.did}@{entry.seq}",
    }
