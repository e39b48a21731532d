from __future__ import annotations

import base64
import gzip
import struct
import tracemalloc
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certificates.status_list import (
    MIN_BITS,
    StatusBits,
    StatusListError,
    status_entry,
    status_list_credential,
)

LIST_URL = "https://bank.example/status/3"


def independent_decode(encoded: str) -> bytes:
    """The format read with nothing but the standard library, so encode and decode can't share a mistake."""
    assert encoded.startswith("u")
    assert "=" not in encoded
    body = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def b64url(data: bytes, prefix: str = "u") -> str:
    return prefix + base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def zeros_bomb(megabytes: int) -> bytes:
    # Built a megabyte at a time so the test itself never holds the inflated size.
    squeezer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    parts = [squeezer.compress(block) for _ in range(megabytes)]
    parts.append(squeezer.flush())
    return b"".join(parts)


class TestBits:
    def test_default_size_is_the_specified_minimum(self) -> None:
        bits = StatusBits()
        assert bits.size == MIN_BITS == 131_072
        assert len(bits.to_bytes()) == 16 * 1024
        assert bits.ones() == []

    @pytest.mark.parametrize("size", [0, -8, 8, MIN_BITS - 8, MIN_BITS + 1, MIN_BITS + 4])
    def test_size_must_be_a_large_multiple_of_eight(self, size: int) -> None:
        with pytest.raises(ValueError, match="multiple of 8"):
            StatusBits(size)

    def test_larger_lists_are_allowed(self) -> None:
        bits = StatusBits(MIN_BITS * 2)
        bits.set(MIN_BITS * 2 - 1, True)
        assert bits.ones() == [MIN_BITS * 2 - 1]

    @pytest.mark.parametrize("index", [0, 7, 8, MIN_BITS - 1])
    def test_set_and_get(self, index: int) -> None:
        bits = StatusBits()
        assert bits.get(index) is False
        bits.set(index, True)
        assert bits.get(index) is True
        assert bits.ones() == [index]
        bits.set(index, False)
        assert bits.get(index) is False
        assert bits.ones() == []

    def test_setting_twice_and_clearing_leave_neighbours_alone(self) -> None:
        bits = StatusBits()
        for index in (6, 7, 8):
            bits.set(index, True)
        bits.set(7, True)
        bits.set(7, False)
        assert bits.ones() == [6, 8]

    def test_index_zero_is_the_leftmost_bit_of_the_first_byte(self) -> None:
        bits = StatusBits()
        bits.set(0, True)
        assert bits.to_bytes()[0] == 0x80
        bits.set(0, False)
        bits.set(7, True)
        assert bits.to_bytes()[0] == 0x01
        bits.set(8, True)
        assert bits.to_bytes()[:2] == b"\x01\x80"

    @pytest.mark.parametrize("index", [-1, -MIN_BITS, MIN_BITS, MIN_BITS + 100])
    def test_outside_the_list_is_an_index_error(self, index: int) -> None:
        bits = StatusBits()
        with pytest.raises(IndexError):
            bits.get(index)
        with pytest.raises(IndexError):
            bits.set(index, True)
        assert bits.ones() == []

    def test_index_must_be_an_int(self) -> None:
        with pytest.raises(TypeError):
            StatusBits().get(True)


class TestEncoding:
    def test_round_trip(self) -> None:
        bits = StatusBits()
        for index in (0, 1, 4096, 99_999, MIN_BITS - 1):
            bits.set(index, True)
        encoded = bits.encode()
        assert encoded.startswith("uH4sI")  # multibase "u", then the gzip magic in base64
        decoded = StatusBits.decode(encoded)
        assert decoded == bits
        assert decoded.ones() == [0, 1, 4096, 99_999, MIN_BITS - 1]

    def test_empty_list_decodes_to_zeros_independently(self) -> None:
        encoded = StatusBits().encode()
        assert independent_decode(encoded) == bytes(16 * 1024)
        assert StatusBits.decode(encoded).ones() == []

    def test_set_bits_are_where_an_independent_reader_expects(self) -> None:
        bits = StatusBits()
        bits.set(0, True)
        bits.set(13, True)
        bits.set(MIN_BITS - 1, True)
        raw = independent_decode(bits.encode())
        assert raw[0] == 0x80
        assert raw[1] == 0x04  # index 13 is the sixth bit of the second byte
        assert raw[-1] == 0x01
        assert sum(bin(octet).count("1") for octet in raw) == 3

    def test_decodes_a_list_made_by_another_encoder(self) -> None:
        raw = bytearray(16 * 1024)
        raw[2] = 0b0010_0001
        encoded = b64url(gzip.compress(bytes(raw), compresslevel=1))
        assert StatusBits.decode(encoded).ones() == [18, 23]

    def test_encoding_is_a_function_of_the_bits_alone(self) -> None:
        # Two encodings a moment apart would match even with the clock in the header; the header's MTIME field
        # is what makes a republished unchanged list byte-identical, so it is read here as RFC 1952 lays it out.
        bits = StatusBits()
        bits.set(42, True)
        encoded = bits.encode()
        assert encoded.startswith("uH4sIAAAAAAA")  # "u", then 1f 8b 08 00 and four zero MTIME bytes in base64url
        body = encoded[1:]
        stream = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        assert stream[:4] == bytes.fromhex("1f8b0800")  # ID1 ID2, CM = deflate, FLG: no name, comment or extra
        assert stream[4:8] == bytes(4)  # MTIME = 0: "no time stamp is available"
        raw = bytearray(16 * 1024)
        raw[5] = 0b0010_0000  # index 42 is the third bit of the sixth byte
        assert stream[-8:] == struct.pack("<II", zlib.crc32(raw), len(raw))  # CRC32 and ISIZE of the bits
        assert bits.encode() == encoded

    def test_prefix_is_optional_on_input(self) -> None:
        bits = StatusBits()
        bits.set(5, True)
        assert StatusBits.decode(bits.encode()[1:]).ones() == [5]

    def test_padding_is_tolerated_on_input(self) -> None:
        compressed = gzip.compress(bytes(16 * 1024))
        padded = "u" + base64.urlsafe_b64encode(compressed).decode()
        assert StatusBits.decode(padded).ones() == []

    def test_larger_lists_round_trip(self) -> None:
        bits = StatusBits(MIN_BITS * 4)
        bits.set(MIN_BITS * 4 - 2, True)
        assert StatusBits.decode(bits.encode()) == bits


class TestDecodingErrors:
    @pytest.mark.parametrize(
        "encoded",
        ["", "u", "u!!!not base64!!!", "uH4sI+AAAA", "uA", "u H4sI", "u\u00e9t\u00e9"],
    )
    def test_garbage(self, encoded: str) -> None:
        with pytest.raises(StatusListError, match="base64"):
            StatusBits.decode(encoded)

    def test_not_gzip(self) -> None:
        with pytest.raises(StatusListError, match="not GZIP"):
            StatusBits.decode(b64url(bytes(16 * 1024)))

    def test_zlib_without_gzip_framing_is_refused(self) -> None:
        with pytest.raises(StatusListError, match="not GZIP"):
            StatusBits.decode(b64url(zlib.compress(bytes(16 * 1024))))

    def test_truncated_gzip(self) -> None:
        compressed = gzip.compress(bytes(16 * 1024))
        with pytest.raises(StatusListError, match="truncated"):
            StatusBits.decode(b64url(compressed[:-6]))

    def test_trailing_bytes(self) -> None:
        compressed = gzip.compress(bytes(16 * 1024))
        with pytest.raises(StatusListError, match="after the end"):
            StatusBits.decode(b64url(compressed + b"extra"))

    @pytest.mark.parametrize("size", [0, 1, 16 * 1024 - 1])
    def test_too_short(self, size: int) -> None:
        with pytest.raises(StatusListError, match="at least 131072"):
            StatusBits.decode(b64url(gzip.compress(bytes(size))))

    def test_gzip_bomb_is_refused_without_inflating_it(self) -> None:
        bomb = b64url(zeros_bomb(100))
        assert len(bomb) < 200_000
        tracemalloc.start()
        try:
            with pytest.raises(StatusListError, match="more than"):
                StatusBits.decode(bomb)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        # The default ceiling is 16 MiB; inflating the whole bomb would need 100 MiB.
        assert peak < 40 * 1024 * 1024

    def test_a_lower_ceiling_is_honoured(self) -> None:
        encoded = StatusBits(MIN_BITS * 8).encode()
        with pytest.raises(StatusListError, match="more than 65536 bytes"):
            StatusBits.decode(encoded, max_bytes=64 * 1024)
        assert StatusBits.decode(encoded, max_bytes=128 * 1024).size == MIN_BITS * 8

    def test_errors_are_value_errors(self) -> None:
        assert issubclass(StatusListError, ValueError)


@settings(max_examples=60, deadline=None)
@given(st.sets(st.integers(min_value=0, max_value=MIN_BITS - 1), max_size=300))
def test_any_set_of_indices_round_trips(indices: set[int]) -> None:
    bits = StatusBits()
    for index in indices:
        bits.set(index, True)
    encoded = bits.encode()
    assert StatusBits.decode(encoded).ones() == sorted(indices)
    raw = independent_decode(encoded)
    assert [i for i in range(MIN_BITS) if raw[i // 8] >> (7 - i % 8) & 1] == sorted(indices)


class TestDocuments:
    def test_status_list_credential(self) -> None:
        bits = StatusBits()
        bits.set(3, True)
        document = status_list_credential(LIST_URL, "did:web:bank.example", "revocation", bits, "2025-01-01T00:00:00Z")
        assert document == {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": LIST_URL,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": "did:web:bank.example",
            "validFrom": "2025-01-01T00:00:00Z",
            "credentialSubject": {
                "id": LIST_URL + "#list",
                "type": "BitstringStatusList",
                "statusPurpose": "revocation",
                "encodedList": bits.encode(),
            },
        }
        assert StatusBits.decode(document["credentialSubject"]["encodedList"]).ones() == [3]

    def test_status_entry(self) -> None:
        assert status_entry(LIST_URL, 94567, "suspension") == {
            "id": LIST_URL + "#94567",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "suspension",
            "statusListIndex": "94567",
            "statusListCredential": LIST_URL,
        }

    @pytest.mark.parametrize("purpose", ["refresh", "message", "Revocation", ""])
    def test_unsupported_purposes(self, purpose: str) -> None:
        with pytest.raises(ValueError, match="status purpose"):
            status_entry(LIST_URL, 0, purpose)
        with pytest.raises(ValueError, match="status purpose"):
            status_list_credential(LIST_URL, "did:web:bank.example", purpose, StatusBits(), "2025-01-01T00:00:00Z")

    @pytest.mark.parametrize("index", [-1, True, 1.0, "3"])
    def test_entry_index_must_be_a_natural_number(self, index: object) -> None:
        with pytest.raises(ValueError, match="index"):
            status_entry(LIST_URL, index, "revocation")  # type: ignore[arg-type]

    def test_list_url_cannot_carry_a_fragment(self) -> None:
        with pytest.raises(ValueError, match="fragment"):
            status_entry(LIST_URL + "#x", 1, "revocation")
