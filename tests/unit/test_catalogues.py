"""The public pages' catalogues: complete in all six languages, consistent with each other and with the glossary.

A missing word shows as its key on a page; these tests find it before a visitor does.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from creditbank.languages import catalogues, i18n, words

ROOT = catalogues.ROOT
REPO = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")
# Where the public pages ask for words: t("key"), plural("key", …), translate("key"), text("key", …) and the keys the
# views hand to flash() or to an error page. Keys built at run time ("status_" ~ state) are the pages' test's to check.
ASKED = re.compile(
    r"""\b(?:t|plural|translate|i18n\.text|i18n\.translate|i18n\.plural)\(\s*["']([a-z][a-z0-9_]*)["']\s*[,)]"""
)
SCRIPTS = {
    "zh": re.compile(r"[\u4e00-\u9fff]"),
    "ru": re.compile(r"[\u0400-\u04ff]"),
    "ar": re.compile(r"[\u0600-\u06ff]"),
}


def _entries(language: str) -> dict[str, object]:
    return {
        message.id if isinstance(message.id, str) else message.id[0]: message
        for message in catalogues.read(language)
        if message.id
    }


def _key(message: object) -> str:
    found = message.id  # type: ignore[attr-defined]
    return found if isinstance(found, str) else found[0]


def _texts(message: object) -> list[str]:
    value = message.string  # type: ignore[attr-defined]
    return list(value) if isinstance(value, tuple) else [value]


ENGLISH = _entries("en")


def test_every_language_has_its_own_folder_and_the_same_areas() -> None:
    areas = {path.name for path in catalogues.files("en")}
    assert {"portal.po", "verify.po", "recognition.po", "consent.po"} <= areas
    for language in i18n.LANGUAGES:
        assert {path.name for path in catalogues.files(language)} == areas, language


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_no_catalogue_lacks_a_message(language: str) -> None:
    found = _entries(language)
    missing = sorted(set(ENGLISH) - set(found))
    extra = sorted(set(found) - set(ENGLISH))
    empty = sorted(key for key, message in found.items() if not all(text.strip() for text in _texts(message)))
    fuzzy = sorted(key for key, message in found.items() if message.fuzzy)  # type: ignore[attr-defined]
    assert (missing, extra, empty, fuzzy) == ([], [], [], []), language


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_placeholders_are_the_same_in_every_language(language: str) -> None:
    wrong = []
    for key, message in _entries(language).items():
        wanted = (
            {name for text in _texts(ENGLISH[key]) for name in PLACEHOLDER.findall(text)} if key in ENGLISH else set()
        )
        for text in _texts(message):
            if text and set(PLACEHOLDER.findall(text)) - wanted:
                wrong.append((key, text))
            if text and "{" in text:
                # Each one must be a field str.format can fill: a stray brace would end the page in an error.
                try:
                    text.format(**{"n": 1, **dict.fromkeys(wanted, 1)})
                except (KeyError, IndexError, ValueError) as exc:
                    wrong.append((key, f"{text}: {exc}"))
    assert wrong == []


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_plural_messages_have_every_form_the_language_has(language: str) -> None:
    catalogue = catalogues.read(language)
    for message in catalogue:
        if message.id and message.pluralizable:
            assert len(message.string) == catalogue.num_plurals, (language, _key(message))


PLURAL_ASKED = re.compile(r"""\b(?:plural|i18n\.plural)\(\s*["']([a-z][a-z0-9_]*)["']\s*,""")


def test_a_word_asked_for_with_a_count_has_plural_forms() -> None:
    # t() on a plural message finds nothing and shows the key; plural() on a single form says "5 дн." for every count.
    asked = {key for path in _sources() for key in PLURAL_ASKED.findall(path.read_text(encoding="utf-8"))}
    assert "days" in asked
    for language in i18n.LANGUAGES:
        entries = _entries(language)
        single = sorted(key for key in asked if key in entries and not entries[key].pluralizable)  # type: ignore[attr-defined]
        assert single == [], language


@pytest.mark.parametrize(
    ("language", "count", "said"),
    [("ru", 1, "1 день"), ("ru", 2, "2 дня"), ("ru", 5, "5 дней"), ("ru", 21, "21 день"), ("ar", 2, "يومان"),
     ("ar", 7, "7 أيام"), ("ar", 30, "30 يومًا"), ("fr", 1, "1 jour"), ("en", 365, "365 days"), ("zh", 90, "90 天")],
)  # fmt: skip
def test_periods_in_days_take_the_languages_plural_form(language: str, count: int, said: str) -> None:
    assert words.lookup_plural(catalogues.translations, "days", count, language).format(n=count) == said


@pytest.mark.parametrize("language", ["zh", "ru", "ar"])
def test_each_translation_is_written_in_its_script(language: str) -> None:
    # Names of things that stay in Latin letters everywhere (file formats, the bank's own identifiers).
    latin_only = {"for_institutions_text"}
    script = SCRIPTS[language]
    wrong = [
        key
        for key, message in _entries(language).items()
        if key not in latin_only
        and not any(script.search(text) for text in _texts(message))
        and re.search(r"[A-Za-z]{3}", " ".join(_texts(ENGLISH[key])))
    ]
    assert wrong == []


def test_chinese_text_has_no_english_ids_or_ascii_colons() -> None:
    wrong = []
    for key, message in _entries("zh").items():
        for text in _texts(message):
            if re.search(r"[a-z]+_[a-z_]+", text) or re.search(r"[\u4e00-\u9fff]\s*:(?!//)", text):
                wrong.append((key, text))
    assert wrong == []


def _sources() -> list[Path]:
    found = list((REPO / "creditbank" / "templates" / "portal").glob("*.html"))
    found += list((REPO / "creditbank" / "templates").glob("*.html"))
    found += list((REPO / "creditbank" / "portal").glob("*.py"))
    found += [REPO / "creditbank" / "web.py"]
    found += list((REPO / "api" / "templates").glob("*.html"))
    return [path for path in found if path.is_file()]


def test_every_key_the_pages_ask_for_is_in_the_catalogues() -> None:
    asked = {(path.name, key) for path in _sources() for key in ASKED.findall(path.read_text(encoding="utf-8"))}
    assert len(asked) > 100, "the pattern no longer finds the templates' words"
    unknown = sorted((name, key) for name, key in asked if key not in ENGLISH)
    assert unknown == []


def test_a_key_defined_in_two_areas_is_refused(tmp_path: Path) -> None:
    (tmp_path / "xx").mkdir()
    for area in ("one", "two"):
        (tmp_path / "xx" / f"{area}.po").write_text(f'msgid "same"\nmsgstr "{area}"\n', encoding="utf-8")
    with pytest.raises(catalogues.CatalogueError, match="same"):
        catalogues.read("xx", tmp_path)


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    folder = tmp_path / "fr"
    folder.mkdir()
    path = folder / "one.po"
    path.write_text('msgid "hello"\nmsgstr "bonjour"\n', encoding="utf-8")
    assert catalogues.translations("fr", tmp_path).gettext("hello") == "bonjour"
    path.write_text('msgid "hello"\nmsgstr "salut à tous"\n', encoding="utf-8")
    assert catalogues.translations("fr", tmp_path).gettext("hello") == "salut à tous"
    catalogues._loaded.pop("fr", None)  # the next test reads the real French catalogue afresh


GLOSSARY = ROOT / "glossary"


def _glossary(language: str) -> list[tuple[re.Pattern[str], list[str], str]]:
    rules = []
    for line in (GLOSSARY / f"{language}.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        english, translated = line.split("\t")[:2]
        rules.append((re.compile(rf"\b{english}", re.IGNORECASE), translated.split("|"), english))
    return rules


@pytest.mark.parametrize("language", [code for code in i18n.LANGUAGES if code != "en"])
def test_terms_follow_the_glossary(language: str) -> None:
    """Credit, qualification, framework … are the same word on every page of a language (each glossary line: the
    English term, a tab, and the accepted forms or stems in that language separated by |)."""
    rules = _glossary(language)
    assert len(rules) >= 6
    found = _entries(language)
    wrong = []
    for key, message in ENGLISH.items():
        english = " ".join(_texts(message))
        for pattern, forms, term in rules:
            if pattern.search(english) and key in found:
                translated = " ".join(_texts(found[key])).lower()
                if not any(form.lower() in translated for form in forms):
                    wrong.append((key, term))
    assert wrong == []


def test_every_catalogue_file_parses_strictly() -> None:
    for language in i18n.LANGUAGES:
        for path in catalogues.files(language):
            with path.open("rb") as handle:
                read_po(handle, abort_invalid=True)
