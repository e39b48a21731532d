"""The backup archive: one gzip stream of JSON lines that any supported database can be rebuilt from.

Line by line, before compression::

    {"format": "creditbank-backup", "version": 1, "revision": ..., "tables": [...], "keys": {...}, ...}
    {"table": "institutions"}
    ["demo-university", "university", ...]          one JSON array per row, columns in the header's order
    ...
    {"table": "learners"}
    ...
    {"end": {"rows": {"institutions": 8, ...}, "sha256": "<hex>"}}

The header names every table with its columns and each column's portable type, so a restore needs neither the
source database nor the models of the release that wrote the archive. Values are JSON as they are, except bytes
(base64) and timestamps (ISO 8601 in UTC). The last line counts the rows of every table and carries a SHA-256 over
every byte before it; it comes last because it can only be known once the rows have streamed past, and a reader
that reaches it has seen the whole archive. Anything missing, extra, reordered or altered is refused.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import os
import tempfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Float, Integer, LargeBinary, String, Text
from sqlalchemy.types import TypeDecorator, TypeEngine

from creditbank.errors import ArchiveError, Conflict

FORMAT = "creditbank-backup"
VERSION = 1
# Level 6 halves the time of level 9 for a percent or two more bytes; the base64 in the rows compresses well.
COMPRESSION = 6
_WRITE_CHUNK = 1 << 20


# --- portable column types -----------------------------------------------------------------------

Encoder = Callable[[Any], Any]


def type_tag(sql_type: TypeEngine[Any]) -> str:
    """The portable name of a column's type; subclasses come before their bases."""
    if isinstance(sql_type, TypeDecorator):
        sql_type = sql_type.impl_instance
    for kind, tag in (
        (LargeBinary, "bytes"),
        (DateTime, "datetime"),
        (Boolean, "bool"),
        (Integer, "int"),
        (Float, "float"),
        (String, "text"),
    ):
        if isinstance(sql_type, kind):
            return tag
    raise TypeError(f"no portable form for column type {sql_type!r}")


SQL_TYPES: dict[str, TypeEngine[Any]] = {
    "bytes": LargeBinary(),
    "datetime": DateTime(timezone=True),
    "bool": Boolean(),
    "int": BigInteger(),
    "float": Float(),
    "text": Text(),
}


def _encode_bytes(value: Any) -> Any:
    return None if value is None else base64.b64encode(value).decode("ascii")


def _encode_datetime(value: Any) -> Any:
    if value is None:
        return None
    # SQLite hands back naive values for columns the bank always writes in UTC.
    return (value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)).isoformat()


def _decode_bytes(value: Any) -> Any:
    return None if value is None else base64.b64decode(value, validate=True)


def _decode_datetime(value: Any) -> Any:
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"timestamp {value!r} has no time zone")
    return moment.astimezone(UTC)


_ENCODERS: dict[str, Encoder | None] = {"bytes": _encode_bytes, "datetime": _encode_datetime}
_DECODERS: dict[str, Encoder | None] = {"bytes": _decode_bytes, "datetime": _decode_datetime}


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, portable type)

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "columns": [list(column) for column in self.columns]}

    @classmethod
    def from_json(cls, data: Any) -> TableSpec:
        try:
            columns = tuple((str(name), str(tag)) for name, tag in data["columns"])
            spec = cls(str(data["name"]), columns)
        except (KeyError, TypeError, ValueError) as exc:
            raise ArchiveError(f"the archive's header describes a table badly: {exc}") from None
        unknown = {tag for _, tag in columns} - SQL_TYPES.keys()
        if unknown or not columns:
            raise ArchiveError(f"table {spec.name}: unknown column types {sorted(unknown)} or no columns")
        return spec


def _converter(tags: Sequence[str], table: dict[str, Encoder | None]) -> Callable[[Sequence[Any]], list[Any]]:
    """One function turning a row's values, for the columns that need it; the rest pass untouched."""
    steps = [(index, fn) for index, tag in enumerate(tags) if (fn := table.get(tag)) is not None]

    def convert(row: Sequence[Any]) -> list[Any]:
        values = list(row)
        for index, fn in steps:
            values[index] = fn(values[index])
        return values

    return convert


# --- writing -------------------------------------------------------------------------------------


class ArchiveWriter:
    """Writes an archive to a temporary file beside ``dest`` and moves it into place only when complete."""

    def __init__(self, dest: Path, *, force: bool = False) -> None:
        self.dest = dest
        self.force = force
        if dest.exists() and not force:
            raise Conflict(f"{dest} already exists; give --force to replace it")
        if dest.is_dir():
            raise Conflict(f"{dest} is a directory")
        if not dest.parent.is_dir():
            raise Conflict(f"folder {dest.parent} does not exist")
        # mkstemp creates the file readable by its owner alone: the archive holds sealed personal data.
        descriptor, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent)
        self._temporary = Path(name)
        self._raw = os.fdopen(descriptor, "wb")
        self._gzip = gzip.GzipFile(fileobj=self._raw, mode="wb", compresslevel=COMPRESSION, mtime=0)
        self._digest = hashlib.sha256()
        self._pending: list[bytes] = []
        self._pending_size = 0
        self.counts: dict[str, int] = {}
        self._table: str | None = None
        self._encode: Callable[[Sequence[Any]], list[Any]] | None = None
        self.uncompressed = 0
        self.compressed = 0

    def __enter__(self) -> ArchiveWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is not None or self._raw is not None:
            self._discard()

    def _line(self, data: bytes) -> None:
        self._pending.append(data)
        self._pending_size += len(data)
        if self._pending_size >= _WRITE_CHUNK:
            self._flush()

    def _flush(self) -> None:
        chunk = b"".join(self._pending)
        self._digest.update(chunk)
        self._gzip.write(chunk)
        self.uncompressed += len(chunk)
        self._pending, self._pending_size = [], 0

    @staticmethod
    def _json(value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"

    def header(self, header: dict[str, Any]) -> None:
        self._line(self._json({"format": FORMAT, "version": VERSION, **header}))

    def table(self, spec: TableSpec) -> None:
        self._table = spec.name
        self.counts[spec.name] = 0
        self._encode = _converter([tag for _, tag in spec.columns], _ENCODERS)
        self._line(self._json({"table": spec.name}))

    def rows(self, rows: Sequence[Sequence[Any]]) -> None:
        assert self._table is not None
        assert self._encode is not None
        encode, dumps, line = self._encode, json.dumps, self._line
        for row in rows:
            line(dumps(encode(row), ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")
        self.counts[self._table] += len(rows)

    def finish(self) -> str:
        """Write the closing line, make the file durable and put it at ``dest``; return the checksum."""
        self._flush()
        checksum = self._digest.hexdigest()
        self._gzip.write(self._json({"end": {"rows": self.counts, "sha256": checksum}}))
        self._gzip.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self.compressed = self._raw.tell()
        self._raw.close()
        self._raw = None  # type: ignore[assignment]
        self._place()
        return checksum

    def _place(self) -> None:
        if self.force:
            os.replace(self._temporary, self.dest)
        else:
            # A hard link fails if the name was taken meanwhile, where a rename would silently replace it.
            try:
                os.link(self._temporary, self.dest)
            except FileExistsError:
                raise Conflict(f"{self.dest} appeared while the backup ran; give --force to replace it") from None
            except OSError:
                # Some file systems have no hard links; a rename after a last look is the next best thing.
                if self.dest.exists():
                    raise Conflict(f"{self.dest} appeared while the backup ran; give --force to replace it") from None
                os.replace(self._temporary, self.dest)
            self._temporary.unlink(missing_ok=True)
        directory = os.open(self.dest.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def _discard(self) -> None:
        if self._raw is not None:
            self._raw.close()
            self._raw = None  # type: ignore[assignment]
        self._temporary.unlink(missing_ok=True)


# --- reading -------------------------------------------------------------------------------------


@dataclass
class Summary:
    """What a complete pass over an archive found."""

    header: dict[str, Any]
    tables: list[TableSpec]
    rows: dict[str, int] = field(default_factory=dict)
    sha256: str = ""
    uncompressed: int = 0
    compressed: int = 0


def _lines(path: Path) -> Iterator[bytes]:
    try:
        with gzip.open(path, "rb") as handle:
            yield from handle
    except FileNotFoundError:
        raise ArchiveError(f"no backup archive at {path}") from None
    except IsADirectoryError:
        raise ArchiveError(f"{path} is a folder, not a backup archive") from None
    except PermissionError:
        raise ArchiveError(f"{path} cannot be read (permission denied)") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise ArchiveError(f"{path} is damaged or truncated ({exc})") from None


def _parse(line: bytes, where: str) -> Any:
    try:
        return json.loads(line)
    except ValueError:
        raise ArchiveError(f"{where} is not valid JSON: the archive is damaged") from None


def read_header(path: Path) -> dict[str, Any]:
    """The first line, checked for format and version; says nothing yet about the rest."""
    lines = _lines(path)
    try:
        first = next(lines, None)
    finally:
        lines.close()
    if first is None:
        raise ArchiveError(f"{path} is empty")
    header = _parse(first, "the header")
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ArchiveError(f"{path} is not a creditbank backup archive")
    if header.get("version") != VERSION:
        raise ArchiveError(f"{path} has archive format version {header.get('version')!r}; this release reads {VERSION}")
    return header


class Reader:
    """One pass over an archive, yielding each table's rows in batches, decoded, and checking everything on the way:
    the order of tables, the width of rows, the closing counts and the checksum. Until the pass completes without an
    error nothing it yielded may be trusted; the restore keeps its transaction open until then."""

    def __init__(self, path: Path, batch: int = 2000) -> None:
        self.path = path
        self.batch = batch
        self.summary: Summary | None = None

    def batches(self) -> Iterator[tuple[TableSpec, list[list[Any]]]]:
        header = read_header(self.path)
        tables_json = header.get("tables")
        if not isinstance(tables_json, list):
            raise ArchiveError("the archive's header lists no tables")
        tables = [TableSpec.from_json(item) for item in tables_json]
        if len({spec.name for spec in tables}) != len(tables):
            raise ArchiveError("the archive's header names a table twice")
        summary = Summary(header, tables)
        digest = hashlib.sha256()
        expected = iter(tables)
        current: TableSpec | None = None
        decode: Callable[[Sequence[Any]], list[Any]] = list
        width = 0
        pending: list[list[Any]] = []
        end: Any = None
        number = 0
        for number, line in enumerate(_lines(self.path), start=1):
            summary.uncompressed += len(line)
            if end is not None:
                raise ArchiveError(f"line {number}: data after the closing line")
            if line.startswith(b"["):
                if current is None:
                    raise ArchiveError(f"line {number}: a row before any table")
                row = _parse(line, f"line {number}")
                if len(row) != width:
                    raise ArchiveError(f"line {number}: a row of {current.name} with {len(row)} values, not {width}")
                try:
                    pending.append(decode(row))
                except (ValueError, TypeError, binascii.Error) as exc:
                    raise ArchiveError(f"line {number}: a value of {current.name} is malformed ({exc})") from None
                summary.rows[current.name] += 1
                if len(pending) >= self.batch:
                    yield current, pending
                    pending = []
                digest.update(line)
                continue
            item = _parse(line, f"line {number}")
            if number == 1:
                digest.update(line)
                continue
            if not isinstance(item, dict):
                raise ArchiveError(f"line {number}: neither a row nor a section marker")
            if pending:
                assert current is not None
                yield current, pending
                pending = []
            if "table" in item:
                current = next(expected, None)
                if current is None or item["table"] != current.name:
                    raise ArchiveError(f"line {number}: table {item['table']!r} is not the one the header announces")
                decode = _converter([tag for _, tag in current.columns], _DECODERS)
                width = len(current.columns)
                summary.rows[current.name] = 0
                digest.update(line)
            elif "end" in item:
                end = item["end"]
            else:
                raise ArchiveError(f"line {number}: unknown section marker")
        if end is None:
            raise ArchiveError(f"{self.path} is truncated: the closing line is missing")
        if next(expected, None) is not None:
            raise ArchiveError("the archive ends before every table the header announces")
        if not isinstance(end, dict) or end.get("sha256") != digest.hexdigest():
            raise ArchiveError(f"{self.path} fails its checksum: the content was altered or damaged")
        if end.get("rows") != summary.rows:
            raise ArchiveError("the archive's row counts disagree with the rows it holds")
        summary.sha256 = digest.hexdigest()
        summary.compressed = self.path.stat().st_size
        self.summary = summary

    def verify(self) -> Summary:
        """A whole pass, every row decoded and discarded."""
        for _ in self.batches():
            pass
        assert self.summary is not None
        return self.summary
