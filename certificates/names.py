"""How a verifier's typing of a name and a birth date is compared with a credential's hashed identity.

The identity hash covers the name as the institution submitted it (folded by `credentials.identity_text`), and a
hash cannot be normalized after the fact. So the verifier's input is turned into the few spellings that could have
produced it — simplified and traditional characters, Chinese without spaces, a Latin name in either order — and
each is tried. The list is short and bounded: a verifier gets no more guesses per attempt than a handful.

Simplified and traditional conversion is OpenCC's (its bundled dictionaries, offline). Converting traditional to
simplified is reliable; the other way is one-to-many (钟 is 鐘 or 鍾, 于 stays 于 as a surname but becomes 於 as a
word), so a credential that holds a traditional name may not match a simplified input whose characters convert
ambiguously. That is the one direction this cannot promise.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import cache

import opencc

MAX_CANDIDATES = 12
# Middle dots separate the parts of Uyghur, Tibetan and transliterated names; keyboards offer several.
MIDDLE_DOTS = str.maketrans(dict.fromkeys("\u30fb\u2022\u2027\u22c5\u0387\u16eb\u2219\uff65", "\u00b7"))
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
# After NFKC full-width digits and the ideographic space are ordinary ones, so only these two shapes remain.
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_CHINESE_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
# Regional traditional forms: OpenCC's standard, Taiwan's and Hong Kong's glyph choices differ for some characters.
_TRADITIONAL = ("s2t", "s2tw", "s2hk")


class BirthDateError(ValueError):
    """The birth date is not written in a form the verifier accepts."""


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def _convert(config: str, text: str) -> str:
    return str(_converter(config).convert(text))


def _normalized(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).translate(MIDDLE_DOTS)
    return " ".join(text.split())


def _chinese_forms(name: str) -> list[str]:
    # A Chinese name is written without spaces; "陈 秀英" is someone spacing the surname off.
    compact = name if _LATIN.search(name) else name.replace(" ", "")
    simplified = _convert("t2s", compact)
    return [compact, simplified, *(_convert(config, simplified) for config in _TRADITIONAL), name]


def _latin_forms(name: str) -> list[str]:
    if "," in name:
        # "Chen, Xiuying": the family name before the comma.
        family, _, given = name.partition(",")
        parts = [*family.split(), *given.split()]
    else:
        parts = name.split()
    if len(parts) < 2:
        return [" ".join(parts)]
    return [
        " ".join(parts),
        " ".join(reversed(parts)),
        " ".join(parts[-1:] + parts[:-1]),  # family name moved from the end to the front
        " ".join(parts[1:] + parts[:1]),  # and from the front to the end
    ]


def name_candidates(name: str) -> list[str]:
    """The spellings of ``name`` to try against a credential's identity hash, the name as given first."""
    base = _normalized(name)
    if not base:
        return []
    # The name as typed (only width and spacing folded, as the hash folds them) comes first, its dots unified next.
    forms = [" ".join(unicodedata.normalize("NFKC", name).split()), base]
    forms += _chinese_forms(base) if _HAN.search(base) else _latin_forms(base)
    unique = list(dict.fromkeys(form for form in forms if form))
    return unique[:MAX_CANDIDATES]


def parse_birth_date(text: str) -> date:
    """A birth date written ``1952-10-03`` or ``1952年10月3日`` (full-width digits and spaces allowed)."""
    compact = "".join(unicodedata.normalize("NFKC", text).split())
    found = _ISO_DATE.fullmatch(compact) or _CHINESE_DATE.fullmatch(compact)
    if found is None:
        raise BirthDateError(f"write the birth date as 1952-10-03 or 1952年10月3日, not {text.strip()!r}")
    year, month, day = (int(part) for part in found.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise BirthDateError(
            f"{text.strip()!r} is not a date that exists (written as 1952-10-03 or 1952年10月3日)"
        ) from None
