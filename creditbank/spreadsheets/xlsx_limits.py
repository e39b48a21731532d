"""What an XLSX may be before any of it is parsed: its zip directory, its parts' sizes, its sheets.

Everything here reads the zip's central directory or small parts of known size, so a hostile file is refused for the
cost of reading its table of contents. The sizes declared in the directory are binding: Python's zipfile never
inflates a member past its declared size (it stops there, and a member that would go further fails its CRC), so a
member that passes these limits cannot grow larger when it is read.
"""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass

from defusedxml import ElementTree

from creditbank.spreadsheets.errors import UnreadableFile

MIB = 1024 * 1024
MAX_MEMBERS = 2_000
MAX_UNPACKED = 100 * MIB  # every member together
MAX_PART = 64 * MIB  # any one member, the sheet read included
# A real 10,000-row sheet deflates to a tenth or a twentieth of its size; a part that shrank a hundredfold is
# padding (empty rows, repeated cells) made to blow up when opened. Small parts are exempt: a few KiB of repetitive
# XML compress that well legitimately and cost nothing to open.
MAX_RATIO = 100
RATIO_EXEMPT_BELOW = 1 * MIB
# calamine holds every shared string in memory before a single row is read.
MAX_SHARED_STRINGS = 32 * MIB
MAX_SMALL_PART = 2 * MIB  # [Content_Types].xml, the workbook, its relationships, the styles

CONTENT_TYPES = "[Content_Types].xml"
WORKBOOK = "xl/workbook.xml"
_SMALL_PARTS = (CONTENT_TYPES, WORKBOOK, "xl/_rels/workbook.xml.rels", "xl/styles.xml")
_WORKSHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# ISO 29500 Strict, Excel's "Strict Open XML Spreadsheet": the same parts under other names.
_STRICT = "{http://purl.oclc.org/ooxml/spreadsheetml/main}"


@dataclass(frozen=True)
class Sheet:
    name: str
    state: str  # "visible", "hidden" or "veryHidden"
    part: str | None  # the worksheet's zip member; None for a chart sheet


def check_directory(archive: zipfile.ZipFile, filename: str) -> None:
    """Refuse what is no workbook, a macro workbook, or a workbook larger inside than any import needs."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise UnreadableFile("bomb", part="", size_mb=0, reason="members")
    names = [member.filename for member in members]
    if len(set(names)) != len(names):
        # Two members of one name: which one a reader opens is up to the reader.
        raise UnreadableFile("damaged")
    lower = {name.lower() for name in names}
    if CONTENT_TYPES.lower() not in lower or WORKBOOK not in lower:
        if "xl/workbook.bin" in lower:
            raise UnreadableFile("xlsb")
        raise UnreadableFile("not_a_spreadsheet")
    if filename.lower().endswith((".xlsm", ".xltm", ".xlam")) or "xl/vbaproject.bin" in lower:
        raise UnreadableFile("macros")
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise UnreadableFile("encrypted")
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UnreadableFile("damaged")
        size = member.file_size
        total += size
        limit = _limit(member.filename)
        ratio = size / max(member.compress_size, 1)
        if size > limit or (size >= RATIO_EXEMPT_BELOW and ratio > MAX_RATIO):
            raise UnreadableFile("bomb", part=member.filename, size_mb=_mb(size), reason="part")
    if total > MAX_UNPACKED:
        raise UnreadableFile("bomb", part="", size_mb=_mb(total), reason="total")


def _limit(name: str) -> int:
    lowered = name.lower()
    if lowered in _SMALL_PARTS or lowered.endswith(".rels"):
        return MAX_SMALL_PART
    if lowered.endswith("sharedstrings.xml"):
        return MAX_SHARED_STRINGS
    return MAX_PART


def _mb(size: int) -> int:
    return -(-size // MIB)


def _parse(archive: zipfile.ZipFile, name: str) -> ElementTree.Element:
    # defusedxml: a DTD, an entity declaration or an external reference fails the parse instead of expanding.
    try:
        return ElementTree.fromstring(archive.read(name), forbid_dtd=True)
    except KeyError:
        raise UnreadableFile("damaged") from None
    except Exception:  # any parser or inflater failure of untrusted bytes means only that the file is broken
        raise UnreadableFile("damaged") from None


def _member(archive: zipfile.ZipFile, name: str) -> str | None:
    wanted = name.lower()
    return next((member for member in archive.namelist() if member.lower() == wanted), None)


def check_content_types(archive: zipfile.ZipFile) -> None:
    """A workbook whose parts declare macros is refused whatever its name says."""
    name = _member(archive, CONTENT_TYPES)
    assert name is not None  # check_directory made sure
    types = _parse(archive, name)
    for element in types.iter():
        content_type = element.get("ContentType", "")
        if "macroenabled" in content_type.lower() or "vbaproject" in content_type.lower():
            raise UnreadableFile("macros")


@dataclass(frozen=True)
class Book:
    sheets: list[Sheet]
    epoch_1904: bool  # dates counted from 1904 (old Mac Excel), not 1900
    shared_strings: str | None  # zip members, when the workbook has them
    styles: str | None


def book(archive: zipfile.ZipFile) -> Book:
    """The workbook's sheets in their order (with the zip member of each worksheet) and the parts they share."""
    workbook = _parse(archive, WORKBOOK)
    if workbook.tag.startswith(_STRICT):
        raise UnreadableFile("strict_ooxml")
    targets: dict[str, str] = {}
    shared: dict[str, str] = {}
    rels_name = _member(archive, "xl/_rels/workbook.xml.rels")
    if rels_name is not None:
        for rel in _parse(archive, rels_name).iter(f"{_RELS}Relationship"):
            kind, target = rel.get("Type", ""), rel.get("Target", "")
            if not target or rel.get("TargetMode") == "External":
                continue
            if kind == _WORKSHEET and rel.get("Id"):
                targets[rel.get("Id", "")] = _resolve(target)
            elif kind.endswith(("/sharedStrings", "/styles")):
                shared[kind.rpartition("/")[2]] = _resolve(target)
    found = []
    for sheet in workbook.iter(f"{_MAIN}sheet"):
        part = targets.get(sheet.get(_REL_ID, ""))
        found.append(Sheet(name=sheet.get("name", ""), state=sheet.get("state", "visible"), part=part))
    properties = workbook.find(f"{_MAIN}workbookPr")
    epoch_1904 = properties is not None and properties.get("date1904", "").lower() in ("1", "true")
    present = set(archive.namelist())
    return Book(
        sheets=found,
        epoch_1904=epoch_1904,
        shared_strings=shared.get("sharedStrings") if shared.get("sharedStrings") in present else None,
        styles=shared.get("styles") if shared.get("styles") in present else None,
    )


def _resolve(target: str) -> str:
    # Relative to the workbook part (xl/), or absolute within the package when it starts with a slash.
    path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    return posixpath.normpath(path)
