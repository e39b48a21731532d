import collections
import enum
import json
import math

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from ledger import canonical
from ledger.canonical import CanonicalizationError, canonical_bytes
from tests.vectors import vectors_dir


class Level(enum.IntEnum):
    ONE = 1


class Name(enum.StrEnum):
    BOB = "bob"


CASES = sorted(p.stem for p in (vectors_dir() / "rfc8785" / "input").glob("*.json"))


def test_all_vector_files_found():
    assert {"arrays", "french", "structures", "unicode", "values", "weird"} <= set(CASES)


@pytest.mark.parametrize("name", CASES)
def test_rfc8785_vectors(name):
    base = vectors_dir() / "rfc8785"
    value = json.loads((base / "input" / f"{name}.json").read_text(encoding="utf-8"))
    expected = (base / "output" / f"{name}.json").read_bytes()
    expected_hex = bytes.fromhex((base / "outhex" / f"{name}.txt").read_text())
    assert canonical_bytes(value) == expected == expected_hex


def test_integral_float_is_written_without_fraction():
    assert canonical_bytes({"credits": 3.0, "hours": 1e21}) == b'{"credits":3,"hours":1e+21}'


def test_keys_sort_by_utf16_code_units():
    # U+1F600 is a surrogate pair (D83D...) and so sorts before U+FB01 in UTF-16, after it by code point.
    value = {"\ufb01": 1, "\U0001f600": 2, "a": 3}
    assert canonical_bytes(value) == rfc8785.dumps(value)
    assert canonical_bytes(value).index("\U0001f600".encode()) < canonical_bytes(value).index("\ufb01".encode())


@pytest.mark.parametrize(
    "bad",
    [
        {1: "non-string key"},
        float("nan"),
        math.inf,
        2**53,
        -(2**53),
        "\ud800",
        {"\udc00": 1},
        b"bytes",
        {1.5},
    ],
)
def test_values_without_canonical_form_are_refused(bad):
    with pytest.raises(CanonicalizationError):
        canonical_bytes(bad)


def test_largest_safe_integers_are_kept_exact():
    assert canonical_bytes([2**53 - 1, -(2**53 - 1)]) == b"[9007199254740991,-9007199254740991]"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53 - 1), max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5),
    max_leaves=30,
)


@given(json_values)
def test_matches_reference_encoder(value):
    assert canonical_bytes(value) == rfc8785.dumps(value)


@given(json_values)
def test_output_is_json_that_reencodes_identically(value):
    encoded = canonical_bytes(value)

    def parse_int(text: str) -> int | float:
        # A large float prints without a fraction; read it back as the double it was.
        number = int(text)
        return number if abs(number) < 2**53 else float(number)

    assert canonical_bytes(json.loads(encoded, parse_int=parse_int)) == encoded


# Documents of the kind the C encoder's fast path takes: exact JSON types, safe integers, keys inside the BMP; values
# hold any characters (astral ones, controls, quotes, U+2028), and arrays may be tuples.
bmp_keys = st.text(alphabet=st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",)))
plain_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53 - 1), max_value=2**53 - 1)
    | st.text()
    | st.sampled_from(['\x00\x1f\x7f"\\\b\f\n\r\t', "\u2028\u2029", "\U0001f600 数据", ""]),
    lambda children: (
        st.lists(children, max_size=5)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(bmp_keys, children, max_size=5)
    ),
    max_leaves=30,
)
containers = st.one_of(st.lists(plain_values, max_size=4), st.dictionaries(bmp_keys, plain_values, max_size=6))


@given(containers)
def test_plain_documents_take_the_fast_path_and_match_the_reference(value):
    assert canonical._c_encode is not None
    assert canonical._plain(value)
    assert canonical_bytes(value) == rfc8785.dumps(value) == canonical._walked_bytes(value)


@given(json_values)
def test_fast_path_and_walk_agree_on_every_document(value):
    assert canonical_bytes(value) == canonical._walked_bytes(value) == rfc8785.dumps(value)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ({"credits": 3.0}, "a float"),
        ([1, [2, {"x": 2**53}]], "an unsafe integer"),
        ({"a": {"\U0001f600": 1}}, "an astral key"),
        ({"a": [{1: 2}]}, "a non-string key"),
        ({"a": collections.OrderedDict(b=1)}, "a dict subclass"),
        ({"a": Level.ONE}, "an int subclass"),
        ({"a": Name.BOB}, "a str subclass"),
        ({"a": b"bytes"}, "bytes"),
    ],
)
def test_documents_outside_the_fast_path_are_left_to_the_walk(value, why):
    assert not canonical._plain(value), why


def test_astral_keys_deep_in_a_document_still_sort_by_utf16():
    value = {"outer": [{"\ufb01": 1, "\U0001f600": 2}], "z": "\U0001f600"}
    assert canonical_bytes(value) == rfc8785.dumps(value)


@pytest.mark.parametrize("bad", [Level.ONE, Name.BOB, collections.OrderedDict(a=1), {"a": [Level.ONE]}])
def test_subclasses_of_json_types_are_refused_as_before(bad):
    with pytest.raises(CanonicalizationError):
        canonical_bytes(bad)


class Backwards(str):
    """A key that sorts itself in reverse: the C encoder would follow its comparison, JCS does not."""

    def __lt__(self, other: object) -> bool:
        return str.__gt__(self, other)  # type: ignore[operator]

    def __gt__(self, other: object) -> bool:
        return str.__lt__(self, other)  # type: ignore[operator]


@pytest.mark.parametrize("key", [Backwards("b"), Name.BOB])
def test_keys_must_be_exactly_str_on_either_path(key):
    value = {"a": 1, key: 2}
    assert not canonical._plain(value)
    with pytest.raises(CanonicalizationError, match="is not a string"):
        canonical_bytes(value)
    with pytest.raises(CanonicalizationError, match="is not a string"):
        canonical._walked_bytes(value)


def test_lone_surrogate_in_a_plain_document_is_refused():
    with pytest.raises(CanonicalizationError, match="lone surrogate"):
        canonical_bytes({"a": ["ok", "\udfff"]})


def test_a_cycle_fails_as_deep_recursion():
    looped: list[object] = []
    looped.append(looped)
    with pytest.raises(RecursionError):
        canonical_bytes({"a": looped})
