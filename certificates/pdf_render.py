"""Bilingual certificates and transcripts (Chinese and a second language) as A4 PDF/A-3b, with the credential
attached.

The credential JSON travels inside the PDF as the attachment ``credential.json`` (relationship Source: the page is
a rendering of it), so whoever holds the paper's file holds the verifiable original.

Learner names and titles are data: they reach the page only through a sandboxed, autoescaping Jinja environment,
and WeasyPrint gets a fetcher that opens nothing but data: URLs and files of this package and the font folder, so
text that looks like markup or a template prints as itself and nothing is read from the network or elsewhere.
"""

from __future__ import annotations

import gc
import mimetypes
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime, time
from functools import partial
from importlib.resources import files as package_files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import segno
from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup
from weasyprint import CSS, HTML, Attachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from certificates import fonts, pdf_signature
from certificates.pdf_pages import (
    CHINESE,
    LANGUAGE_TAGS,
    RIGHT_TO_LEFT,
    Bilingual,
    CertificatePage,
    DateWriter,
    TranscriptPage,
    TranscriptRow,
    check_order,
    second_language,
    status_text,
)

__all__ = [
    "CREDENTIAL_NAME",
    "Bilingual",
    "CertificatePage",
    "LocalOnlyFetcher",
    "RefusedResource",
    "TranscriptPage",
    "TranscriptRow",
    "html_to_pdf",
    "render_certificate",
    "render_transcript",
]

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = PACKAGE_DIR / "templates"
CREDENTIAL_NAME = "credential.json"
PDF_VARIANT = "pdf/a-3b"

# PDF/A needs an output intent. WeasyPrint's built-in 'srgb' intent opens this profile and never closes it (a
# ResourceWarning on every render), so the same file is handed over as a CSS colour profile, read through the fetcher.
_SRGB_PROFILE = Path(str(package_files("weasyprint.pdf") / "sRGB2014.icc"))
_OUTPUT_INTENT = "--creditbank-srgb"
_OUTPUT_INTENT_CSS = (
    f'@color-profile {_OUTPUT_INTENT} {{ src: url("{_SRGB_PROFILE.resolve().as_uri()}"); components: r g b; }}'
)

# ISO 32000-2 §7.11.3: the credential is what the page was made from; anything else rides along beside it.
_RELATIONSHIPS = {CREDENTIAL_NAME: "Source"}
_DESCRIPTIONS = {
    CREDENTIAL_NAME: "The verifiable credential this document presents (JSON)",
    "receipt.json": "The credit bank's ledger receipt for this credential (JSON)",
}

# WeasyPrint does not promise that renders in several threads leave Pango's and fontconfig's shared state intact.
_RENDER_LOCK = threading.Lock()
# Registering the @font-face files (a copy and a fontconfig scan) is a third of a certificate's render time, so one
# configuration serves every render while the subset files stay the same. Used only under _RENDER_LOCK.
_font_configs: dict[tuple[object, ...], Any] = {}


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for one render (under _RENDER_LOCK, so renders never overlap here).

    A transcript's render builds hundreds of thousands of boxes, styles and text runs that live until it ends; each
    full collection the allocations trigger walks all of them again (and whatever the process holds that is not
    frozen): 5 to 10% of a 100-row transcript's render time with the start-up objects frozen as wsgi.py freezes
    them, a sixth without. Reference counting frees memory as usual meanwhile; cycles wait for the first collection
    after the render. Left off if something else had turned the collector off.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class RefusedResource(ValueError):
    """A document asked for something outside what a credential page may use."""


class LocalOnlyFetcher(URLFetcher):  # type: ignore[misc]
    """Opens data: URLs and files under the given folders (or given files); refuses everything else, offline.

    It subclasses WeasyPrint's fetcher rather than being a bare function because WeasyPrint reads the fetcher's
    settings when a fetch fails: a plain function would turn every refusal into a crash.
    """

    def __init__(self, roots: Iterable[Path]) -> None:
        super().__init__(timeout=1, allowed_protocols=("data", "file"), allow_redirects=False, fail_on_errors=False)
        self.roots = tuple(root.resolve() for root in roots)

    def local_path(self, url: str) -> Path:
        """The file a file: URL names, if it lies under one of the roots (links resolved); else RefusedResource."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            raise RefusedResource(f"not a local file URL: {url[:100]}")
        path = Path(url2pathname(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in self.roots):
            raise RefusedResource(f"outside the folders a credential page may read: {url[:100]}")
        return path

    def fetch(self, url: str, headers: Any = None) -> Any:
        scheme = url.partition(":")[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = self.local_path(url)
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": content_type})
        raise RefusedResource(f"credential pages load nothing from the network: {url[:100]}")


def _css_escape(text: str) -> str:
    out = []
    for char in text:
        # Quotes, backslashes, controls and angle brackets as hex escapes: the value cannot end the string or rule.
        if char in "\"'\\<>&" or ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\{ord(char):x} ")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def css_string(value: object) -> Markup:
    """A value as a quoted CSS string (for `content:` in the page margins)."""
    return Markup(_css_escape(str(value)))  # noqa: S704 — escaped for CSS just above


_COUNTER = re.compile(r"\{(page|pages)\}")


def css_counter(value: object) -> Markup:
    """Catalogue text with {page}/{pages} placeholders as a CSS content value using the page counters."""
    pieces = []
    for index, piece in enumerate(_COUNTER.split(str(value))):
        if index % 2:
            pieces.append(f"counter({piece})")
        elif piece:
            pieces.append(_css_escape(piece))
    return Markup(" ".join(pieces))  # noqa: S704 — built only from escaped strings and counter names


_env = SandboxedEnvironment(
    loader=FileSystemLoader(str(TEMPLATE_DIR)),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["css_string"] = css_string
_env.filters["css_counter"] = css_counter
# Arabic runs right to left inside its own element (dir="rtl" with lang="ar" is what makes Pango shape and order
# it); the page's layout stays the same for every language pair.
_env.globals.update(tags=LANGUAGE_TAGS, rtl=RIGHT_TO_LEFT)


def _shown(value: Bilingual, order: tuple[str, str]) -> list[tuple[str, str]]:
    """(language the text is in, text) in page order, without an empty text or a repeat of the other language's."""
    pairs: list[tuple[str, str]] = []
    for language in order:
        written_in, text = value.source(language)
        if text and all(text != other for _, other in pairs):
            pairs.append((written_in, text))
    return pairs


def _day(day: date, order: tuple[str, str], dates: DateWriter) -> Bilingual:
    """A date as each of the page's two languages writes it."""
    second = second_language(order)
    texts = {language: dates(day, language) for language in (CHINESE, second)}
    return Bilingual(texts[CHINESE], texts.get("en", texts[second]), ((second, texts[second]),))


def _filled(label: Bilingual, **values: str) -> Bilingual:
    """A label with {placeholders}, filled in each of its languages."""
    return Bilingual(
        label.zh.format(**values),
        label.en.format(**values),
        tuple((code, text.format(**values)) for code, text in label.more),
    )


def _context(page: CertificatePage | TranscriptPage, order: tuple[str, str]) -> dict[str, Any]:
    """What both templates use: the page's labels, its languages and its dates."""
    return {
        "page": page,
        "order": order,
        "L": page.labels,
        "shown": partial(_shown, order=order),
        "day": partial(_day, order=order, dates=page.dates),
        "status_text": partial(status_text, labels=page.labels),
        "issued": _day(page.issued, order, page.dates),
        "qr": _qr(page.verify_url),
        "names": [page.learner_name, *(name for name in page.other_names if name != page.learner_name)],
    }


# Right-to-left isolate and its end (Unicode bidi, UAX #9): in the page margins there are no elements to carry
# dir="rtl", and without them a number after Arabic would be pulled into the Arabic run.
_RLI, _PDI = "\u2067", "\u2069"


def _both(value: Bilingual, order: tuple[str, str], separator: str = " / ") -> str:
    return separator.join(
        f"{_RLI}{text}{_PDI}" if language in RIGHT_TO_LEFT else text for language, text in _shown(value, order)
    )


def _ems(text: str) -> float:
    """Rough printed width in ems: hanzi and full-width forms are square, Latin about half as wide."""
    return sum(1.0 if unicodedata.east_asian_width(char) in "WF" else 0.55 for char in text)


def _fit(text: str, line_ems: float) -> str:
    """A size class that keeps a certificate on one page: 'long' past two lines at full size, 'longer' past four."""
    lines = _ems(text) / line_ems
    return "longer" if lines > 4 else "long" if lines > 2 else ""


def _qr(url: str) -> str:
    # Error level M survives a fold or a smudge; the code stays small enough for 30 mm.
    code = segno.make(url, error="m", micro=False)
    return str(code.svg_data_uri(scale=4, border=0, dark="#1f2a44"))


def _stylesheet(page: CertificatePage | TranscriptPage, order: tuple[str, str], running_head: str) -> str:
    labels = page.labels
    issued = _both(_day(page.issued, order, page.dates), order)
    footer = f"{_both(labels['ledger_seq'], order)} {page.ledger_seq}  ·  {_both(labels['issued'], order)} {issued}"
    return _env.get_template("print.css").render(
        footer=footer, page_number=_both(labels["page_number"], order), running_head=running_head
    )


def _files(credential_json: bytes | Mapping[str, bytes]) -> dict[str, bytes]:
    """The attachments: the credential alone, or name → bytes as given (the service adds its ledger receipt, and a
    verifier's tests build a PDF with no credential at all)."""
    if isinstance(credential_json, bytes | bytearray | memoryview):
        return {CREDENTIAL_NAME: bytes(credential_json)}
    return {name: bytes(data) for name, data in credential_json.items()}


def _signed(pdf: bytes, signer: pdf_signature.Signer | None) -> bytes:
    # Outside the render lock: signing touches neither Pango nor fontconfig.
    return pdf_signature.sign(pdf, signer) if signer is not None else pdf


def render_certificate(
    page: CertificatePage,
    credential_json: bytes | Mapping[str, bytes],
    *,
    signer: pdf_signature.Signer | None = None,
) -> bytes:
    """One A4 page. `credential_json` is the credential, or attachment name → bytes (with credential.json); with a
    signer, the PDF comes back with the bank's PAdES signature over the whole file."""
    order = check_order(page.language_order)
    template = _env.get_template("certificate.html")
    context = _context(page, order)
    context.update(
        heading=page.labels["qualification_certificate" if page.kind == "qualification" else "certificate"],
        document_title=_both(page.title, order),
        # 23 ems is a line of the title at full size within the frame, 19 one of the name.
        title_fit=_fit(page.title.get(order[0]), 23),
        name_fit=_fit(page.learner_name, 19),
        hours=_filled(page.labels["hours_value"], hours=page.hours) if page.hours else None,
    )
    css = _stylesheet(page, order, running_head="")
    with _RENDER_LOCK, _collector_paused():
        pipeline = _Pipeline(css)
        # Size classes guess from text length; the layout itself decides. Denser settings are tried only when the
        # page overflows, and text too long even for the densest one goes on a second page rather than failing.
        for density in _DENSITIES:
            document = pipeline.layout(template.render(context, density=density))
            if len(document.pages) == 1:
                break
        pdf = pipeline.write(document, _files(credential_json), page.issued)
    return _signed(pdf, signer)


def render_transcript(
    page: TranscriptPage,
    credential_json: bytes | Mapping[str, bytes],
    *,
    signer: pdf_signature.Signer | None = None,
) -> bytes:
    """As many A4 pages as the rows need; headers repeat, every page footer carries seq, date and page number."""
    order = check_order(page.language_order)
    heading = _both(page.labels["transcript"], order)
    context = _context(page, order)
    named = " ".join(context["names"])
    html = _env.get_template("transcript.html").render(context, document_title=f"{heading} — {named}")
    css = _stylesheet(page, order, running_head=f"{named}  ·  {heading}")
    return _signed(html_to_pdf(html, css, _files(credential_json), page.issued), signer)


def html_to_pdf(
    html: str, css: str = "", files: Mapping[str, bytes] | None = None, created: date | None = None
) -> bytes:
    """Any HTML through the same safe pipeline: local-only fetcher, CJK fonts, PDF/A-3b, attached files."""
    with _RENDER_LOCK, _collector_paused():
        pipeline = _Pipeline(css)
        return pipeline.write(pipeline.layout(html), files or {}, created)


_DENSITIES = ("", "compact", "tight")


def _font_config(folder: Path) -> Any:
    key: tuple[object, ...] = (folder,)
    for weight, path in sorted(fonts.subset_paths(folder).items()):
        status = path.stat()
        key += (weight, status.st_size, status.st_mtime_ns)
    config = _font_configs.get(key)
    if config is None:
        _font_configs.clear()
        config = _font_configs[key] = FontConfiguration()
    return config


class _Pipeline:
    """One document's fetcher, fonts, colour profile and stylesheets; used only under _RENDER_LOCK."""

    def __init__(self, css: str) -> None:
        folder = fonts.font_dir()
        self.fetcher = LocalOnlyFetcher((PACKAGE_DIR, folder, _SRGB_PROFILE))
        self.base_url = TEMPLATE_DIR.as_uri() + "/"
        self.font_config = _font_config(folder)
        # Like the font configuration, the colour profiles must be shared by the stylesheets and the document.
        self.color_profiles: dict[str, Any] = {}
        self.stylesheets = [
            CSS(
                string=text,
                base_url=self.base_url,
                url_fetcher=self.fetcher,
                font_config=self.font_config,
                color_profiles=self.color_profiles,
            )
            for text in (_OUTPUT_INTENT_CSS, fonts.stylesheet(folder), css)
            if text
        ]

    def layout(self, html: str) -> Any:
        document = HTML(string=html, base_url=self.base_url, url_fetcher=self.fetcher)
        return document.render(
            stylesheets=self.stylesheets,
            font_config=self.font_config,
            color_profiles=self.color_profiles,
            output_intent=_OUTPUT_INTENT,
        )

    def write(self, document: Any, files: Mapping[str, bytes], created: date | None) -> bytes:
        # Fixed dates keep the bytes reproducible: the same page and credential give the same PDF.
        moment = datetime.combine(created or date(2000, 1, 1), time())
        attachments = [
            Attachment(
                string=data,
                name=name,
                description=_DESCRIPTIONS.get(name, name),
                created=moment,
                modified=moment,
                relationship=_RELATIONSHIPS.get(name, "Supplement"),
                url_fetcher=self.fetcher,
            )
            for name, data in sorted(files.items())
        ]
        # output_intent again here: left unset, the PDF/A variant would fall back to WeasyPrint's leaking 'srgb'.
        pdf = document.write_pdf(pdf_variant=PDF_VARIANT, output_intent=_OUTPUT_INTENT, attachments=attachments)
        return bytes(pdf)
