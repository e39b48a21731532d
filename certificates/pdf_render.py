"""Bilingual (zh + en) A4 certificates and transcripts as PDF/A-3b, with the credential attached.

Templates render in a sandboxed Jinja environment (a learner's name is data, never template code), and WeasyPrint
gets a fetcher that refuses every URL but inline data: the page needs nothing from disk or network.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import segno
from jinja2 import FileSystemLoader, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup
from weasyprint import HTML, Attachment
from weasyprint.urls import URLFetcher

from certificates.fonts import font_face_css

_TEMPLATES = Path(__file__).resolve().parent / "templates"
_env = SandboxedEnvironment(loader=FileSystemLoader(str(_TEMPLATES)), autoescape=select_autoescape(default=True))

# One catalogue of the printed labels, so both documents and both language orders say the same thing.
LABELS: dict[str, dict[str, str]] = {
    "certificate": {"zh": "学习成果证书", "en": "Certificate of Learning Achievement"},
    "transcript": {"zh": "终身学习成绩单", "en": "Lifelong Learning Transcript"},
    "awarded_to": {"zh": "兹证明", "en": "This certifies that"},
    "achieved": {"zh": "已取得以下学习成果", "en": "has achieved"},
    "credits": {"zh": "学分", "en": "Credits"},
    "level": {"zh": "级别", "en": "Level"},
    "framework": {"zh": "资历框架", "en": "Framework"},
    "institution": {"zh": "认证机构", "en": "Institution"},
    "issued": {"zh": "签发日期", "en": "Issued"},
    "ledger": {"zh": "账本记录", "en": "Ledger entry"},
    "credential": {"zh": "凭证编号", "en": "Credential"},
    "verify": {"zh": "扫码或访问以下网址验证", "en": "Scan or visit to verify"},
    "learner": {"zh": "学习者", "en": "Learner"},
    "title": {"zh": "学习成果", "en": "Achievement"},
    "completed": {"zh": "完成日期", "en": "Completed"},
    "category": {"zh": "类别", "en": "Category"},
    "status": {"zh": "状态", "en": "Status"},
    "by_level": {"zh": "按级别汇总学分", "en": "Credits by level"},
    "total": {"zh": "学分合计", "en": "Total credits"},
    "qualifications": {"zh": "已获资历", "en": "Qualifications awarded"},
    "none": {"zh": "暂无", "en": "None yet"},
    "page": {"zh": "页", "en": "Page"},
}


@dataclass(frozen=True)
class Bilingual:
    zh: str
    en: str


@dataclass(frozen=True)
class CertificatePage:
    title: Bilingual
    learner_name: str
    institution: Bilingual
    bank: Bilingual
    credits: str
    level: Bilingual
    framework: Bilingual
    issued: date
    ledger_seq: int
    credential_id: str
    verify_url: str
    language_order: tuple[str, str] = ("zh", "en")


@dataclass(frozen=True)
class TranscriptRow:
    title: Bilingual
    institution: Bilingual
    completed: date | None
    credits: str
    level: Bilingual
    category: Bilingual
    seq: int
    status: str


@dataclass(frozen=True)
class TranscriptPage:
    learner_name: str
    bank: Bilingual
    rows: Sequence[TranscriptRow]
    credits_by_level: Sequence[tuple[Bilingual, str]]
    total_credits: str
    qualifications: Sequence[Bilingual]
    issued: date
    ledger_seq: int
    credential_id: str
    verify_url: str
    language_order: tuple[str, str] = ("zh", "en")


class _NoFetching(URLFetcher):  # type: ignore[misc]
    """Everything a page uses is inline; any other URL (file, http, …) is refused, never opened."""

    def fetch(self, url: str, headers: Any = None) -> Any:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        raise ValueError(f"external resources are not allowed in credentials: {url[:80]}")


def _qr(url: str) -> Markup:
    svg = segno.make(url, error="m").svg_inline(scale=3, dark="#1b2a41")
    return Markup(svg)  # noqa: S704  (segno's own SVG, built from the URL as data)


def _both(order: tuple[str, str]) -> Any:
    def pick(value: Bilingual | Mapping[str, str]) -> list[str]:
        get = value.get if isinstance(value, Mapping) else lambda lang: getattr(value, lang)
        return [text for text in (get(order[0]), get(order[1])) if text]

    return pick


def _html(template: str, page: Any) -> str:
    context = {"page": page, "labels": LABELS, "both": _both(page.language_order), "qr": _qr(page.verify_url)}
    body = _env.get_template(template).render(**context, font_face="")
    # The document font is cut to exactly the characters on the page, so it is built from the rendered text.
    return _env.get_template(template).render(**context, font_face=Markup(font_face_css(body)))  # noqa: S704


def _write(html: str, title: str, files: Mapping[str, bytes]) -> bytes:
    attachments = [
        Attachment(string=data, name=name, description=name, relationship="Data")
        for name, data in sorted(files.items())
    ]
    moment = datetime(2000, 1, 1, tzinfo=UTC)
    document = HTML(string=html, url_fetcher=_NoFetching(), base_url="data:,").render()
    document.metadata.title = title
    document.metadata.created = document.metadata.modified = moment.isoformat()
    pdf: bytes = document.write_pdf(pdf_variant="pdf/a-3b", attachments=attachments)
    return pdf


def render_certificate(page: CertificatePage, files: Mapping[str, bytes]) -> bytes:
    return _write(_html("certificate.html", page), f"{page.title.zh} / {page.title.en}", files)


def render_transcript(page: TranscriptPage, files: Mapping[str, bytes]) -> bytes:
    return _write(_html("transcript.html", page), "终身学习成绩单 / Lifelong Learning Transcript", files)
