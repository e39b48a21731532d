"""Printed activation (and password reset) letters: one A4 page per learner, in Chinese and English, in type large
enough to read without glasses, with the code, the address and the three steps to an account. A registrar of a
senior college prints them after an import and hands them out in class, to learners who have no e-mail to receive a
code, and again for one who has forgotten the password.

The letters go through the certificates' PDF pipeline (the bundled CJK fonts, a fetcher that opens nothing outside
the package, PDF/A-3b), and names reach the page only through a sandboxed, autoescaping Jinja template, so a name
that looks like markup prints as itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from certificates.pdf_pages import date_text
from certificates.pdf_render import html_to_pdf

_TEMPLATES = Path(__file__).resolve().parent / "templates" / "letters"
_env = SandboxedEnvironment(
    loader=FileSystemLoader(str(_TEMPLATES)),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
MAX_LETTERS = 10_000  # one import's rows at most


@dataclass(frozen=True)
class Letter:
    name_zh: str | None
    name_latin: str | None
    code: str
    login_url: str
    institution_zh: str
    institution_en: str
    expires: date


def code_groups(code: str) -> list[str]:
    """The code as it is read aloud and typed: its own groups (XXXX-XXXX-XXXX), or groups of four."""
    parts = [part for part in code.replace(" ", "-").split("-") if part]
    if len(parts) > 1:
        return parts
    return [code[index : index + 4] for index in range(0, len(code), 4)]


def _view(letter: Letter) -> dict[str, object]:
    names = [name for name in (letter.name_zh, letter.name_latin) if name]
    expires = date_text(letter.expires)
    return {
        "names": names,
        "groups": code_groups(letter.code),
        "code": letter.code,
        "url": letter.login_url,
        "institution_zh": letter.institution_zh or letter.institution_en,
        "institution_en": letter.institution_en or letter.institution_zh,
        "expires_zh": expires.zh,
        "expires_en": expires.en,
    }


def render_letters(letters: Sequence[Letter], *, reset: bool = False) -> bytes:
    """The letters as one PDF, a page each, in the order given: activation letters, or (``reset``) letters that
    give a learner who already has an account a code for a new password, pointing at the portal's reset page."""
    if not letters:
        raise ValueError("no letters to print")
    if len(letters) > MAX_LETTERS:
        raise ValueError(f"at most {MAX_LETTERS} letters in one PDF")
    template = _env.get_template("reset.html" if reset else "activation.html")
    html = template.render(letters=[_view(letter) for letter in letters])
    return html_to_pdf(html)
