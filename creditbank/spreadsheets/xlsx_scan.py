"""One quick pass over a worksheet's XML before openpyxl reads it: how far its content reaches, and what openpyxl's
read-only mode does not tell (which cells hold formulas or errors, which are merged).

openpyxl's read-only reader fills every gap between two rows with empty rows and pads each row to the sheet's
declared width, so a lone value at row 1,048,576 or a dimension of A1:XFD1 would make it produce millions of cells.
This pass learns the last row and column that hold anything, refusing on the way a sheet that reaches too far, and
the reader then asks openpyxl for exactly that rectangle. The pass itself is bounded: it stops at the first row past
the limit that holds a value, at more row or cell elements than Excel can have, and it never keeps text.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from xml.parsers import expat

from creditbank.spreadsheets.errors import UnreadableFile

EXCEL_ROWS = 1_048_576
EXCEL_COLUMNS = 16_384
MAX_CELL_ELEMENTS = 2_000_000  # blank formatted cells included; 10,001 rows of 200 columns
MAX_MERGES_KEPT = 1_000
_CHUNK = 64 * 1024
_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")
_RANGE = re.compile(r"([A-Z]{1,3})([0-9]{1,7})(?::([A-Z]{1,3})([0-9]{1,7}))?")


@dataclass
class Scan:
    last_row: int = 0  # the last row holding a value, a formula or an inline string; 0 for an empty sheet
    last_column: int = 0
    # (row, column) of each formula cell → whether Excel saved the value it computed (openpyxl, for one, never does)
    formulas: dict[tuple[int, int], bool] = field(default_factory=dict)
    errors: set[tuple[int, int]] = field(default_factory=set)  # cells holding an error value (#N/A, #DIV/0! ...)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # first row, first col, last row, last col
    merge_count: int = 0


def column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def scan(archive: zipfile.ZipFile, part: str, *, max_row: int, max_column: int) -> Scan:
    """Scan the worksheet ``part``; a value below ``max_row`` or right of ``max_column`` refuses the file."""
    found = Scan()
    state: dict[str, int | bool] = {
        "row": 0,
        "column": 0,
        "rows": 0,
        "cells": 0,
        "in_cell": False,
        "in_merges": False,
        "in_value": False,
        "string": False,
    }

    def start(name: str, attrs: dict[str, str]) -> None:
        tag = name.rpartition(" ")[2]
        if tag == "c":
            state["cells"] += 1
            if state["cells"] > MAX_CELL_ELEMENTS:
                raise UnreadableFile("bomb", part=part, size_mb=0, reason="cells")
            ref = attrs.get("r")
            if ref is None:
                column = state["column"] + 1
            else:
                match = _REF.fullmatch(ref)
                if match is None:
                    raise UnreadableFile("damaged")
                column = column_number(match.group(1))
            if column <= state["column"] or column > EXCEL_COLUMNS:
                raise UnreadableFile("damaged")
            state["column"] = column
            state["in_cell"] = True
            state["string"] = attrs.get("t") == "str"
            if attrs.get("t") == "e":
                found.errors.add((state["row"], column))
        elif tag in ("v", "is", "f") and state["in_cell"]:
            row, column = state["row"], state["column"]
            if tag == "f":
                # A formula of text type saved with an empty value did compute: its value is the empty string.
                found.formulas[(row, column)] = bool(state["string"])
            elif tag == "v":
                state["in_value"] = True
            if row > found.last_row:
                if row > max_row:
                    raise UnreadableFile("too_tall", row=row, max=max_row)
                found.last_row = row
            if column > found.last_column:
                if column > max_column:
                    raise UnreadableFile("too_many_columns", max=max_column)
                found.last_column = column
        elif tag == "row":
            state["rows"] += 1
            if state["rows"] > EXCEL_ROWS:
                raise UnreadableFile("bomb", part=part, size_mb=0, reason="rows")
            number = attrs.get("r")
            row = state["row"] + 1 if number is None else _number(number)
            if row <= state["row"] or row > EXCEL_ROWS:
                raise UnreadableFile("damaged")
            state["row"] = row
            state["column"] = 0
        elif tag == "mergeCell" and state["in_merges"]:
            found.merge_count += 1
            if len(found.merges) < MAX_MERGES_KEPT:
                merge = _merge(attrs.get("ref", ""))
                if merge is not None:
                    found.merges.append(merge)
        elif tag == "mergeCells":
            state["in_merges"] = True

    def end(name: str) -> None:
        tag = name.rpartition(" ")[2]
        if tag == "c":
            state["in_cell"] = False
        elif tag == "v":
            state["in_value"] = False
        elif tag == "mergeCells":
            state["in_merges"] = False

    parser = expat.ParserCreate(namespace_separator=" ")
    # What defusedxml refuses, refused here: a worksheet has no business declaring a DTD or entities.
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_dtd

    def text(data: str) -> None:
        if state["in_value"] and data.strip():
            key = (state["row"], state["column"])
            if key in found.formulas:
                found.formulas[key] = True

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        with archive.open(part) as source:
            while chunk := source.read(_CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except UnreadableFile:
        raise
    except Exception:  # expat, inflate and CRC failures of untrusted bytes all mean the file is broken
        raise UnreadableFile("damaged") from None
    return found


def _refuse_dtd(*_: object) -> None:
    raise UnreadableFile("damaged")


def _number(text: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 7:
        raise UnreadableFile("damaged")
    return int(text)


def _merge(ref: str) -> tuple[int, int, int, int] | None:
    match = _RANGE.fullmatch(ref)
    if match is None:
        return None
    first_col, first_row, last_col, last_row = match.groups()
    return (
        int(first_row),
        column_number(first_col),
        int(last_row or first_row),
        column_number(last_col or first_col),
    )
