"""PAdES signatures over the whole of a certificate PDF: the bank's chain, signing, and a strict check.

The bank signs every PDF it hands out with a PAdES baseline B-B signature (ETSI EN 319 142-1; SubFilter
``ETSI.CAdES.detached``), added as one incremental update to the PDF/A-3b file WeasyPrint wrote. The signature is
also a certification signature that allows no changes (DocMDP P=1), so a PDF reader flags any later edit too.

The chain is two certificates, both ECDSA P-256 with SHA-256:

* the bank's **PDF root**, self-signed, a CA that signs nothing but document-signing certificates (path length 0);
* a **document-signing certificate** it issues, naming the bank (both names in the CN, the public URL as a URI
  subject alternative name), key usage digitalSignature + nonRepudiation and no extended key usage (NSS, and so
  poppler's ``pdfsig``, would otherwise demand emailProtection).

P-256 rather than Ed25519: pyHanko signs and checks both, but PDF 1.7 (the base of PDF/A-3) knows ECDSA and not
EdDSA, which needs PDF 2.0 (ISO/TS 32002) and is not accepted by the readers people use. The PDF declares only the
PAdES extension: pyHanko would also declare ISO/TS 32002 and raise the document to PDF 2.0, which PDF/A-3 is not.

Checking a PDF (:func:`verify`) refuses anything but what the bank writes: exactly one signature, its ByteRange from
byte 0 to the end of the file with one gap that is exactly the ``/Contents`` hex string, nothing after the signed
revision, the CMS signature valid over those bytes, its certificates only the signer's and the trusted root, the
signer's certificate chaining to a trusted root and valid at the signing time. Every byte outside the gap is
digested, and the gap must hold the CMS structure as the signer encoded it followed by zero padding only, so a change
to any byte of the file is refused.

B-B carries no time-stamp: the signing time is the one the signer states (``/M``, inside the signed bytes). The chain
is judged at that time, so a PDF signed while its certificate was valid keeps verifying after that certificate
expires or the bank moves to a new signing key.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from asn1crypto import cms as asn1_cms
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.signers import constants
from pyhanko.sign.validation import pdf_embedded
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

__all__ = [
    "DID_SERVICE_TYPE",
    "FIELD_NAME",
    "MAX_CLOCK_SKEW",
    "BankName",
    "SignatureError",
    "Signer",
    "VerifiedSignature",
    "certificate_chain_pem",
    "did_roots",
    "new_key",
    "root_certificate",
    "roots_from_pem",
    "sign",
    "signing_certificate",
    "verify",
]

FIELD_NAME = "CreditBankSignature"
# A signing time a little ahead of the verifier's clock is a clock difference, not a forgery.
MAX_CLOCK_SKEW = timedelta(minutes=5)
# Hex digits reserved for the CMS (two per byte): it takes about 1.7 KB with an ECDSA signature and both
# certificates, up to 2.5 KB with the longest names X.509 allows, so 4 KB leaves room. Reserving it up front saves
# pyHanko a trial signature to measure the size, a third of the signing time.
_RESERVED = 8192
# The order of P-256. An ECDSA signature (r, s) has a twin (r, n - s) that verifies as well; the bank writes the one
# with the smaller s and accepts no other, so nobody can make a second valid file out of a signed one.
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
# The algorithm identifiers as the bank writes them (sha256 with NULL parameters, ecdsa-with-SHA256 without): the
# other spellings DER allows would verify too.
_SHA256 = bytes.fromhex("300d06096086480165030402010500")
_ECDSA_SHA256 = bytes.fromhex("300a06082a8648ce3d040302")

# pyHanko logs each problem it repairs or tolerates in an uploaded file; a verifier's answer is the report, so those
# notes stay out of the service's logs. Set once for the process: a level changed and restored around each call
# would need a lock that makes every verification wait for the others.
logging.getLogger("pyhanko").setLevel(logging.ERROR)
logging.getLogger("pyhanko_certvalidator").setLevel(logging.ERROR)


@dataclass(frozen=True)
class BankName:
    """Who the certificates name: the bank in both languages, and its public address."""

    zh: str
    en: str
    url: str

    @property
    def both(self) -> str:
        return " / ".join(part for part in (self.zh, self.en) if part)


@dataclass(frozen=True)
class Signer:
    """The bank's document-signing key with its certificate and the certificates above it (the root last)."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    name: str
    reason: str = "Issued by the credit bank: this file is as the bank issued it"


@dataclass(frozen=True)
class VerifiedSignature:
    signer: str  # the subject's common name
    signed_at: datetime
    not_before: datetime
    not_after: datetime
    fingerprint: str  # SHA-256 of the signing certificate, hex


class SignatureError(Exception):
    """The PDF is not signed as the bank signs its PDFs; the message says what is wrong."""


# --- the chain ----------------------------------------------------------------------------------------------


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _fits(text: str) -> str:
    # X.509 bounds a common or organization name at 64 bytes of UTF-8 (ub-common-name).
    while len(text.encode("utf-8")) > 64:
        text = text[:-1]
    return text.strip()


def _name(bank: BankName, role: str | None) -> x509.Name:
    # The CN is what readers show as the signer: both names when they fit, else the English one.
    names = [bank.both, bank.en or bank.zh]
    common = next((name for name in names if len(name.encode("utf-8")) <= 64), _fits(names[-1]))
    if role:
        common = _fits(f"{bank.en or bank.zh} {role}")
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fits(bank.en or bank.zh)),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def _usage(*, sign_documents: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign_documents,
        content_commitment=sign_documents,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not sign_documents,
        crl_sign=not sign_documents,
        encipher_only=False,
        decipher_only=False,
    )


def root_certificate(
    key: ec.EllipticCurvePrivateKey, bank: BankName, not_before: datetime, not_after: datetime
) -> x509.Certificate:
    """The bank's self-signed PDF root: a CA for document-signing certificates only."""
    name = _name(bank, "PDF Root CA")
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(sign_documents=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def signing_certificate(
    root_key: ec.EllipticCurvePrivateKey,
    root: x509.Certificate,
    public: ec.EllipticCurvePublicKey,
    bank: BankName,
    not_before: datetime,
    not_after: datetime,
) -> x509.Certificate:
    """A document-signing certificate for ``public``, issued by the root."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(bank, None))
        .issuer_name(root.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(min(not_after, root.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(sign_documents=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
    )
    if bank.url:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(bank.url)]), critical=False
        )
    return builder.sign(root_key, hashes.SHA256())


def _der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def _asn1(certificate: x509.Certificate | bytes) -> asn1_x509.Certificate:
    data = certificate if isinstance(certificate, bytes) else _der(certificate)
    return asn1_x509.Certificate.load(data)


# --- signing ------------------------------------------------------------------------------------------------


class _LowS(signers.SimpleSigner):
    """pyHanko's signer, writing each ECDSA signature in its low-s form."""

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        r, s = decode_dss_signature(super().sign_raw(data, digest_algorithm))
        return encode_dss_signature(r, min(s, _P256_ORDER - s))


class _Pdf17Signer(signers.PdfSigner):
    """Declares the PAdES extension only (PDF 1.7 level 1), keeping the file at the version PDF/A-3 is based on."""

    def register_extensions(self, pdf_out: BasePdfFileWriter, *, md_algorithm: str) -> None:
        # WeasyPrint writes PDF 1.7 already, the version the PAdES extension builds on.
        pdf_out.register_extension(constants.ESIC_EXTENSION_1)


class _KeepMetadata(IncrementalPdfFileWriter):
    """Leaves the document information and XMP metadata as WeasyPrint wrote them.

    pyHanko would rewrite the XMP packet compressed and change the producer in one of the two places only; PDF/A
    wants the metadata stream uncompressed and both to agree. A modification date is optional, so none is added.
    """

    def _update_meta(self) -> None:
        return None


def sign(pdf: bytes, signer: Signer) -> bytes:
    """``pdf`` with the bank's signature over all of it, added as an incremental update."""
    private = asn1_keys.PrivateKeyInfo.load(
        signer.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    cms_signer = _LowS(
        signing_cert=_asn1(signer.certificate),
        signing_key=private,
        cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]  # pyHanko leaves it untyped
            [_asn1(c) for c in signer.chain]
        ),
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES,
        name=signer.name,
        reason=signer.reason,
    )
    writer = _KeepMetadata(io.BytesIO(pdf))
    output = _Pdf17Signer(metadata, cms_signer).sign_pdf(writer, bytes_reserved=_RESERVED)
    return bytes(output.getvalue())


# --- checking -----------------------------------------------------------------------------------------------


def _der_length(data: bytes) -> int:
    """The length of the DER element at the start of ``data``, header included."""
    if len(data) < 2 or data[0] != 0x30:
        raise SignatureError("the signature value is not a CMS structure")
    first = data[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if count == 0 or count > 4 or len(data) < 2 + count:
        raise SignatureError("the signature value is not a CMS structure")
    return 2 + count + int.from_bytes(data[2 : 2 + count], "big")


def _contents(pdf: bytes, start: int, end: int) -> tuple[bytes, bytes]:
    """The bytes of the ByteRange gap, which must be exactly ``<hex>`` as the signer wrote it, and the CMS
    structure they start with."""
    gap = pdf[start:end]
    if len(gap) < 4 or gap[:1] != b"<" or gap[-1:] != b">":
        raise SignatureError("the unsigned part of the file is not exactly the signature value")
    digits = gap[1:-1]
    try:
        value = bytes.fromhex(digits.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise SignatureError("the signature value holds something other than hexadecimal digits") from None
    # Hex digits have two cases and PDF allows white space between them: one spelling only, so no byte of the gap
    # can change while it still reads the same.
    if digits != value.hex().upper().encode("ascii"):
        raise SignatureError("the signature value is not written as the bank writes it")
    length = _der_length(value)
    if length > len(value) or value[length:].strip(b"\x00"):
        raise SignatureError("the signature value is followed by something other than its zero padding")
    return value, value[:length]


def _der_walk(data: bytes, start: int, end: int, depth: int = 0) -> None:
    """Every element from ``start`` to ``end`` is DER: definite lengths in their shortest form, and the elements of
    each constructed one filling it exactly. asn1crypto parses lazily and forgives more, and a byte that changed
    where nothing reads it must still be refused."""
    if depth > 64:
        raise SignatureError("the signature value is nested too deeply")
    position = start
    while position < end:
        tag = data[position]
        position += 1
        if tag & 0x1F == 0x1F:  # high tag number form
            while position < end and data[position] & 0x80:
                position += 1
            position += 1
        if position >= end:
            raise SignatureError("the signature value is not DER-encoded")
        first = data[position]
        position += 1
        if first < 0x80:
            length = first
        else:
            count = first & 0x7F
            digits = data[position : position + count]
            if count == 0 or count > 4 or len(digits) != count or digits[0] == 0:
                raise SignatureError("the signature value is not DER-encoded")
            length = int.from_bytes(digits, "big")
            if length < 0x80:
                raise SignatureError("the signature value is not DER-encoded")
            position += count
        if position + length > end:
            raise SignatureError("the signature value is not DER-encoded")
        if tag & 0x20:
            _der_walk(data, position, position + length, depth + 1)
        position += length


def _check_cms(data: bytes, roots: Sequence[bytes]) -> bytes:
    """The CMS fields a signature does not cover must hold what the bank's signer writes and nothing else; returns
    the certificate it carries besides the root (the signer's, as the caller checks)."""
    _der_walk(data, 0, len(data))
    try:
        info = asn1_cms.ContentInfo.load(data, strict=True)
        if info["content_type"].native != "signed_data":
            raise SignatureError("the signature value is not CMS signed data")
        signed = info["content"]
        signer_infos = signed["signer_infos"]
        if len(signer_infos) != 1:
            raise SignatureError("the signature value must hold exactly one signer")
        signer_info = signer_infos[0]
        # RFC 5652: version 1 for signed data and signer identified by issuer and serial number, as pyHanko writes.
        if signed["version"].native != "v1" or signer_info["version"].native != "v1":
            raise SignatureError("the signature value names a CMS version the bank does not write")
        if signer_info["unsigned_attrs"].native is not None:
            raise SignatureError("the signature value carries unsigned attributes")
        if signed["crls"].native is not None:
            raise SignatureError("the signature value carries revocation lists")
        encapsulated = signed["encap_content_info"]
        if encapsulated["content_type"].native != "data" or encapsulated["content"].native is not None:
            raise SignatureError("the signature value is not a detached signature over the file's bytes")
        digests = [algorithm.dump() for algorithm in signed["digest_algorithms"]]
        if digests != [_SHA256] or signer_info["digest_algorithm"].dump() != _SHA256:
            raise SignatureError(
                "the signature value names another digest algorithm than SHA-256 as the bank writes it"
            )
        if signer_info["signature_algorithm"].dump() != _ECDSA_SHA256:
            raise SignatureError("the signature value names another algorithm than ECDSA with SHA-256")
        if signer_info["sid"].name != "issuer_and_serial_number":
            raise SignatureError("the signature value names its signer in another form than the bank writes")
        certificates: list[bytes] = [choice.chosen.dump() for choice in signed["certificates"]]
        value = signer_info["signature"].native
        r, s = decode_dss_signature(value)
        if encode_dss_signature(r, s) != value or not 0 < s <= _P256_ORDER // 2:
            raise SignatureError("the signature value is not in the one form the bank writes (DER, low s)")
    except SignatureError:
        raise
    except Exception as exc:  # whatever asn1crypto raises on a malformed structure
        raise SignatureError("the signature value is not a well-formed CMS structure") from exc
    # Exactly the signer's certificate (the one pyHanko finds is compared after) and one trusted root, in the order
    # DER gives a SET OF: nothing added, dropped or moved, though these bytes are outside what the signature covers.
    extra = [cert for cert in certificates if cert not in roots]
    if len(extra) != 1 or len(certificates) != 2:
        raise SignatureError(
            "the signature does not carry the bank's chain (its signing certificate and the bank's PDF root): its "
            "signer does not chain to the bank's trusted PDF root"
        )
    if certificates != sorted(certificates):
        raise SignatureError("the signature's certificates are not in DER order")
    return extra[0]


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _embedded(pdf: bytes) -> tuple[PdfFileReader, Any]:
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=True)
        signatures = reader.embedded_signatures
    except Exception as exc:  # any parse failure of an uploaded file
        raise SignatureError("the PDF cannot be read to check its signature") from exc
    if not signatures:
        raise SignatureError("not signed by the bank: the PDF carries no signature")
    if len(signatures) != 1:
        raise SignatureError(f"the PDF carries {len(signatures)} signatures; a PDF from the bank carries one")
    return reader, signatures[0]


def verify(pdf: bytes, roots: Sequence[bytes], *, now: datetime | None = None) -> VerifiedSignature:
    """Check the bank's signature on ``pdf`` against the trusted root certificates (DER); SignatureError if not."""
    if not roots:
        raise SignatureError("no PDF signing root of the bank is trusted, so the PDF's signature cannot be checked")
    moment = now or datetime.now(UTC)
    try:
        return _verify(pdf, roots, moment)
    except SignatureError:
        raise
    except Exception as exc:  # whatever else a hostile file makes pyHanko or asn1crypto raise
        raise SignatureError("the PDF's signature cannot be read") from exc


def _verify(pdf: bytes, roots: Sequence[bytes], moment: datetime) -> VerifiedSignature:
    reader, embedded = _embedded(pdf)
    try:
        byte_range = [int(value) for value in embedded.byte_range]
    except (TypeError, ValueError):
        raise SignatureError("the signature's ByteRange is not four numbers") from None
    if len(byte_range) != 4:
        raise SignatureError("the signature's ByteRange must have exactly two parts")
    start, first, gap_end, second = byte_range
    try:
        last_revision = reader.xrefs.total_revisions - 1
        signed_revision = embedded.signed_revision
    except Exception as exc:
        raise SignatureError("the PDF's revisions cannot be read") from exc
    if signed_revision != last_revision:
        raise SignatureError("the PDF was changed after it was signed (an incremental update follows the signature)")
    if start != 0 or not 0 < first < gap_end or gap_end + second != len(pdf):
        raise SignatureError(
            "the signature does not cover the whole file (its ByteRange must run from the first byte to the last, "
            "leaving out only the signature value)"
        )
    value, cms = _contents(pdf, first, gap_end)
    carried = _check_cms(cms, roots)
    try:
        if embedded.pkcs7_content not in (value, cms):
            raise SignatureError("the signature value is not the one the signature dictionary holds")
        signed_at = embedded.self_reported_timestamp
        signer_certificate = embedded.signer_cert
    except SignatureError:
        raise
    except Exception as exc:
        raise SignatureError("the signature cannot be read") from exc
    if signed_at is None:
        raise SignatureError("the signature states no signing time")
    signed_at = _utc(signed_at)
    if signed_at > moment + MAX_CLOCK_SKEW:
        raise SignatureError(f"the signature claims a signing time in the future ({signed_at.isoformat()})")
    if signer_certificate.dump() != carried:
        raise SignatureError("the signature carries another certificate than its signer's")
    # The signer's name and serial exactly as its certificate spells them: names compare equal in other spellings.
    sid = embedded.signer_info["sid"].chosen
    if sid["issuer"].dump() != signer_certificate.issuer.dump() or sid["serial_number"].native != (
        signer_certificate.serial_number
    ):
        raise SignatureError("the signature names its signer otherwise than the signer's certificate does")
    certificate = x509.load_der_x509_certificate(signer_certificate.dump())
    if certificate.public_bytes(serialization.Encoding.DER) in roots:
        raise SignatureError("the PDF is signed with the root certificate itself, not a document-signing one")
    not_before, not_after = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    if not not_before <= signed_at <= not_after:
        raise SignatureError(
            f"signed at {signed_at.isoformat()}, outside the validity of the signing certificate "
            f"({not_before.isoformat()} to {not_after.isoformat()})"
        )
    context = ValidationContext(
        trust_roots=[_asn1(root) for root in roots],
        moment=signed_at,
        allow_fetching=False,
        # The bank publishes no CRL or OCSP for this chain; the chain and the times decide.
        revocation_mode="soft-fail",
    )
    try:
        status = asyncio.run(pdf_embedded.async_validate_pdf_signature(embedded, signer_validation_context=context))
    except Exception as exc:
        raise SignatureError(f"the signature cannot be validated: {str(exc)[:200]}") from exc
    if not status.intact:
        raise SignatureError("the file's bytes are not the ones that were signed (the digest does not match)")
    if not status.valid:
        raise SignatureError("the signature value does not verify with the signer's key")
    if not status.trusted:
        raise SignatureError("the signer's certificate does not chain to the bank's trusted PDF root")
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        raise SignatureError("the signature does not cover the whole file")
    if not status.docmdp_ok:
        raise SignatureError("the PDF was changed in a way its certification signature forbids")
    if not status.bottom_line:
        raise SignatureError("the signature does not validate")
    subject = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return VerifiedSignature(
        signer=str(subject[0].value) if subject else certificate.subject.rfc4514_string(),
        signed_at=signed_at,
        not_before=not_before,
        not_after=not_after,
        fingerprint=hashlib.sha256(_der(certificate)).hexdigest(),
    )


def certificate_chain_pem(certificates: Sequence[x509.Certificate]) -> str:
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in certificates)


# --- publishing the roots -----------------------------------------------------------------------------------

# The DID document lists the PDF roots as a service of this type, so a verifier that pins the DID document
# (``creditbank verify --trust did.json``) pins them too.
DID_SERVICE_TYPE = "CreditbankPdfSigningRoots"


def roots_from_pem(text: str) -> list[bytes]:
    """The certificates (DER) of a PEM text holding one or more; ValueError when it holds none or a bad one."""
    try:
        certificates = x509.load_pem_x509_certificates(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise ValueError("not PEM certificates") from None
    return [_der(certificate) for certificate in certificates]


def did_roots(document: Any) -> list[bytes]:
    """The PDF roots a DID document lists (none when it lists none); ValueError when the entry is malformed."""
    roots: list[bytes] = []
    services = document.get("service") if isinstance(document, dict) else None
    for service in services if isinstance(services, list) else []:
        if not isinstance(service, dict) or service.get("type") != DID_SERVICE_TYPE:
            continue
        listed = service.get("certificates")
        if not isinstance(listed, list) or not all(isinstance(item, str) for item in listed):
            raise ValueError("the PDF signing roots are not a list of PEM certificates")
        for item in listed:
            roots.extend(roots_from_pem(item))
    return roots
