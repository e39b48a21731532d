"""Baked Open Badges: a certificate as a PNG or SVG image with its signed credential inside, read byte by byte as
the Open Badges 3.0 baking rules lay it out, verified by upload like the JSON it carries, and hostile images
refused with a reason, never a 500."""

from __future__ import annotations

import html
import io
import json
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from flask.testing import FlaskClient

from certificates import badges
from creditbank import demo
from creditbank.languages import i18n
from creditbank.runtime import Bank, bank_of
from creditbank.services import credentials
from creditbank.services.credentials import credential_keys
from tests.conftest import BACKENDS, configuration, database_url, running_app
from tests.credentials.issued_world import Issued, checks
from tests.interop.test_digital_bazaar_verifier import third_party
from tests.portal.test_portal_pages import csrf, login

FACE = badges.Face(
    [badges.Line("东部开放大学 / East Open University", "zh-Hans")],
    [badges.Line("数字素养基础", "zh-Hans"), badges.Line("أساسيات المهارات الرقمية", "ar")],
    [badges.Line("第4级（中高级） · 学分：2", "zh-Hans"), badges.Line("Level 4 · Credits: 2", "en")],
    "终身学习学分银行 · Lifelong Learning Credit Bank",
)
CREDENTIAL = json.dumps({"@context": ["x"], "name": "a ]]> b", "description": "数字素养基础"}, ensure_ascii=False)


def chunks(png: bytes) -> list[tuple[bytes, bytes, int]]:
    """(type, data, stored CRC) of every chunk, read here independently of the code under test."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    found, at = [], 8
    while at < len(png):
        length = int.from_bytes(png[at : at + 4], "big")
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        found.append((kind, data, int.from_bytes(png[at + 8 + length : at + 12 + length], "big")))
        at += 12 + length
    return found


def chunk(kind: bytes, data: bytes, crc: int | None = None) -> bytes:
    value = zlib.crc32(kind + data) if crc is None else crc
    return len(data).to_bytes(4, "big") + kind + data + value.to_bytes(4, "big")


@pytest.fixture(scope="module")
def plain_png() -> bytes:
    return badges.render_png(FACE)


def with_chunks(png: bytes, *extra: bytes) -> bytes:
    """``png`` with ``extra`` chunks inserted before its IEND (the last 12 bytes)."""
    return png[:-12] + b"".join(extra) + png[-12:]


# --- The format, byte by byte -----------------------------------------------------------------------------------


def test_a_baked_png_has_one_uncompressed_itxt_chunk_before_iend_with_a_right_crc(plain_png: bytes) -> None:
    baked = badges.bake_png(plain_png, CREDENTIAL)
    found = chunks(baked)
    assert found[0][0] == b"IHDR"
    assert [kind for kind, _, _ in found[-2:]] == [b"iTXt", b"IEND"]
    texts = [data for kind, data, _ in found if kind == b"iTXt"]
    assert len(texts) == 1
    (data,) = texts
    assert data.startswith(b"openbadgecredential\0")
    rest = data[len(b"openbadgecredential\0") :]
    assert rest[:2] == b"\0\0"  # compression flag 0, compression method 0
    assert rest[2:4] == b"\0\0"  # empty language tag, empty translated keyword
    assert rest[4:].decode("utf-8") == CREDENTIAL
    for kind, data, crc in found:
        assert zlib.crc32(kind + data) == crc, kind
    # Everything else is the picture as drawn, untouched.
    assert [c for c in found if c[0] != b"iTXt"] == chunks(plain_png)


def test_a_baked_svg_names_the_namespace_on_its_root_and_holds_one_credential_element_first() -> None:
    baked = badges.bake_svg(badges.render_svg(FACE), CREDENTIAL)
    root = ElementTree.fromstring(baked)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert re.search(r'<svg\b[^>]*\sxmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"', baked)
    elements = root.findall(".//{https://purl.imsglobal.org/ob/v3p0}credential")
    assert len(elements) == 1
    assert root[0] is elements[0]
    assert "<openbadges:credential><![CDATA[" in baked
    # The "]]>" in the credential cannot end the CDATA section early: it is written as a JSON escape.
    assert json.loads(elements[0].text or "") == json.loads(CREDENTIAL)


def test_both_images_give_back_the_credential_they_were_baked_with(plain_png: bytes) -> None:
    assert badges.unbake(badges.bake_png(plain_png, CREDENTIAL)).decode() == CREDENTIAL
    from_svg = badges.unbake(badges.bake_svg(badges.render_svg(FACE), CREDENTIAL).encode())
    assert json.loads(from_svg) == json.loads(CREDENTIAL)


def test_baking_twice_is_refused(plain_png: bytes) -> None:
    with pytest.raises(badges.BakeError, match="already"):
        badges.bake_png(badges.bake_png(plain_png, CREDENTIAL), CREDENTIAL)
    with pytest.raises(badges.BakeError, match="already"):
        badges.bake_svg(badges.bake_svg(badges.render_svg(FACE), CREDENTIAL), CREDENTIAL)


def test_every_character_of_the_badge_has_a_font_that_draws_it() -> None:
    # A character no font has would print as an empty box: Chinese, Arabic and a rare ideograph all have one.
    for text in ("数字素养基础，终身学习。", "أساسيات المهارات الرقمية", "王堃 𠮷", "Żółć Жанна"):
        assert badges.undrawn(text) == "", text
    assert badges.undrawn("\U000f0001") == "\U000f0001"  # private use: nothing draws it, and that is noticed


def test_the_svg_sets_each_line_in_its_language_and_the_certificates_font_stack() -> None:
    svg = badges.render_svg(FACE)
    assert 'xml:lang="zh-Hans"' in svg
    assert re.search(r'xml:lang="ar" direction="rtl">أساسيات', svg)
    assert '"Creditbank Sans SC"' in svg
    assert "<title>数字素养基础 / أساسيات المهارات الرقمية</title>" in svg


# --- Hostile images -------------------------------------------------------------------------------------------


def _itxt(text: bytes, flag: int = 0) -> bytes:
    return b"openbadgecredential\0" + bytes((flag, 0)) + b"\0\0" + text


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (lambda png: with_chunks(png, chunk(b"iTXt", _itxt(zlib.compress(b"{}"), flag=1))), "compressed"),
        (lambda png: with_chunks(png, chunk(b"iTXt", _itxt(b"{}")), chunk(b"iTXt", _itxt(b"{}"))), "more than one"),
        (lambda png: with_chunks(png, chunk(b"iTXt", _itxt(b"{}"), crc=1)), "CRC"),
        (lambda png: badges.bake_png(png, "{}")[:-30], "cut short|more than the file holds"),
        (lambda png: with_chunks(png, (2**31 - 1).to_bytes(4, "big") + b"iTXt" + b"x" * 16), "declares 2147483647"),
        (lambda png: with_chunks(png, b"\xff\xff\xff\xff" + b"iTXt" + b"x" * 16), "declares"),
        (lambda png: with_chunks(png, chunk(b"iTXt", _itxt(b"\xff\xfe"))), "UTF-8"),
        (lambda png: with_chunks(png, chunk(b"tEXt", b"openbadgecredential\0{}")), "no credential"),
        (lambda png: png + b"trailing", "follow the end"),
        (lambda png: png[:8] + chunk(b"tEXt", b"a\0b") + png[8:], "IHDR"),
        (lambda png: with_chunks(png, *[chunk(b"tEXt", b"a\0b")] * badges.MAX_CHUNKS), "more than 10000 chunks"),
    ],
    ids=[
        "compressed",
        "two chunks",
        "bad CRC",
        "truncated",
        "huge length",
        "length past 2^31",
        "not UTF-8",
        "wrong chunk type",
        "trailing bytes",
        "IHDR not first",
        "too many chunks",
    ],
)
def test_a_damaged_or_doubtful_png_is_refused_with_its_reason(plain_png: bytes, build: Any, reason: str) -> None:
    with pytest.raises(badges.BakeError, match=reason):
        badges.unbake(build(plain_png))


DEEP = "<g>" * (badges.MAX_DEPTH + 1) + "</g>" * (badges.MAX_DEPTH + 1)
SVG_OPEN = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">'


@pytest.mark.parametrize(
    ("svg", "reason"),
    [
        (
            f'<!DOCTYPE svg [<!ENTITY a "xxxxxxxxxx">]>{SVG_OPEN}<openbadges:credential>&a;'
            "</openbadges:credential></svg>",
            "DTD",
        ),
        (f'<!DOCTYPE svg SYSTEM "http://example.com/x.dtd">{SVG_OPEN}</svg>', "DTD"),
        (f"{SVG_OPEN}<openbadges:credential>&a;</openbadges:credential></svg>", "not well-formed"),
        (f"{SVG_OPEN}{DEEP}<openbadges:credential>{{}}</openbadges:credential></svg>", "deeper than 64"),
        (f"{SVG_OPEN}{'<g/>' * badges.MAX_ELEMENTS}</svg>", "more than 20000 elements"),
        (f"{SVG_OPEN}<openbadges:credential>{{}}</openbadges:credential>" * 2 + "</svg>", "more than one"),
        (f"{SVG_OPEN}<openbadges:credential><x/></openbadges:credential></svg>", "other elements"),
        (f'{SVG_OPEN}<openbadges:credential verify="a.b.c"/></svg>', "VC-JWT"),
        (f"{SVG_OPEN}<g/></svg>", "no credential"),
        ('<html><openbadges:credential xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"/></html>', "not an SVG"),
        (f"{SVG_OPEN}<openbadges:credential>{{}}</openbadges:credential>", "not well-formed"),
        (f'<?xml version="1.0" encoding="shift_jis"?>{SVG_OPEN}</svg>', "encoding"),
        (f'<?xml version="1.0" encoding="no-such-one"?>{SVG_OPEN}</svg>', "encoding"),
    ],
    ids=[
        "entity",
        "external DTD",
        "undeclared entity",
        "deep",
        "many elements",
        "two elements",
        "child element",
        "jwt",
        "none",
        "not svg",
        "unclosed",
        "multi-byte encoding",
        "unknown encoding",
    ],
)
def test_a_hostile_or_empty_svg_is_refused_with_its_reason(svg: str, reason: str) -> None:
    with pytest.raises(badges.BakeError, match=reason):
        badges.unbake(svg.encode())


# --- Issued, downloaded, verified ---------------------------------------------------------------------------------


def _get(issued: Issued, path: str, institution: str | None = "uni-a") -> Any:
    headers = issued.world.headers(institution) if institution else {}
    return issued.world.client.get(f"/api/v1/credentials/{issued.credential_id}/{path}", headers=headers)


@pytest.mark.parametrize("image", ["png", "svg"])
def test_the_api_hands_out_the_badge_with_the_stored_credential_baked_in(issued: Issued, image: str) -> None:
    response = _get(issued, f"badge.{image}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == {"png": "image/png", "svg": "image/svg+xml"}[image]
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.headers["Content-Disposition"].split(";")[1].strip().endswith(f'.{image}"')
    assert json.loads(badges.unbake(response.data)) == issued.bundle["credential"]


@pytest.mark.parametrize("image", ["png", "svg"])
def test_an_uploaded_badge_gets_the_verdict_of_the_credential_inside(issued: Issued, image: str) -> None:
    data = _get(issued, f"badge.{image}").data
    from_json = issued.post_verify(json.dumps(issued.bundle["credential"]).encode(), "application/json")
    from_image = issued.post_verify(data, f"image/{'svg+xml' if image == 'svg' else 'png'}")
    assert from_image["verdict"] == "valid"
    assert from_image["source"] == image
    assert from_image["checks"] == from_json["checks"]
    assert from_image["summary"] == from_json["summary"]
    # As a multipart file, as the page's form sends it.
    page = issued.world.client.post(
        "/verify", data={"file": (io.BytesIO(data), f"badge.{image}")}, content_type="multipart/form-data"
    )
    assert page.status_code == 200
    assert 'class="verdict valid"' in page.get_data(as_text=True)


@pytest.mark.parametrize("image", ["png", "svg"])
def test_the_credential_taken_out_of_a_badge_verifies_with_the_third_party_stack(
    issued: Issued, image: str, tmp_path: Path
) -> None:
    extracted = json.loads(badges.unbake(_get(issued, f"badge.{image}").data))
    result = third_party(tmp_path, extracted, credential_keys.did_document(issued.world.bank))
    assert result == {"verified": True, "errors": []}


def test_a_badge_whose_credential_was_altered_is_invalid_by_its_signature(issued: Issued) -> None:
    altered = json.loads(json.dumps(issued.bundle["credential"]))
    altered["credentialSubject"]["achievement"]["name"] = "数字素养高级 / Advanced digital skills"
    for data in (
        badges.bake_png(badges.render_png(FACE), json.dumps(altered, ensure_ascii=False)),
        badges.bake_svg(badges.render_svg(FACE), json.dumps(altered, ensure_ascii=False)).encode(),
    ):
        report = issued.post_verify(data)
        assert report["verdict"] == "invalid"
        assert checks(report)["signature"] == "fail"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (lambda: badges.render_png(FACE), "no credential is baked into this PNG"),
        (lambda: badges.render_svg(FACE).encode(), "no credential is baked into this SVG"),
        (lambda: badges.bake_png(badges.render_png(FACE), "not json at all"), "not a JSON document"),
        (lambda: badges.bake_svg(badges.render_svg(FACE), "[1, 2"), "not a JSON document"),
        (lambda: badges.bake_png(badges.render_png(FACE), '{"id": "x"}'), "not a valid OB 3.0"),
        (lambda: f'<!DOCTYPE x [<!ENTITY a "b">]>{SVG_OPEN}</svg>'.encode(), "DTD"),
        (lambda: with_chunks(badges.render_png(FACE), chunk(b"iTXt", _itxt(b"{}"), crc=7)), "CRC"),
    ],
    ids=["png without", "svg without", "png not json", "svg not json", "not a credential", "svg dtd", "bad crc"],
)
def test_an_image_without_a_sound_credential_gets_a_failing_verdict_with_the_reason(
    issued: Issued, data: Any, reason: str
) -> None:
    report = issued.post_verify(data())
    assert report["verdict"] == "invalid"
    (format_check,) = [item for item in report["checks"] if item["check"] == "format"]
    assert format_check["result"] == "fail"
    assert reason in format_check["reason"]
    page = issued.world.client.post("/verify", data=data(), content_type="image/png")
    assert page.status_code == 200
    assert 'class="verdict invalid"' in page.get_data(as_text=True)


def test_a_baked_credential_naming_a_key_twice_is_refused_by_the_api_as_a_bad_request(issued: Issued) -> None:
    doubled = '{"id": "a", "id": "b"}'
    response = issued.world.client.post(
        "/api/v1/verify", data=badges.bake_png(badges.render_png(FACE), doubled), content_type="image/png"
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_badges_answer_only_the_issuing_institution_and_only_for_certificates(issued: Issued) -> None:
    assert _get(issued, "badge.png", institution=None).status_code == 401
    other = _get(issued, "badge.svg", institution="uni-b")
    assert other.status_code == 404
    assert other.mimetype == "application/problem+json"
    world = issued.world
    made = world.client.post(
        f"/api/v1/learners/{world.learner}/credentials", json={"kind": "transcript"}, headers=world.headers("uni-a")
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    transcript = world.client.get(f"/api/v1/credentials/{made.get_json()['id']}/badge.png", headers=world.headers())
    assert transcript.status_code == 409
    assert transcript.mimetype == "application/problem+json"
    missing = world.client.get("/api/v1/credentials/urn:uuid:nothing/badge.png", headers=world.headers())
    assert missing.status_code == 404


# --- The learner's documents page ---------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def learner(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Bank]]:
    folder = tmp_path_factory.mktemp("badges")
    with running_app(configuration(database_url(request.param, request, folder), folder)) as app:
        bank = bank_of(app)
        demo.seed(bank, 2)
        yield app, bank


def test_the_learner_downloads_each_certificate_s_badges_from_the_documents_page(learner: tuple[Any, Bank]) -> None:
    app, bank = learner
    client: FlaskClient = app.test_client()
    client.set_cookie(i18n.COOKIE, "fr")
    found = demo.demo_login(bank)
    assert found is not None
    assert login(client, found[1], found[2]).status_code == 302
    page = client.get("/me/documents").get_data(as_text=True)
    achievement = re.search(r'<select id="achievement" name="achievement"><option value="([^"]+)"', page)
    assert achievement is not None
    for form in ({"kind": "achievement", "achievement": achievement.group(1)}, {"kind": "transcript"}):
        answer = client.post("/me/documents", data={**form, "language": "fr", "csrf_token": csrf(page)})
        assert answer.status_code == 302
    page = html.unescape(client.get("/me/documents").get_data(as_text=True))
    mine = credentials.list_for_learner(bank, found[0])
    certificate = next(item["id"] for item in reversed(mine) if item["kind"] == "achievement")
    transcript = next(item["id"] for item in reversed(mine) if item["kind"] == "transcript")
    assert f"/me/documents/{transcript}.png" not in page
    for image, mimetype in (("png", "image/png"), ("svg", "image/svg+xml")):
        link = f"/me/documents/{certificate}.{image}"
        assert f'href="{link}">{i18n.text(f"badges_download_{image}", "fr")}</a>' in page
        response = client.get(link)
        assert response.status_code == 200
        assert response.mimetype == mimetype
        assert "filename*=UTF-8''certificat-" in response.headers["Content-Disposition"]
        stored = credentials.document(bank, None, certificate)
        assert json.loads(badges.unbake(response.data)) == stored
        verified = client.post("/api/v1/verify", data=response.data, content_type=mimetype).get_json()
        assert verified["verdict"] == "valid", verified
    assert client.get(f"/me/documents/{transcript}.png").status_code == 404
    # A credential the learner does not hold is no different from one that does not exist.
    assert client.get("/me/documents/urn:uuid:00000000-0000-4000-8000-000000000000.png").status_code == 404


def test_an_arabic_badge_sets_arabic_right_to_left_and_an_english_fallback_left_to_right(
    learner: tuple[Any, Bank],
) -> None:
    _, bank = learner
    found = demo.demo_login(bank)
    assert found is not None
    mine = [item for item in credentials.list_for_learner(bank, found[0]) if item["kind"] == "achievement"]
    subject = mine[0]["subject"]
    issued = credentials.issue(bank, None, credentials.Request(found[0], "achievement", subject, "ar-zh"))
    svg = credentials.badge(bank, None, issued["id"], "svg").decode()
    lines = re.findall(r'<text [^>]*xml:lang="([^"]+)"( direction="rtl")?>([^<]+)</text>', svg)
    arabic = [text for language, rtl, text in lines if language == "ar"]
    assert arabic
    assert all(rtl for language, rtl, _ in lines if language == "ar")
    # Whatever is not Arabic (a title kept in Chinese and English, the level's name) is never set right to left.
    assert all(not rtl for language, rtl, text in lines if re.search("[A-Za-z]", text))
    assert any(re.search("[\u4e00-\u9fff]", text) for _, _, text in lines)
