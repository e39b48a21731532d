"""Certificate and transcript PDFs: what they show, the fonts that show it, what they carry, what they refuse."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import segno
from cryptography.hazmat.primitives import serialization
from fontTools.pens.boundsPen import ControlBoundsPen
from fontTools.ttLib import TTFont
from pyhanko.pdf_utils.reader import PdfFileReader as HankoReader
from pypdf import PdfReader
from pypdf.generic import ContentStream

from certificates import fonts, pdf_signature
from certificates.pdf_read import PdfError, embedded_credential, embedded_file, visible_text
from certificates.pdf_render import (
    PACKAGE_DIR,
    Bilingual,
    CertificatePage,
    LocalOnlyFetcher,
    RefusedResource,
    TranscriptPage,
    TranscriptRow,
    html_to_pdf,
    render_certificate,
    render_transcript,
)

BANK = Bilingual("上海终身学习学分银行", "Shanghai Lifelong Learning Credit Bank")
CREDENTIAL_ID = "urn:uuid:3f1c9a52-8e4b-4c1e-9a6f-0d2b7c5e8a11"
TRANSCRIPT_ID = "urn:uuid:9d0e4c2a-1b7f-4e55-8c3d-6a2f0e9b7c14"
RARE_NAME = "王𠮷䶮堃"  # none of the last three is in GB2312
LATIN_NAME = "Zoë Ñúñez-Dvořák"
HOSTILE_NAME = '<img src="file:///etc/passwd">{{ 7*7 }}'
# Supplementary private use: no installed font draws them (fc-list finds none).
MISSING_EVERYWHERE = "\U000f0000\U0010fffd"

CERTIFICATE = CertificatePage(
    title=Bilingual("程序设计基础", "Foundations of Programming"),
    learner_name="王小明",
    institution=Bilingual("上海开放大学", "Shanghai Open University"),
    bank=BANK,
    credits="3",
    level=Bilingual("第2级", "Level 2"),
    framework=Bilingual("上海市终身教育资历框架", "Shanghai Lifelong Education Qualifications Framework"),
    issued=date(2026, 1, 10),
    ledger_seq=1234,
    credential_id=CREDENTIAL_ID,
    verify_url=f"https://bank.example.cn/v/{CREDENTIAL_ID}",
)
CREDENTIAL = json.dumps(
    {"id": CREDENTIAL_ID, "type": ["VerifiableCredential", "OpenBadgeCredential"], "name": "程序设计基础"},
    ensure_ascii=False,
    indent=2,
).encode()

UNTRANSLATED = Bilingual("SILE", "SILE")  # an institution known by one name in both languages
ROWS = [
    TranscriptRow(
        title=Bilingual(f"数据结构与算法（{n}）", f"Data Structures and Algorithms {n}"),
        institution=UNTRANSLATED if n == 5 else Bilingual("上海开放大学", "Shanghai Open University"),
        completed=date(2025, 1 + n % 12, 1 + n % 28) if n % 9 else None,
        credits=str(1 + n % 4),
        level=Bilingual(f"第{1 + n % 4}级", f"Level {1 + n % 4}"),
        category=Bilingual("学历教育", "Academic"),
        seq=2000 + n,
        status="revoked" if n == 17 else "corrected" if n == 23 else "recorded",
    )
    for n in range(100)
]
TRANSCRIPT = TranscriptPage(
    learner_name=LATIN_NAME,
    bank=BANK,
    rows=ROWS,
    credits_by_level=[(Bilingual(f"第{level}级", f"Level {level}"), str(level * 25)) for level in range(1, 5)],
    total_credits="250",
    qualifications=[Bilingual("计算机应用技术专科", "Associate Degree in Computer Applications")],
    issued=date(2026, 2, 3),
    ledger_seq=5678,
    credential_id=TRANSCRIPT_ID,
    verify_url=f"https://bank.example.cn/v/{TRANSCRIPT_ID}",
)


# —— helpers ——


def poppler(command: list[str], pdf: bytes, tmp_path: Path) -> str:
    """Run a poppler tool on the PDF; "{}" in the command stands for the file."""
    path = tmp_path / f"{command[0]}-{len(list(tmp_path.iterdir()))}.pdf"
    path.write_bytes(pdf)
    arguments = [str(path) if part == "{}" else part for part in command]
    return subprocess.run(arguments, capture_output=True, check=True, text=True).stdout


def pdftotext(pdf: bytes, tmp_path: Path, *options: str) -> str:
    return poppler(["pdftotext", *options, "{}", "-"], pdf, tmp_path)


def page_count(pdf: bytes, tmp_path: Path) -> int:
    info = poppler(["pdfinfo", "{}"], pdf, tmp_path)
    match = re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE)
    assert match, info
    return int(match.group(1))


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _cmap_pairs(data: bytes, section: str) -> list[tuple[int, str]]:
    pairs = []
    for block in re.findall(rf"begin{section}(.*?)end{section}", data.decode("latin-1"), re.DOTALL):
        found = re.findall(r"<([0-9a-fA-F]+)>\s*(<[0-9a-fA-F]*>|\d+)", block)
        pairs += [(int(code, 16), target) for code, target in found]
    return pairs


class _EmbeddedFont:
    def __init__(self, font: Any) -> None:
        self.name = str(font["/BaseFont"])
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        program = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
        assert program is not None, f"{self.name} is not embedded"
        self.font = TTFont(io.BytesIO(program.get_object().get_data()))
        self.order = self.font.getGlyphOrder()
        self.glyphs = self.font.getGlyphSet()
        self.text = {
            code: bytes.fromhex(target[1:-1]).decode("utf-16-be")
            for code, target in _cmap_pairs(font["/ToUnicode"].get_object().get_data(), "bfchar")
        }
        encoding = font["/Encoding"]
        # WeasyPrint writes Identity-H unless some text had no glyph; then a CMap sends those codes to CID 0.
        self.cids = None
        if encoding != "/Identity-H":
            self.cids = dict(_cmap_pairs(encoding.get_object().get_data(), "cidchar"))

    def check(self, code: int) -> tuple[str, str | None]:
        """The text a code shows, and what is wrong with its glyph (None when it draws a real one)."""
        text = self.text.get(code, "")
        cid = code if self.cids is None else int(self.cids.get(code, 0))
        if cid == 0 or cid >= len(self.order):
            return text, "no glyph (.notdef)"
        pen = ControlBoundsPen(self.glyphs)
        self.glyphs[self.order[cid]].draw(pen)
        if pen.bounds is None and not text.isspace():
            return text, "empty glyph"
        return text, None


def glyph_report(pdf: bytes) -> tuple[set[str], list[tuple[int, str, str, str]]]:
    """Every character the pages draw with a real glyph of an embedded font, and every one drawn without."""
    reader = PdfReader(io.BytesIO(pdf))
    drawn: set[str] = set()
    problems: list[tuple[int, str, str, str]] = []
    loaded: dict[int, _EmbeddedFont] = {}
    for number, page in enumerate(reader.pages, 1):
        font_resources = page["/Resources"]["/Font"]
        current = None
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"Tf":
                reference = font_resources.raw_get(operands[0])
                if reference.idnum not in loaded:
                    loaded[reference.idnum] = _EmbeddedFont(reference.get_object())
                current = loaded[reference.idnum]
            elif operator in (b"Tj", b"TJ"):
                assert current is not None
                for item in operands[0] if operator == b"TJ" else [operands[0]]:
                    if not isinstance(item, bytes | str):
                        continue
                    raw = item.original_bytes if isinstance(item, str) else bytes(item)
                    for offset in range(0, len(raw), 2):
                        text, problem = current.check(int.from_bytes(raw[offset : offset + 2], "big"))
                        if problem:
                            problems.append((number, text, current.name, problem))
                        else:
                            drawn.update(text)
    return drawn, problems


def xobject_kinds(pdf: bytes) -> list[str]:
    """The /Subtype of every XObject the pages use (images, and forms such as the drawn QR code)."""
    kinds = []
    pending = [page.get("/Resources") for page in PdfReader(io.BytesIO(pdf)).pages]
    while pending:
        resources = pending.pop()
        resources = resources.get_object() if resources is not None else {}
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            kinds.append(str(xobject["/Subtype"]))
            pending.append(xobject.get("/Resources"))
    return kinds


def embedded_fonts(pdf: bytes, tmp_path: Path) -> list[tuple[str, bool]]:
    listing = poppler(["pdffonts", "{}"], pdf, tmp_path).splitlines()[2:]
    fonts_found = []
    for line in listing:
        match = re.match(r"(\S+)\s.*\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", line)
        assert match, line
        fonts_found.append((match.group(1), match.group(2) == "yes"))
    return fonts_found


# —— documents, each rendered once ——


@pytest.fixture(scope="module")
def prepared() -> list[Path]:
    return fonts.prepare(fonts.font_dir())


@pytest.fixture(scope="module")
def certificate(prepared: list[Path]) -> bytes:
    return render_certificate(CERTIFICATE, CREDENTIAL)


@pytest.fixture(scope="module")
def rare_certificate(prepared: list[Path]) -> bytes:
    return render_certificate(replace(CERTIFICATE, learner_name=RARE_NAME, language_order=("en", "zh")), CREDENTIAL)


@pytest.fixture(scope="module")
def transcript(prepared: list[Path]) -> bytes:
    return render_transcript(TRANSCRIPT, CREDENTIAL)


@pytest.fixture(scope="module")
def hostile_certificate(prepared: list[Path]) -> bytes:
    page = replace(CERTIFICATE, learner_name=HOSTILE_NAME, title=Bilingual("</style><script>x</script>", "{% raw %}"))
    return render_certificate(page, {"credential.json": CREDENTIAL, "receipt.json": b'{"seq": 1234}'})


@pytest.fixture(scope="module")
def signer() -> pdf_signature.Signer:
    now = datetime.now(UTC)
    name = pdf_signature.BankName(BANK.zh, BANK.en, "https://bank.example.cn")
    root_key, key = pdf_signature.new_key(), pdf_signature.new_key()
    root = pdf_signature.root_certificate(root_key, name, now - timedelta(days=1), now + timedelta(days=3650))
    certificate = pdf_signature.signing_certificate(
        root_key, root, key.public_key(), name, now - timedelta(days=1), now + timedelta(days=365)
    )
    return pdf_signature.Signer(key, certificate, (root,), name.both)


@pytest.fixture(scope="module")
def signed_certificate(certificate: bytes, signer: pdf_signature.Signer) -> bytes:
    return render_certificate(CERTIFICATE, CREDENTIAL, signer=signer)


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pdf")


# —— what the pages show ——


def test_certificate_shows_the_learner_the_achievement_and_where_it_is_recorded(certificate: bytes, tmp: Path) -> None:
    text = pdftotext(certificate, tmp, "-layout")
    assert page_count(certificate, tmp) == 1
    for expected in ("王小明", "程序设计基础", "Foundations of Programming", "上海终身学习学分银行", "第2级 / Level 2"):
        assert expected in text
    assert re.search(r"学分 Credits\s+3\b", text)
    assert "1234" in text
    assert CREDENTIAL_ID in squeeze(text)
    assert "第 1 页 / Page 1 of 1" in text


def test_language_order_puts_the_chosen_language_first(certificate: bytes, rare_certificate: bytes) -> None:
    zh_first, en_first = visible_text(certificate), visible_text(rare_certificate)
    assert zh_first.index("程序设计基础") < zh_first.index("Foundations of Programming")
    assert en_first.index("Foundations of Programming") < en_first.index("程序设计基础")
    assert "Page 1 of 1 / 第 1 页" in en_first


def test_transcript_flows_over_pages_with_headers_and_footers_on_each(transcript: bytes, tmp: Path) -> None:
    pages = page_count(transcript, tmp)
    assert pages >= 5
    text = pdftotext(transcript, tmp, "-layout")
    page_texts = text.split("\f")[:pages]
    assert len(page_texts) == pages
    for number, page_text in enumerate(page_texts, 1):
        assert f"第 {number} 页 / Page {number} of {pages}" in page_text
        assert "账本序号 / Ledger seq 5678" in page_text
        assert "2026年2月3日 / 3 February 2026" in page_text  # the issue date as each language writes it
        assert "Achievement" in page_text  # the repeated table header
    flat = squeeze(text)
    for row in ROWS:
        assert squeeze(row.title.en) in flat
        assert str(row.seq) in flat
    summary = ("各级别学分", "Credits by level", "Level 4", "学分合计", "250", "已撤销", "Revoked")
    for expected in (*summary, "计算机应用技术专科", "Associate Degree in Computer Applications"):
        assert squeeze(expected) in flat
    assert TRANSCRIPT_ID in flat
    assert flat.count(UNTRANSLATED.en) == 1  # a value the same in both languages prints once


def test_names_outside_gb2312_and_accented_latin_come_back_exactly(
    prepared: list[Path], rare_certificate: bytes, transcript: bytes, tmp: Path
) -> None:
    subset_cmap = TTFont(prepared[0]).getBestCmap()
    assert [char for char in RARE_NAME[1:] if ord(char) in subset_cmap] == []  # so they come from the full font
    assert RARE_NAME in pdftotext(rare_certificate, tmp).splitlines()
    assert LATIN_NAME in pdftotext(transcript, tmp)
    assert RARE_NAME in visible_text(rare_certificate)


@pytest.mark.parametrize("document", ["certificate", "rare_certificate", "transcript", "hostile_certificate"])
def test_every_visible_character_is_drawn_with_a_real_glyph(document: str, request: pytest.FixtureRequest) -> None:
    pdf: bytes = request.getfixturevalue(document)
    tmp: Path = request.getfixturevalue("tmp")
    drawn, problems = glyph_report(pdf)
    assert problems == []
    shown = {char for char in pdftotext(pdf, tmp) if not char.isspace()}
    assert shown - drawn == set()


def test_the_glyph_check_catches_a_character_no_font_has(prepared: list[Path]) -> None:
    pdf = render_certificate(replace(CERTIFICATE, learner_name=f"王{MISSING_EVERYWHERE}明"), CREDENTIAL)
    _, problems = glyph_report(pdf)
    assert {text for _, text, _, _ in problems} == set(MISSING_EVERYWHERE)


def test_fonts_are_embedded_and_common_text_never_loads_the_full_font(
    certificate: bytes, rare_certificate: bytes, tmp: Path
) -> None:
    common = embedded_fonts(certificate, tmp)
    assert common
    assert all(embedded for _, embedded in common)
    # The subset alone sets a GB2312 page: the 65,535-glyph system font is never touched.
    assert all("Creditbank-Sans-SC" in name for name, _ in common)
    rare = embedded_fonts(rare_certificate, tmp)
    assert all(embedded for _, embedded in rare)
    assert any("Noto-Sans-CJK-SC" in name for name, _ in rare)


def test_without_prepared_subsets_the_system_font_still_sets_the_page(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CREDITBANK_FONT_DIR", str(tmp_path / "no-fonts-here"))
    pdf = render_certificate(replace(CERTIFICATE, learner_name=RARE_NAME), CREDENTIAL)
    names = [name for name, embedded in embedded_fonts(pdf, tmp_path) if embedded]
    assert names
    assert not any("Creditbank" in name for name in names)
    drawn, problems = glyph_report(pdf)
    assert problems == []
    assert set(RARE_NAME + "程序设计基础") <= drawn
    assert RARE_NAME in visible_text(pdf)


def test_long_names_and_titles_still_fit_one_page(prepared: list[Path], tmp: Path) -> None:
    page = replace(
        CERTIFICATE,
        learner_name="Maximilian Alexander Ñúñez-Dvořák von Habsburg-Lothringen",
        title=Bilingual(
            "高级程序设计与软件工程实践：面向对象方法、设计模式与测试驱动开发" * 2,
            "Advanced Programming and Software Engineering Practice: Object-Oriented Methods and Design Patterns " * 2,
        ),
        language_order=("en", "zh"),
    )
    pdf = render_certificate(page, CREDENTIAL)
    assert page_count(pdf, tmp) == 1
    # pdftotext joins a word broken after a hyphen ("Object-" / "Oriented") without it.
    assert squeeze(page.title.en).replace("-", "") in squeeze(pdftotext(pdf, tmp)).replace("-", "")


def test_rendering_is_reproducible(certificate: bytes) -> None:
    assert render_certificate(CERTIFICATE, CREDENTIAL) == certificate


# —— what the PDF carries ——


def test_the_credential_comes_back_byte_for_byte(certificate: bytes, transcript: bytes) -> None:
    assert embedded_credential(certificate) == CREDENTIAL
    assert embedded_credential(transcript) == CREDENTIAL
    assert embedded_file(certificate, "receipt.json") is None


def test_other_attachments_travel_beside_the_credential(hostile_certificate: bytes) -> None:
    assert embedded_credential(hostile_certificate) == CREDENTIAL
    assert embedded_file(hostile_certificate, "receipt.json") == b'{"seq": 1234}'


@pytest.mark.parametrize("document", ["certificate", "signed_certificate"])
def test_the_pdf_declares_pdf_a_3b_and_marks_the_credential_as_its_source(
    document: str, request: pytest.FixtureRequest
) -> None:
    reader = PdfReader(io.BytesIO(request.getfixturevalue(document)))
    catalog = reader.trailer["/Root"]
    xmp = ET.fromstring(catalog["/Metadata"].get_object().get_data())
    pdfaid = "{http://www.aiim.org/pdfa/ns/id/}"
    declared = {
        (element.get(f"{pdfaid}part"), element.get(f"{pdfaid}conformance"))
        for element in xmp.iter()
        if element.get(f"{pdfaid}part")
    }
    assert declared == {("3", "B")}
    assert catalog["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
    filespec = catalog["/AF"][0].get_object()
    assert (filespec["/UF"], filespec["/AFRelationship"]) == ("credential.json", "/Source")
    assert filespec["/EF"]["/F"].get_object()["/Subtype"] in ("/application/json", "/application#2fjson")
    assert reader.metadata is not None
    assert reader.metadata.title == "程序设计基础 / Foundations of Programming"


def test_signing_appends_one_revision_that_leaves_the_pdf_a_parts_as_they_were(
    certificate: bytes, signed_certificate: bytes, signer: pdf_signature.Signer
) -> None:
    # The rendered file is reproducible, so the signed one starts with exactly its bytes.
    assert signed_certificate.startswith(certificate)
    assert signed_certificate[:9] == b"%PDF-1.7\n"
    before, after = PdfReader(io.BytesIO(certificate)), PdfReader(io.BytesIO(signed_certificate))
    catalog = after.trailer["/Root"]
    # PDF/A-3 is PDF 1.7: no /Version raising it, and only the PAdES extension, which builds on 1.7.
    assert "/Version" not in catalog
    extensions = catalog["/Extensions"]
    assert list(extensions) == ["/ESIC"]
    assert extensions["/ESIC"]["/BaseVersion"] == "/1.7"
    # The metadata WeasyPrint wrote stays, byte for byte: XMP and the document information agree as PDF/A asks.
    revisions = HankoReader(io.BytesIO(signed_certificate)).xrefs
    assert revisions.total_revisions == 2
    rewritten = {ref.idnum for ref in revisions.explicit_refs_in_revision(1)}
    for name, old, new in [
        ("/Metadata", before.trailer["/Root"].raw_get("/Metadata"), catalog.raw_get("/Metadata")),
        ("/Info", before.trailer.raw_get("/Info"), after.trailer.raw_get("/Info")),
    ]:
        assert new.idnum == old.idnum, name
        assert new.idnum not in rewritten, f"{name} was rewritten"
    assert after.metadata == before.metadata
    # Only DocMDP among the permissions (PDF/A-3 6.1.12), no changes allowed.
    assert list(catalog["/Perms"]) == ["/DocMDP"]
    assert catalog["/Perms"]["/DocMDP"]["/Reference"][0]["/TransformParams"]["/P"] == 1
    assert catalog["/AcroForm"]["/SigFlags"] == 3
    # The signature's widget is printable and has no area, so PDF/A needs no appearance stream for it.
    (widget,) = [
        annotation.get_object()
        for annotation in after.pages[0]["/Annots"]
        if annotation.get_object().get("/FT") == "/Sig"
    ]
    flags = int(widget["/F"])
    assert flags & 4, "Print"
    assert not flags & (1 | 2 | 32), "Invisible, Hidden, NoView"
    assert [float(value) for value in widget["/Rect"]] == [0, 0, 0, 0]
    assert widget["/V"]["/SubFilter"] == "/ETSI.CAdES.detached"
    # The attachments and the text are the same ones.
    assert embedded_credential(signed_certificate) == CREDENTIAL
    assert visible_text(signed_certificate) == visible_text(certificate)
    root = signer.chain[0].public_bytes(serialization.Encoding.DER)
    # Both names make more than the 64 bytes X.509 allows a common name, so the certificate names the English one.
    assert pdf_signature.verify(signed_certificate, [root]).signer == BANK.en


def test_prepare_is_a_no_op_the_second_time_from_python_and_the_command_line(prepared: list[Path]) -> None:
    before = [path.stat().st_mtime_ns for path in prepared]
    assert fonts.prepare(fonts.font_dir()) == prepared
    assert [path.stat().st_mtime_ns for path in prepared] == before
    done = subprocess.run(
        [sys.executable, "-m", "certificates.fonts", "prepare", str(fonts.font_dir())],
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE_DIR.parent,
    )
    assert done.stdout.split() == [str(path) for path in prepared]
    assert [path.stat().st_mtime_ns for path in prepared] == before
    assert fonts.main(["unprepare"]) == 2


def test_the_subset_holds_gb2312_and_is_named_apart_from_the_system_font(prepared: list[Path]) -> None:
    table = fonts.gb2312()
    assert len(table) == 7445  # 6,763 hanzi and 682 other characters
    assert "王" in map(chr, table)
    assert "堃" not in map(chr, table)
    for path in prepared:
        font = TTFont(path)
        assert table <= set(font.getBestCmap())
        assert font["name"].getBestFamilyName() == fonts.SUBSET_FAMILY
        assert "glyf" in font
        assert "CFF " not in font


# —— what a PDF reader refuses ——


@pytest.fixture(scope="module")
def unattached(prepared: list[Path]) -> bytes:
    return html_to_pdf("<p>学分银行 credit bank</p>")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda pdf, plain: b"", "not a PDF"),
        (lambda pdf, plain: os.urandom(4096), "not a PDF"),
        (lambda pdf, plain: pdf[: len(pdf) // 2], "damaged or truncated"),
        (lambda pdf, plain: b"%PDF-1.7\n" + os.urandom(4096) + b"\n%%EOF\n", "damaged or truncated"),
        (lambda pdf, plain: plain, "no embedded credential"),
    ],
    ids=["empty", "random", "truncated", "garbled", "no-attachment"],
)
def test_pdf_errors_say_what_is_wrong(make: Any, message: str, certificate: bytes, unattached: bytes) -> None:
    with pytest.raises(PdfError, match=message):
        embedded_credential(make(certificate, unattached))


def test_an_oversized_attachment_is_not_inflated(prepared: list[Path]) -> None:
    bomb = html_to_pdf("<p>x</p>", files={"credential.json": b"{" + b" " * (6 * 1024 * 1024) + b"}"})
    assert len(bomb) < 1024 * 1024  # it compresses: only its inflated size is over the limit
    with pytest.raises(PdfError, match="larger than 5 MB"):
        embedded_credential(bomb)


# —— what a page may not do ——


def test_markup_and_template_syntax_in_a_name_print_as_text(hostile_certificate: bytes, tmp: Path) -> None:
    text = squeeze(pdftotext(hostile_certificate, tmp))
    assert squeeze(HOSTILE_NAME) in text
    assert squeeze("</style><script>x</script>") in text
    assert "{%raw%}" in text
    assert "49" not in text.replace(CREDENTIAL_ID, "")
    assert "/Image" not in xobject_kinds(hostile_certificate)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise AssertionError("a credential page tried to use the network")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/x.png",
        "https://example.com/x.png",
        "ftp://example.com/x.png",
        "file:///etc/passwd",
        "file://example.com/etc/passwd",
        f"{PACKAGE_DIR.as_uri()}/../pyproject.toml",
        f"{PACKAGE_DIR.as_uri()}/%2e%2e/pyproject.toml",
        "gopher://example.com/",
    ],
)
def test_the_fetcher_refuses_everything_outside_its_folders(url: str, no_network: list[object]) -> None:
    fetcher = LocalOnlyFetcher((PACKAGE_DIR, fonts.font_dir()))
    with pytest.raises(RefusedResource):
        fetcher(url)
    assert no_network == []


def test_the_fetcher_does_not_follow_a_link_out_of_its_folder(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "escape").symlink_to("/etc/passwd")
    with pytest.raises(RefusedResource):
        LocalOnlyFetcher((root,))((root / "escape").as_uri())


def test_the_fetcher_serves_data_urls_and_the_package_files(no_network: list[object], prepared: list[Path]) -> None:
    fetcher = LocalOnlyFetcher((PACKAGE_DIR, fonts.font_dir()))
    assert fetcher("data:text/plain;base64,5a2m5YiG").read() == "学分".encode()
    stylesheet = fetcher((PACKAGE_DIR / "templates" / "print.css").as_uri())
    assert b"@page" in stylesheet.read()
    assert fetcher(prepared[0].as_uri()).read()[:4] == b"\x00\x01\x00\x00"


def test_a_page_naming_outside_resources_renders_without_them(
    no_network: list[object], caplog: pytest.LogCaptureFixture, prepared: list[Path]
) -> None:
    allowed = segno.make("学分").png_data_uri()
    hostile = (
        '<link rel="stylesheet" href="http://example.com/x.css">'
        '<p>学分 <img src="file:///etc/passwd"> <img src="http://example.com/x.png"></p>'
        '<div style="background: url(https://example.com/y.png)">x</div>'
        f'<p><img src="{allowed}"></p>'
    )
    with caplog.at_level(logging.ERROR, logger="weasyprint"):
        pdf = html_to_pdf(hostile, files={"credential.json": b"{}"})
    assert no_network == []
    assert embedded_credential(pdf) == b"{}"
    assert xobject_kinds(pdf) == ["/Image"]  # the data: image only
    refused = " ".join(record.getMessage() for record in caplog.records)
    for url in ("file:///etc/passwd", "http://example.com/x.png", "https://example.com/y.png"):
        assert url in refused
    assert "root:" not in visible_text(pdf)
