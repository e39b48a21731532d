"""What a credential's PDF shows, built from the facts gathered at issuance, and its rendering.

The document speaks Chinese and the second language recorded at issuance; its labels come from the ``documents``
catalogue area, its dates are local dates (the bank's time zone) as each of its two languages writes them. What it
shows is fingerprinted in the ledger at issuance, so everything here depends only on what was kept then.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_date

from certificates import pdf_signature
from certificates.pdf_pages import CHINESE, LABELS, second_language
from certificates.pdf_read import visible_text as extract_text
from certificates.pdf_render import (
    Bilingual,
    CertificatePage,
    TranscriptPage,
    TranscriptRow,
    render_certificate,
    render_transcript,
)
from certificates.verify import visible_text_hash
from creditbank import metrics
from creditbank.languages import words
from creditbank.runtime import Bank
from creditbank.services.credentials import pdf_keys
from creditbank.services.credentials.facts import Facts, Request, bank_name, language_order

Page = CertificatePage | TranscriptPage


def _bi(value: Any) -> Bilingual:
    if isinstance(value, dict):
        return Bilingual(str(value.get("zh") or value.get("en") or ""), str(value.get("en") or value.get("zh") or ""))
    return Bilingual(str(value or ""), str(value or ""))


def labels(order: tuple[str, str]) -> dict[str, Bilingual]:
    """Every label of a document, in Chinese, English and the document's second language, from the catalogues."""
    second = second_language(order)

    def label(key: str) -> Bilingual:
        name = f"documents_{key}"
        return Bilingual(words.text(name, CHINESE), words.text(name, "en"), ((second, words.text(name, second)),))

    return {key: label(key) for key in LABELS}


def write_date(day: date, language: str) -> str:
    """A date as the language writes it in full (2026年12月4日, 4 décembre 2026), from CLDR."""
    return str(babel_date(day, "long", locale=language))


def local_day(bank: Bank, moment: str) -> date:
    """The calendar day a UTC timestamp falls on in the bank's time zone: a credential signed at 20:00 UTC was
    issued the next morning in Shanghai."""
    parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    zone = ZoneInfo(str(bank.settings.get("CREDITBANK_TIMEZONE") or words.DEFAULT_TIMEZONE))
    return parsed.astimezone(zone).date() if parsed.tzinfo else parsed.date()


def _number(value: Any) -> str:
    try:
        return f"{Decimal(str(value)).normalize():f}"
    except (InvalidOperation, ValueError):
        return str(value)


def result_text(result: Any, printed: dict[str, Bilingual]) -> Bilingual | None:
    """A recorded result as the document prints it: a score out of its maximum, a grade, or pass / not passed."""
    if not isinstance(result, dict):
        return None
    verdict = printed["passed"] if result.get("passed") else printed["failed"]
    if result.get("type") == "score" and result.get("score") is not None:
        shown = _number(result["score"])
        if result.get("max") is not None:
            shown += f" / {_number(result['max'])}"
        return Bilingual(shown, shown)
    if result.get("type") == "grade" and result.get("grade"):
        grade = str(result["grade"])
        if "passed" not in result:
            return Bilingual(grade, grade)
        return Bilingual(
            f"{grade}（{verdict.zh}）",
            f"{grade} ({verdict.en})",
            tuple((code, f"{grade} ({text})") for code, text in verdict.more),
        )
    if result.get("type") == "pass_fail" and "passed" in result:
        return verdict
    return None


def _award_line(award: dict[str, Any], order: tuple[str, str], bank: Bank) -> Bilingual:
    """An awarded qualification on a transcript: its name, its level and the day it was awarded."""
    second = second_language(order)
    title, level = _bi(award.get("title")), _bi(award.get("level"))
    day = local_day(bank, award["awarded_at"]) if award.get("awarded_at") else None

    def line(language: str) -> str:
        parts = [title.get(language), level.get(language)]
        if day is not None:
            parts.append(write_date(day, language))
        return " · ".join(part for part in parts if part)

    return Bilingual(line(CHINESE), line("en"), ((second, line(second)),))


def page_for(bank: Bank, request: Request, facts: Facts, credential: dict[str, Any]) -> Page:
    order = language_order(request.language_order)
    printed = labels(order)
    bank_title = _bi(bank_name(bank))
    issued = local_day(bank, credential["validFrom"])
    verify_url = f"{bank.public_url}/v/{credential['id']}"
    learner, other_names = facts.names[0], tuple(facts.names[1:])
    common: dict[str, Any] = {"language_order": order, "other_names": other_names, "labels": printed}
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
            qualifications=[_award_line(award, order, bank) for award in facts.qualifications],
            issued=issued,
            ledger_seq=max(facts.sources),
            credential_id=credential["id"],
            verify_url=verify_url,
            dates=write_date,
            **common,
        )
    row = facts.rows[0]
    if request.kind == "qualification":
        completed = local_day(bank, row["awarded_at"]) if row.get("awarded_at") else None
    else:
        completed = date.fromisoformat(row["completed"]) if row.get("completed") else None
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
        kind="qualification" if request.kind == "qualification" else "achievement",
        completed=completed,
        result=result_text(row.get("result"), printed),
        hours=_number(row["hours"]) if row.get("hours") is not None else None,
        dates=write_date,
        **common,
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


def fingerprint(pdf: bytes) -> str:
    """The fingerprint of what a rendered PDF shows, as issuance records it and the verifier checks it."""
    return visible_text_hash(extract_text(pdf))


def render(bank: Bank, request: Request, facts: Facts, credential: dict[str, Any], receipt: dict[str, Any]) -> bytes:
    """The PDF as handed out: rendered, then signed by the bank's current PDF signing key."""
    page = page_for(bank, request, facts, credential)
    return _render(
        page,
        json.dumps(credential, ensure_ascii=False, indent=2).encode(),
        json.dumps(receipt, ensure_ascii=False).encode(),
        pdf_keys.signer(bank),
    )
