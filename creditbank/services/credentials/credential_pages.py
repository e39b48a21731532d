"""What a credential's PDF shows, built from the facts gathered at issuance, and its rendering."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from certificates import pdf_signature
from certificates.pdf_read import visible_text as extract_text
from certificates.pdf_render import (
    Bilingual,
    CertificatePage,
    TranscriptPage,
    TranscriptRow,
    render_certificate,
    render_transcript,
)
from creditbank import metrics
from creditbank.runtime import Bank
from creditbank.services.credentials import pdf_keys
from creditbank.services.credentials.facts import Facts, Request, bank_name

Page = CertificatePage | TranscriptPage


def _bi(value: Any) -> Bilingual:
    if isinstance(value, dict):
        return Bilingual(str(value.get("zh") or value.get("en") or ""), str(value.get("en") or value.get("zh") or ""))
    return Bilingual(str(value or ""), str(value or ""))


def _order(request: Request) -> tuple[str, str]:
    return ("en", "zh") if request.language_order == "en-zh" else ("zh", "en")


def page_for(bank: Bank, request: Request, facts: Facts, credential: dict[str, Any]) -> Page:
    bank_title = _bi(bank_name(bank))
    issued = date.fromisoformat(credential["validFrom"][:10])
    verify_url = f"{bank.public_url}/v/{credential['id']}"
    learner = facts.names[0]
    if request.kind == "transcript":
        rows = [
            TranscriptRow(
                title=_bi(row.get("title")),
                institution=_bi(row.get("institution")),
                completed=date.fromisoformat(row["completed"]) if row.get("completed") else None,
                credits=row.get("credits", "0"),
                level=_bi(row.get("level")),
                category=_bi(row.get("category")),
                seq=row["seq"],
                status=row.get("status", "recorded"),
            )
            for row in facts.rows
        ]
        by_level: dict[Bilingual, Decimal] = {}
        for row in facts.rows:
            label = _bi(row.get("level"))
            by_level[label] = by_level.get(label, Decimal(0)) + Decimal(str(row.get("credits") or "0"))
        total = sum(by_level.values(), Decimal(0))
        return TranscriptPage(
            learner_name=learner,
            bank=bank_title,
            rows=rows,
            credits_by_level=[(label, f"{value.normalize():f}") for label, value in by_level.items()],
            total_credits=f"{total.normalize():f}",
            qualifications=[],
            issued=issued,
            ledger_seq=max(facts.sources),
            credential_id=credential["id"],
            verify_url=verify_url,
            language_order=_order(request),
        )
    row = facts.rows[0]
    return CertificatePage(
        title=_bi(row.get("title")),
        learner_name=learner,
        institution=_bi(row.get("institution")),
        bank=bank_title,
        credits=row.get("credits", "0"),
        level=_bi(row.get("level")),
        framework=_bi(row.get("framework")),
        issued=issued,
        ledger_seq=row["seq"],
        credential_id=credential["id"],
        verify_url=verify_url,
        language_order=_order(request),
    )


def _render(page: Page, credential: bytes, receipt: bytes | None, signer: pdf_signature.Signer | None = None) -> bytes:
    files = {"credential.json": credential}
    if receipt is not None:
        files["receipt.json"] = receipt
    kind = "transcript" if isinstance(page, TranscriptPage) else "certificate"
    with metrics.PDF_RENDER.labels(kind).time():
        if isinstance(page, TranscriptPage):
            return render_transcript(page, files, signer=signer)
        return render_certificate(page, files, signer=signer)


def visible_text(page: Page) -> str:
    """The text the PDF will show, read back from a rendering exactly as a verifier will read it (unsigned: the
    signature adds no text)."""
    return extract_text(_render(page, b"{}", None))


def render(bank: Bank, request: Request, facts: Facts, credential: dict[str, Any], receipt: dict[str, Any]) -> bytes:
    """The PDF as handed out: rendered, then signed by the bank's current PDF signing key."""
    page = page_for(bank, request, facts, credential)
    return _render(
        page,
        json.dumps(credential, ensure_ascii=False, indent=2).encode(),
        json.dumps(receipt, ensure_ascii=False).encode(),
        pdf_keys.signer(bank),
    )
