"""Every character of a learner's name is drawn on the web pages by a font that has it.

Chromium (Debian's, as in the browser tests) lays out a name under the pages' own stylesheet; the DevTools protocol
says which platform fonts drew the element's text, and each font file's cmap (found through fontconfig, as Chromium
finds them on Linux) must hold every character of the name. A character only a box was drawn for shows up as a font
without it, or as a name drawn by no font at all.
"""

from __future__ import annotations

import html
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.fonts.test_pdf_glyphs import NAMES, ONE_FONT, file_characters
from tests.web.browser import find_chromium

SITE_STYLE = Path(__file__).resolve().parents[2] / "creditbank" / "templates" / "_site_style.html"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = find_chromium()
    if chromium is None:
        pytest.fail("Chromium is not installed: `apt-get install chromium` (or set CREDITBANK_CHROMIUM)", pytrace=False)
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=chromium, headless=True, args=args)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def page(browser: Browser) -> Iterator[Page]:
    opened = browser.new_page()
    try:
        yield opened
    finally:
        opened.close()


def characters_of(family: str) -> frozenset[int]:
    """Every code point of the font file fontconfig gives for `family`, the file Chromium takes on Linux."""
    found = subprocess.run(["fc-match", "-f", "%{file}", family], capture_output=True, text=True, check=True)
    assert found.stdout, family
    return file_characters(found.stdout)


def platform_fonts(page: Page, name: str, weight: int) -> list[dict[str, object]]:
    """The platform fonts Chromium drew the name with, in a page set in the site's own stylesheet."""
    page.set_content(
        "<!doctype html><html lang='zh-Hans'><head><meta charset='utf-8'>"
        + SITE_STYLE.read_text(encoding="utf-8")
        + f"</head><body><main><p id='name' style='font-weight: {weight}'>{html.escape(name)}</p></main></body></html>"
    )
    session = page.context.new_cdp_session(page)
    try:
        session.send("DOM.enable")
        session.send("CSS.enable")
        root = session.send("DOM.getDocument")["root"]["nodeId"]
        node = session.send("DOM.querySelector", {"nodeId": root, "selector": "#name"})["nodeId"]
        used: list[dict[str, object]] = session.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        session.detach()
    return used


@pytest.mark.parametrize("weight", [400, 700])
@pytest.mark.parametrize("label", list(NAMES))
def test_every_character_of_the_name_has_a_glyph_in_a_font_the_page_draws_it_with(
    page: Page, label: str, weight: int
) -> None:
    name = NAMES[label]
    used = platform_fonts(page, name, weight)
    assert used
    drawn = sum(int(str(font["glyphCount"])) for font in used)
    families = [str(font["familyName"]) for font in used]
    covered: set[int] = set()
    for family in families:
        covered |= characters_of(family)
    missing = [char for char in name if not char.isspace() and ord(char) not in covered]
    assert missing == [], families
    # Arabic joins and ligates, so fewer glyphs than letters; nothing should be drawn twice or left out elsewhere.
    assert drawn <= len(name)
    if label != "arabic":
        assert drawn == len(name)


@pytest.mark.parametrize("label", ONE_FONT)
def test_a_latin_or_cyrillic_name_is_set_in_one_font_on_the_page(page: Page, label: str) -> None:
    used = platform_fonts(page, NAMES[label], 400)
    assert [str(font["familyName"]) for font in used] == ["Noto Sans"]
