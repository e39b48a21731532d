"""Activation letters: one A4 page per learner, both languages, the code in large spaced groups, and names printed as
text whatever they look like."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from creditbank.letters import Letter, code_groups, render_letters

URL = "https://bank.example/activate"


def _letter(code: str, name_zh: str | None, name_latin: str | None) -> Letter:
    return Letter(
        name_zh=name_zh,
        name_latin=name_latin,
        code=code,
        login_url=URL,
        institution_zh="北京老年大学",
        institution_en="Beijing Senior College",
        expires=date(2026, 2, 9),
    )


def _pages(pdf: bytes) -> list[str]:
    # Spaces and line breaks vary with the extractor; the words themselves must be there.
    return ["".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def test_three_letters_are_three_a4_pages_with_their_own_code_in_both_languages() -> None:
    letters = [
        _letter("ABCD-EFGH-JKLM", "李秀英", "Li Xiuying"),
        _letter("NPQR-STUV-WXYZ", "王堃", None),
        _letter("2345-6789-ABCD", None, "<b>Ann</b> {{ 7*7 }}"),
    ]
    pdf = render_letters(letters)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 3
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width), round(height)) == (595, 842)  # A4 in points
    pages = _pages(pdf)
    for text, letter in zip(pages, letters, strict=True):
        assert letter.code.replace("-", "") in text
        for other in letters:
            if other is not letter:
                assert other.code.replace("-", "") not in text
        assert "激活码" in text
        assert "activationcode" in text
        assert "北京老年大学" in text
        assert "BeijingSeniorCollege" in text
        assert URL in text
        assert "2026年2月9日" in text
        assert "9February2026" in text
        assert "出生日期" in text
        assert "birthdate" in text
        assert "password" in text
        assert "设置密码" in text
    assert "李秀英" in pages[0]
    assert "LiXiuying" in pages[0]
    assert "王堃" in pages[1]  # outside the GB2312 subset: the full CJK font supplies it
    assert "<b>Ann</b>{{7*7}}" in pages[2]


# pdftotext's word boxes span the font's ascent and descent, 1.448 em for Noto Sans CJK (1.160 + 0.288).
_BOX_PER_POINT = 1.448
_WORD = re.compile(r'<word xMin="[0-9.]+" yMin="([0-9.]+)" xMax="[0-9.]+" yMax="([0-9.]+)">([^<]*)</word>')


def test_the_code_is_large_and_spaced_in_groups_and_nothing_is_small(tmp_path: Path) -> None:
    assert code_groups("ABCD-EFGH-JKLM") == ["ABCD", "EFGH", "JKLM"]
    assert code_groups("ABCDEFGHJKLM") == ["ABCD", "EFGH", "JKLM"]
    source = tmp_path / "letter.pdf"
    source.write_bytes(render_letters([_letter("ABCD-EFGH-JKLM", "李秀英", None)]))
    boxes = subprocess.run(["pdftotext", "-bbox", str(source), "-"], capture_output=True, check=True, text=True)
    sizes = [(text, (float(bottom) - float(top)) / _BOX_PER_POINT) for top, bottom, text in _WORD.findall(boxes.stdout)]
    code = [size for text, size in sizes if text in ("ABCD", "EFGH", "JKLM")]
    assert len(code) == 3  # three separate words: the groups stand apart
    assert min(code) >= 28
    assert len(sizes) > 60
    assert min(size for _, size in sizes) >= 15.9


def test_no_letters_is_an_error_not_an_empty_pdf() -> None:
    with pytest.raises(ValueError, match="no letters"):
        render_letters([])
