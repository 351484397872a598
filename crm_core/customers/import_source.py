"""Reading a customers CSV: decoding (UTF-8, with or without BOM, or cp1251), the
delimiter the header uses, the column names, and the records one by one. It reads
the file; it does not check or store rows.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from crm_core.customers.import_rows import KNOWN_COLUMNS
from crm_core.errors import CrmError

log = logging.getLogger(__name__)


class ImportFailed(CrmError):
    """The file as a whole cannot be read (missing, empty, wrong encoding)."""

    error_id = "import_failed"


def decode(content: bytes, encoding: str | None) -> tuple[str, str]:
    """The text of the file and the encoding used; ImportFailed if it will not read."""
    if encoding is not None:
        try:
            return content.decode(encoding), encoding
        except LookupError:
            raise ImportFailed(f"unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            line = content[: exc.start].count(b"\n") + 1
            raise ImportFailed(
                f"the file is not {encoding} (line {line}); "
                "try another encoding, e.g. cp1251 or utf-8"
            ) from None
    if content.startswith(b"\xef\xbb\xbf"):
        return decode(content, "utf-8-sig")
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return content.decode("cp1251", errors="replace"), "cp1251"


def delimiter_of(header_line: str) -> str:
    return max((",", ";", "\t"), key=header_line.count)


def records(text: str, delimiter: str) -> Iterator[tuple[int, list[str] | str]]:
    """(record number, fields) per data record, or (number, error) for a broken one."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    number = 1
    while True:
        number += 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield number, f"unreadable CSV: {exc}"
            continue
        if values:
            yield number, values


@dataclass(frozen=True, slots=True, kw_only=True)
class CsvSource:
    header: list[str]
    columns: list[str]
    delimiter: str
    body: str
    encoding: str
    expected_rows: int
    unknown_columns: tuple[str, ...]


async def open_source(path: Path, encoding: str | None) -> CsvSource:
    try:
        content = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        raise ImportFailed(f"cannot read {path}: {exc.strerror}") from None
    text, used = decode(content, encoding)
    header_line, _, body = text.partition("\n")
    if not header_line.strip():
        raise ImportFailed(f"{path} has no header line")
    delimiter = delimiter_of(header_line)
    header = next(csv.reader([header_line], delimiter=delimiter))
    columns = [c.strip().lower() for c in header]
    if "name" not in columns:
        raise ImportFailed(f"{path}: the header has no `name` column")
    unknown = tuple(c for c in columns if c not in KNOWN_COLUMNS)
    if unknown:
        log.warning("import %s: unknown columns ignored: %s", path, ", ".join(unknown))
    return CsvSource(
        header=header,
        columns=columns,
        delimiter=delimiter,
        body=body,
        encoding=used,
        expected_rows=body.count("\n") + (0 if body.endswith("\n") else 1),
        unknown_columns=unknown,
    )
