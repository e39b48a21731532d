"""Verifying a credential or a certificate PDF against the bank's own trust: its keys, its log and its status lists."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from certificates import bounds, budget
from certificates import verify as verification
from creditbank import metrics
from creditbank.errors import (
    MalformedDocument,
    NotFound,
    VerificationLimit,
)
from creditbank.models import (
    Credential,
)
from creditbank.runtime import Bank
from creditbank.services.credentials import credential_keys
from creditbank.services.credentials.reading import receipt
from creditbank.services.credentials.status import LIST_SIZE, list_url


def trust(bank: Bank) -> verification.Trust:
    """The bank trusting itself: its own keys, its log key, and live status from its database."""
    document_ = credential_keys.did_document(bank)
    base = verification.did_document_trust(document_)

    def status(credential_id: str, url: str, index: int) -> verification.StatusAnswer | None:
        with bank.db.reading() as session:
            row = session.get(Credential, credential_id)
            if row is None or list_url(bank, row.status_list, "revocation") != url or row.status_index != index:
                return None
            return verification.StatusAnswer(row.revoked_seq is not None, row.suspended)

    def recorded(credential_id: str) -> verification.RecordedStatus | None:
        # The projection of credential.issued, .revoked and .suspended entries: the ledger's word, not the list's.
        with bank.db.reading() as session:
            row = session.get(Credential, credential_id)
            if row is None:
                return None
            return verification.RecordedStatus(
                list_url(bank, row.status_list, "revocation"), row.status_index, row.revoked_seq is not None,
                row.suspended, LIST_SIZE,
            )  # fmt: skip

    return verification.Trust(
        base.issuer, base.keys, base.log_keys, status, pdf_roots=base.pdf_roots, ledger_status=recorded
    )


def run_engine(data: bytes, trust_: verification.Trust, **options: Any) -> verification.Report:
    """The engine on ``data`` in a child process under the CPU budget; a file past the bounds or the budget is a
    VerificationLimit (and counted as refused), whichever door asked."""
    try:
        report: verification.Report = budget.run(verification.verify_bytes, data, trust_, **options)
    except bounds.LimitExceeded as exc:
        metrics.VERIFICATIONS.labels("refused", exc.limit).inc()
        raise VerificationLimit(str(exc), limit=exc.limit, maximum=exc.maximum) from None
    except (budget.BudgetExceeded, budget.WorkerFailed) as exc:
        metrics.VERIFICATIONS.labels("refused", "cpu_seconds").inc()
        raise VerificationLimit(
            f"{exc}; the file was not verified", limit="cpu_seconds", maximum=budget.CPU_SECONDS
        ) from None
    return report


def verify(
    bank: Bank, data: bytes, identity: verification.Identity | None = None, *, refuse_duplicate_keys: bool = False
) -> dict[str, Any]:
    """The verification report. With ``refuse_duplicate_keys`` a document naming a key twice is an error (the
    API's 400) rather than a failed format check (what the page and the command show)."""

    def lookup(credential: Mapping[str, Any]) -> Any:
        credential_id = credential.get("id")
        if not isinstance(credential_id, str):
            return None
        try:
            return receipt(bank, credential_id)
        except NotFound:
            return None

    # In a child process under the CPU budget; the lookups above run here, where the database is.
    report = run_engine(data, trust(bank), identity=identity, receipt_lookup=lookup)
    if refuse_duplicate_keys and report.duplicate_key is not None:
        duplicate = report.duplicate_key
        raise MalformedDocument(
            f"the uploaded document is refused: {duplicate}",
            errors={duplicate.dotted: [f"the key {duplicate.key!r} appears more than once"]},
        )
    failed = next((check.check for check in report.checks if check.outcome == "fail"), "")
    metrics.VERIFICATIONS.labels(report.verdict, failed).inc()
    return report.to_json()
