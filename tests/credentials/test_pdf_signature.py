"""The PDF itself is what is verified: the bank's PAdES signature covers every byte, and any changed byte fails.

Every door is tried with changed files: the engine (many places), ``POST /api/v1/verify``, ``creditbank verify`` and
the ``/verify`` page (a handful).
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import stat
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import algos as asn1_algos
from asn1crypto import cms as asn1_cms
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from pyhanko.pdf_utils.generic import NameObject, TextStringObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pypdf import PdfReader
from pypdf.generic import IndirectObject, StreamObject

from certificates import pdf_signature
from certificates import verify as verification
from creditbank import keys
from creditbank.cli import main
from creditbank.errors import ConfigurationError
from creditbank.languages.i18n import text as words
from creditbank.services import credentials
from creditbank.services.credentials import pdf_keys
from tests.credentials.issued_world import Issued, checks


def reasons(report: verification.Report | dict[str, Any]) -> dict[str, str]:
    items = report.to_json()["checks"] if isinstance(report, verification.Report) else report["checks"]
    return {item["check"]: item["reason"] for item in items}


def trust(issued: Issued) -> verification.Trust:
    return credentials.trust(issued.world.bank)


def verify(issued: Issued, data: bytes) -> verification.Report:
    return verification.verify_bytes(data, trust(issued))


# —— where things are in the file ——


@dataclass(frozen=True)
class Place:
    what: str
    offset: int


def _stream_span(pdf: bytes, offset: int, length: int) -> tuple[int, int]:
    keyword = pdf.index(b"stream", offset) + len(b"stream")
    start = keyword + (2 if pdf[keyword : keyword + 2] == b"\r\n" else 1)
    return start, start + length


def _ids(value: Any) -> int | None:
    return value.idnum if isinstance(value, IndirectObject) else None


def places(pdf: bytes) -> list[Place]:
    """Offsets spread over every part of a signed certificate PDF (every stream, the cross-reference sections and
    trailers of both revisions, the signature dictionary and value), each named for the failure message."""
    reader = PdfReader(io.BytesIO(pdf))
    kinds: dict[int, str] = {}
    catalog = reader.trailer["/Root"].get_object()
    kinds[_ids(catalog.raw_get("/Metadata")) or -1] = "XMP metadata"
    for intent in catalog["/OutputIntents"]:
        kinds[_ids(intent.get_object().raw_get("/DestOutputProfile")) or -1] = "ICC profile"
    for spec in catalog["/AF"]:
        spec = spec.get_object()
        kinds[_ids(spec["/EF"].raw_get("/F")) or -1] = f"attachment {spec['/UF']}"
    for page in reader.pages:
        contents = page.raw_get("/Contents")
        for item in contents if isinstance(contents, list) else [contents]:
            kinds[_ids(item) or -1] = "page content stream"
        resources = page["/Resources"]
        for font in resources["/Font"].values():
            descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            program = descriptor.raw_get("/FontFile2") or descriptor.raw_get("/FontFile3")
            kinds[_ids(program) or -1] = f"font program {font.get_object()['/BaseFont']}"
        pending = [resources.get("/XObject")]
        while pending:
            xobjects = pending.pop()
            for reference in (xobjects.get_object() if xobjects is not None else {}).values():
                kinds[_ids(reference) or -1] = f"{reference.get_object()['/Subtype'][1:]} XObject (QR code)"
                inner = reference.get_object().get("/Resources")
                if inner is not None:
                    pending.append(inner.get_object().get("/XObject"))
    found: list[Place] = []
    for idnum, offset in reader.xref[0].items():
        obj = reader.get_object(idnum)
        what = kinds.get(idnum) or f"stream object {idnum} ({obj.get('/Type', 'ToUnicode map or other')})"
        if isinstance(obj, StreamObject):
            start, end = _stream_span(pdf, offset, len(obj._data))  # the bytes as stored
            found += [Place(f"{what} (stream data)", start + (end - start) * k // 4) for k in range(4)]
            found.append(Place(f"{what} (stream dictionary)", offset + 3))
    found.append(Place("file header", 5))
    first_eof = pdf.index(b"%%EOF")
    first_xref = int(pdf[pdf.rindex(b"startxref", 0, first_eof) + 9 : first_eof].strip())
    found += [
        Place("cross-reference of the rendered revision", first_xref + 2),
        Place("startxref of the rendered revision", pdf.rindex(b"startxref", 0, first_eof) + 11),
        Place("%%EOF of the rendered revision", first_eof + 2),
    ]
    last_startxref = pdf.rindex(b"startxref")
    last_xref = int(pdf[last_startxref + 9 : pdf.rindex(b"%%EOF")].strip())
    found += [
        Place("cross-reference stream of the signature's revision", last_xref + 2),
        Place("cross-reference stream of the signature's revision (trailer /Root)", pdf.index(b"/Root", last_xref) + 2),
        Place("startxref of the signature's revision", last_startxref + 10),
        Place("final %%EOF", len(pdf) - 3),
    ]
    byte_range = pdf.rindex(b"/ByteRange")
    contents = pdf.rindex(b"/Contents <") + len(b"/Contents <")
    der_length = int(pdf[contents + 4 : contents + 8], 16) + 4  # 30 82 LL LL
    found += [
        Place("signature dictionary /ByteRange", byte_range + len(b"/ByteRange [") + 3),
        Place("signature dictionary /ByteRange (second part)", pdf.index(b"]", byte_range) - 2),
        Place("signature dictionary /M", pdf.rindex(b"/M (D") + 8),
        Place("signature dictionary /SubFilter", pdf.rindex(b"/SubFilter") + 14),
        Place("signature value: the CMS header", contents + 1),
        Place("signature value: inside the CMS", contents + der_length),
        Place("signature value: the signature itself", contents + 2 * der_length - 6),
        Place("signature value: the zero padding", contents + 2 * der_length + 40),
        Place("signature value: the last padding digit", pdf.index(b">", contents) - 1),
        Place("signature field (widget)", pdf.rindex(b"/FT /Sig") + 5),
    ]
    return found


def flipped(pdf: bytes, offset: int) -> bytes:
    return pdf[:offset] + bytes([pdf[offset] ^ 0x01]) + pdf[offset + 1 :]


# —— the signed PDF ——


def test_the_pdf_is_signed_by_the_bank_and_the_signature_passes(issued: Issued) -> None:
    report = verify(issued, issued.pdf)
    assert report.valid, report.to_json()
    assert checks(report.to_json())["pdf_signature"] == "pass"
    assert "Lifelong Learning Credit Bank" in reasons(report)["pdf_signature"]
    signed = pdf_signature.verify(issued.pdf, trust(issued).pdf_roots)
    assert signed.fingerprint == _fingerprint(pdf_keys.signer(issued.world.bank).certificate)


def _fingerprint(certificate: x509.Certificate) -> str:
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def test_one_changed_byte_anywhere_is_refused_by_the_engine(issued: Issued) -> None:
    spots = places(issued.pdf)
    assert len(spots) >= 40, [spot.what for spot in spots]
    kinds = {spot.what.split(" (")[0] for spot in spots}
    assert any(kind.startswith("font program") for kind in kinds), kinds
    assert {"page content stream", "XMP metadata", "attachment credential.json", "attachment receipt.json"} <= kinds
    # WeasyPrint draws the QR code's SVG straight into the page content stream, as paths: no image XObject.
    assert b" re" in PdfReader(io.BytesIO(issued.pdf)).pages[0].get_contents().get_data()
    accepted = []
    for spot in spots:
        report = verify(issued, flipped(issued.pdf, spot.offset))
        if report.valid or not any(c.outcome == "fail" for c in report.checks):
            accepted.append(spot)
    assert not accepted, accepted


def test_hex_digits_in_another_case_or_the_file_cut_or_extended_are_refused(issued: Issued) -> None:
    pdf = issued.pdf
    contents = pdf.rindex(b"/Contents <") + len(b"/Contents <")
    letter = next(i for i in range(contents, contents + 200) if pdf[i : i + 1] in b"ABCDEF")
    lower = pdf[:letter] + pdf[letter : letter + 1].lower() + pdf[letter + 1 :]
    for variant, expected in [
        (lower, "not written as the bank writes it"),
        (pdf + b"\n", "does not cover the whole file"),
        (pdf[:-1], "does not cover the whole file"),
    ]:
        report = verify(issued, variant)
        assert not report.valid
        assert expected in reasons(report).get("pdf_signature", ""), reasons(report)


def test_an_incremental_update_after_signing_is_refused(issued: Issued) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(issued.pdf))
    info = writer.trailer["/Info"]
    info[NameObject("/Title")] = TextStringObject("Edited after signing")
    writer.update_container(info)
    out = io.BytesIO()
    writer.write(out)
    report = verify(issued, out.getvalue())
    assert not report.valid
    assert "changed after it was signed" in reasons(report)["pdf_signature"]


def rendered_revision(pdf: bytes) -> bytes:
    """The PDF as WeasyPrint wrote it, before the signature was appended: what the bank handed out before."""
    end = pdf.index(b"%%EOF") + len(b"%%EOF")
    return pdf[: end + 1] if pdf[end : end + 1] == b"\n" else pdf[:end]


def test_an_unsigned_pdf_of_the_same_credential_is_not_valid_any_more(issued: Issued) -> None:
    unsigned = rendered_revision(issued.pdf)
    assert b"/ByteRange" not in unsigned
    report = verify(issued, unsigned)
    assert not report.valid
    assert reasons(report)["pdf_signature"] == "not signed by the bank: the PDF carries no signature"
    # Everything else in the file still checks out: only the missing signature makes it invalid.
    assert [c.check for c in report.checks if c.outcome == "fail"] == ["pdf_signature"]


# —— who signed, and when ——


def _der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def _signer(
    issued: Issued, *, start: datetime | None = None, end: datetime | None = None, bank_root: bool = True
) -> pdf_signature.Signer:
    """A signer with the bank's names: a certificate of the bank's own root, or of a look-alike root."""
    bank = issued.world.bank
    name = pdf_keys.bank_name(bank)
    now = datetime.now(UTC)
    if bank_root:
        root = pdf_keys.roots(bank)[0]
        root_key = pdf_keys._open_key(
            pdf_keys._folder(bank) / pdf_keys.ROOT_KEY, pdf_keys._passphrase(bank), pdf_keys.ROOT_PURPOSE
        )
    else:
        root_key = pdf_signature.new_key()
        root = pdf_signature.root_certificate(root_key, name, now - timedelta(days=3650), now + timedelta(days=3650))
    key = pdf_signature.new_key()
    certificate = pdf_signature.signing_certificate(
        root_key,
        root,
        key.public_key(),
        name,
        start or root.not_valid_before_utc,
        end or now + timedelta(days=365),
    )
    return pdf_signature.Signer(key, certificate, (root,), name.both)


def test_a_look_alike_signer_on_another_root_is_refused(issued: Issued) -> None:
    forged = pdf_signature.sign(rendered_revision(issued.pdf), _signer(issued, bank_root=False))
    report = verify(issued, forged)
    assert not report.valid
    assert "does not chain to the bank's trusted PDF root" in reasons(report)["pdf_signature"]


class _Unchecked(signers.PdfSigner):
    """Signs whatever the first signature's DocMDP says: pyHanko itself would refuse to, a forger need not."""

    def _enforce_certification_constraints(self, reader: Any) -> None:
        return None


def test_a_second_signature_is_refused(issued: Issued) -> None:
    # An approval signature by the bank's own key on top of the certification one: still not what the bank issues.
    bank_signer = pdf_keys.signer(issued.world.bank)
    key = asn1_keys.PrivateKeyInfo.load(
        bank_signer.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    approval = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(_der(bank_signer.certificate)),
        signing_key=key,
        cert_registry=SimpleCertificateStore(),
    )
    meta = signers.PdfSignatureMetadata(field_name="AnotherSignature", subfilter=SigSeedSubFilter.PADES)
    twice = _Unchecked(meta, approval).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(issued.pdf))).getvalue()
    report = verify(issued, twice)
    assert not report.valid
    assert "2 signatures" in reasons(report)["pdf_signature"]


def test_the_signing_certificate_must_have_been_valid_when_the_ledger_recorded_the_credential(
    issued: Issued,
) -> None:
    recorded = next(e for e in issued.bundle["receipt"]["entries"] if e["role"] == "credential")["entry"]["time"]
    after = datetime.fromisoformat(recorded.replace("Z", "+00:00")).replace(microsecond=0) + timedelta(seconds=1)
    late = _signer(issued, start=after)
    while datetime.now(UTC) < after:  # the signature itself must fall inside the late certificate's validity
        time.sleep(0.05)
    report = verify(issued, pdf_signature.sign(rendered_revision(issued.pdf), late))
    assert not report.valid
    assert "not valid when the ledger recorded the credential" in reasons(report)["pdf_signature"]
    # The same root with a certificate that starts at the bank's inception is accepted.
    report = verify(issued, pdf_signature.sign(rendered_revision(issued.pdf), _signer(issued)))
    assert checks(report.to_json())["pdf_signature"] == "pass", reasons(report)


def test_a_signing_time_in_the_future_or_outside_the_certificate_is_refused(issued: Issued) -> None:
    report = verification.verify_bytes(issued.pdf, trust(issued), now=datetime.now(UTC) - timedelta(hours=1))
    assert "signing time in the future" in reasons(report)["pdf_signature"]
    now = datetime.now(UTC)
    expired = _signer(issued, start=now - timedelta(days=10), end=now - timedelta(days=1))
    report = verify(issued, pdf_signature.sign(rendered_revision(issued.pdf), expired))
    assert "outside the validity of the signing certificate" in reasons(report)["pdf_signature"]


def test_without_the_bank_root_trusted_no_pdf_verifies(issued: Issued) -> None:
    bare = verification.Trust(trust(issued).issuer, trust(issued).keys, trust(issued).log_keys)
    report = verification.verify_bytes(issued.pdf, bare)
    assert not report.valid
    assert "no PDF signing root" in reasons(report)["pdf_signature"]


def test_pdfs_signed_before_a_key_rotation_keep_verifying(issued: Issued) -> None:
    bank = issued.world.bank
    before = pdf_keys.signer(bank).certificate
    old_pdf = credentials.pdf(bank, None, issued.credential_id)
    rotated = pdf_keys.rotate(bank)
    assert _fingerprint(rotated) != _fingerprint(before)
    new_pdf = credentials.pdf(bank, None, issued.credential_id)
    roots = trust(issued).pdf_roots
    assert pdf_signature.verify(new_pdf, roots).fingerprint == _fingerprint(rotated)
    assert pdf_signature.verify(old_pdf, roots).fingerprint == _fingerprint(before)
    for pdf in (old_pdf, new_pdf, issued.pdf):
        assert verify(issued, pdf).valid


# —— the other doors ——


def _a_handful(issued: Issued) -> list[Place]:
    spots = places(issued.pdf)
    wanted = ("font program", "page content stream", "attachment credential.json", "XMP metadata", "signature value")
    return [next(spot for spot in spots if spot.what.startswith(prefix)) for prefix in wanted]


def test_the_api_refuses_every_changed_byte(issued: Issued) -> None:
    assert checks(issued.post_verify(issued.pdf, "application/pdf"))["pdf_signature"] == "pass"
    for spot in _a_handful(issued):
        report = issued.post_verify(flipped(issued.pdf, spot.offset), "application/pdf")
        assert report["valid"] is False, spot
    unsigned = issued.post_verify(rendered_revision(issued.pdf), "application/pdf")
    assert unsigned["valid"] is False
    assert checks(unsigned)["pdf_signature"] == "fail"


def _verify_page(issued: Issued, pdf: bytes, language: str) -> str:
    client = issued.world.client
    client.set_cookie("lang", language)
    response = client.post(
        "/verify", data={"file": (io.BytesIO(pdf), "certificate.pdf")}, content_type="multipart/form-data"
    )
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def test_the_verify_page_shows_the_pdf_signature_check_in_both_languages(issued: Issued) -> None:
    changed = flipped(issued.pdf, _a_handful(issued)[0].offset)
    for language in ("zh", "en"):
        label = words("check_pdf_signature", language)
        refused = _verify_page(issued, changed, language)
        assert label in refused
        assert words("verify_invalid", language) in refused
        accepted = _verify_page(issued, issued.pdf, language)
        assert label in accepted
        assert words("verify_valid", language) in accepted


@pytest.fixture
def did_file(issued: Issued, tmp_path: Path) -> Path:
    path = tmp_path / "did.json"
    path.write_bytes(issued.world.client.get("/.well-known/did.json").data)
    return path


def _cli(*args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(main, ["verify", *args, "--json"])
    assert "Traceback" not in result.output, result.output
    return result.exit_code, json.loads(result.output)


def test_the_offline_command_pins_the_root_through_the_did_document(
    issued: Issued, did_file: Path, tmp_path: Path
) -> None:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(issued.pdf)
    code, report = _cli(str(path), "--trust", str(did_file))
    assert checks(report)["pdf_signature"] == "pass", report
    for spot in _a_handful(issued):
        path.write_bytes(flipped(issued.pdf, spot.offset))
        code, report = _cli(str(path), "--trust", str(did_file))
        assert (code, report["valid"]) == (1, False), spot
    path.write_bytes(rendered_revision(issued.pdf))
    code, report = _cli(str(path), "--trust", str(did_file))
    assert (code, checks(report)["pdf_signature"]) == (1, "fail")


def test_the_root_is_published_at_a_well_known_address_and_in_the_did_document(issued: Issued) -> None:
    client = issued.world.client
    response = client.get(pdf_keys.WELL_KNOWN_PATH)
    assert response.status_code == 200
    assert response.mimetype == "application/x-pem-file"
    published = pdf_signature.roots_from_pem(response.get_data(as_text=True))
    did = client.get("/.well-known/did.json").get_json()
    assert pdf_signature.did_roots(did) == published == list(trust(issued).pdf_roots)
    service = next(s for s in did["service"] if s["type"] == pdf_signature.DID_SERVICE_TYPE)
    assert service["serviceEndpoint"].endswith(pdf_keys.WELL_KNOWN_PATH)
    root = x509.load_der_x509_certificate(published[0])
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert issued.world.bank.did in service["id"]


# —— what a standard PDF reader shows ——


def _pdfsig(pdf: bytes, folder: Path, *options: str) -> str:
    path = folder / "signed.pdf"
    path.write_bytes(pdf)
    # pdfsig exits non-zero when a certificate is not trusted; its report is what is checked.
    return subprocess.run(["pdfsig", *options, str(path)], capture_output=True, text=True, check=False).stdout


def test_pdfsig_lists_the_bank_as_signer_of_the_whole_document(issued: Issued, tmp_path: Path) -> None:
    out = _pdfsig(issued.pdf, tmp_path, "-nocert")
    assert "Signer Certificate Common Name: 终身学习学分银行 / Lifelong Learning Credit Bank" in out, out
    assert "Signature Type: ETSI.CAdES.detached" in out
    assert "Total document signed" in out
    assert "Signature Validation: Signature is Valid." in out
    assert out.count("Signature #") == 1
    changed = _pdfsig(flipped(issued.pdf, _a_handful(issued)[1].offset), tmp_path, "-nocert")
    assert "Signature is Valid." not in changed, changed


# certutil comes with libnss3-tools, which the test command installs: its absence is a failure, not a skip.
def test_pdfsig_trusts_the_signature_once_the_bank_root_is_in_its_database(issued: Issued, tmp_path: Path) -> None:
    database = tmp_path / "nss"
    database.mkdir()
    root = tmp_path / "root.pem"
    root.write_text(pdf_keys.roots_pem(issued.world.bank))
    subprocess.run(["certutil", "-N", "-d", f"sql:{database}", "--empty-password"], check=True)
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{database}", "-n", "creditbank-pdf-root", "-t", "C,C,C", "-i", str(root)],
        check=True,
    )
    out = _pdfsig(issued.pdf, tmp_path, "-nssdir", f"sql:{database}")
    assert "Signature Validation: Signature is Valid." in out, out
    assert "Certificate Validation: Certificate is Trusted." in out, out
    assert "Lifelong Learning Credit Bank" in out


# —— the chain in the instance folder ——


def test_the_chain_is_kept_in_the_instance_folder_with_its_keys_sealed(issued: Issued) -> None:
    bank = issued.world.bank
    folder = Path(bank.instance_path) / "keys"
    pdf_keys.ensure(bank)
    names = sorted(path.name for path in folder.glob("pdf-*"))
    assert {pdf_keys.ROOT_CERTIFICATE, pdf_keys.ROOT_KEY, "pdf-chain.lock"} <= set(names)
    signing = [name for name in names if name.startswith("pdf-signing-")]
    assert signing, names
    for name in names:
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
        if name.endswith(".key"):
            assert keys.is_encrypted((folder / name).read_bytes()), name
    # Asking again makes nothing new.
    pdf_keys.ensure(bank)
    assert sorted(path.name for path in folder.glob("pdf-*")) == names
    # A signing key file opened as the root key is refused: the purpose is bound to the seal.
    with pytest.raises(ConfigurationError):
        pdf_keys._open_key(
            folder / signing[0].replace(".pem", ".key"), pdf_keys._passphrase(bank), pdf_keys.ROOT_PURPOSE
        )


# —— the unsigned parts of the CMS ——


def _with_cms(pdf: bytes, change: Any) -> bytes:
    """``pdf`` with its CMS structure changed by ``change`` and written back into the same gap, zero-padded."""
    start = pdf.rindex(b"/Contents <") + len(b"/Contents <")
    end = pdf.index(b">", start)
    value = bytes.fromhex(pdf[start:end].decode())
    info = asn1_cms.ContentInfo.load(value[: int.from_bytes(value[2:4], "big") + 4])
    change(info["content"])
    digits = info.dump(force=True).hex().upper().encode()
    assert len(digits) <= end - start
    return pdf[:start] + digits + b"0" * (end - start - len(digits)) + pdf[end:]


P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def test_the_other_ecdsa_twin_and_other_certificate_lists_are_refused(issued: Issued) -> None:
    def twin(signed: Any) -> None:
        signer_info = signed["signer_infos"][0]
        r, s = decode_dss_signature(signer_info["signature"].native)
        signer_info["signature"] = encode_dss_signature(r, P256_ORDER - s)

    def root_dropped(signed: Any) -> None:
        signed["certificates"] = [c for c in signed["certificates"] if c.chosen.ca is not True]

    def root_twice(signed: Any) -> None:
        signed["certificates"] = [*signed["certificates"], signed["certificates"][0]]

    def certificate_twin(signed: Any) -> None:
        # The root's signature on the signing certificate has a twin too; the certificate's bytes change.
        for choice in signed["certificates"]:
            certificate = choice.chosen
            if certificate.ca is not True:
                r, s = decode_dss_signature(certificate["signature_value"].native)
                certificate["signature_value"] = encode_dss_signature(r, P256_ORDER - s)

    def digest_without_null(signed: Any) -> None:
        algorithm = asn1_algos.DigestAlgorithm.load(bytes.fromhex("300b0609608648016503040201"))
        signed["signer_infos"][0]["digest_algorithm"] = algorithm
        signed["digest_algorithms"] = [algorithm]

    # Each of these verifies cryptographically: only the rule of the one form refuses it.
    for change, expected in [
        (twin, "low s"),
        (certificate_twin, ""),
        (digest_without_null, "SHA-256 as the bank writes it"),
        (root_dropped, "does not carry the bank's chain"),
        (root_twice, "does not carry the bank's chain"),
    ]:
        changed = _with_cms(issued.pdf, change)
        assert changed != issued.pdf, change.__name__
        report = verify(issued, changed)
        assert not report.valid, change.__name__
        assert expected in reasons(report)["pdf_signature"], (change.__name__, reasons(report))
    # Written back unchanged, the file is the same file and still verifies.
    assert _with_cms(issued.pdf, lambda signed: None) == issued.pdf
