"""When two enrollments describe the same person: the rule linking is allowed to follow.

A national ID number alone is not enough: numbers are printed on documents and can be guessed from a birth date
and a region. Linking needs the number (matched by its keyed digest before this runs), the same birth date, and one
name form written the same way once normalized. A Chinese name and a Latin name are different forms and never
match each other: "王堃" says nothing about whether "Wang Kun" is right.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from certificates.names import MIDDLE_DOTS

NAME_FORMS = ("zh", "latin")


def name_key(name: str) -> str:
    """The form names are compared in: NFKC (full-width letters become ordinary ones), case folded, without
    spaces of any width, and one kind of middle dot."""
    folded = unicodedata.normalize("NFKC", name).translate(MIDDLE_DOTS).casefold()
    return "".join(char for char in folded if not char.isspace())


def name_keys(names: Mapping[str, Any]) -> set[tuple[str, str]]:
    return {(form, name_key(value)) for form in NAME_FORMS if isinstance(value := names.get(form), str) and value}


def same_person(
    stored: Mapping[str, Any], other_names: Iterable[Mapping[str, Any]], birth_date: str, names: Mapping[str, Any]
) -> bool:
    """Whether a submission (``birth_date``, ``names``) describes the stored identity.

    ``other_names`` are further name forms the bank has accepted for the person (a name recorded after a change),
    each as good as the one given at enrollment.
    """
    if stored.get("birth_date") != birth_date:
        return False
    known = name_keys(stored.get("name", {}))
    for extra in other_names:
        known |= name_keys(extra)
    return bool(known & name_keys(names))
