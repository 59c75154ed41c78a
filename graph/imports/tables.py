"""What every file format gives the importer: a header and an iterator of numbered rows.

A table reads its file lazily, one row at a time, and can be read more than once: the
importer reads it once to the end before writing anything (`count`), so that a file
broken halfway (bad UTF-8, an unterminated quote, malformed XML) is refused whole, and
once more to import. Problems with the file itself raise `FileProblem`; problems with one
row (more cells than the header has columns, a repeated XML field) travel on the row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import BinaryIO, Protocol

FORMATS = ("CSV", "XLSX", "XML")
EXTENSIONS = {".csv": "CSV", ".tsv": "CSV", ".txt": "CSV", ".xlsx": "XLSX", ".xml": "XML"}
ZIP_MAGIC = b"PK\x03\x04"


class FileProblem(Exception):
    """The file cannot be read as a table: the whole import is refused, nothing is written."""


@dataclass(frozen=True)
class RawRow:
    """One record of the file: its number (see the package docstring) and its cells by header."""

    number: int
    cells: dict[str, str]
    # (column or None, message): the row cannot be read as it stands.
    problems: tuple[tuple[str | None, str], ...] = field(default=())


class Table(Protocol):
    format: str
    headers: list[str]

    def rows(self) -> Iterator[RawRow]: ...

    def count(self) -> int:
        """Read the whole file once; FileProblem if any part of it cannot be read."""
        ...

    def close(self) -> None: ...


def detect_format(file_name: str | None, head: bytes, given: str | None = None) -> str:
    """The format asked for, else the one the file name's extension says, else sniffed."""
    if given:
        return given
    suffix = PurePath(file_name or "").suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    if head.startswith(ZIP_MAGIC):
        return "XLSX"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "XML"
    return "CSV"


def header_names(cells: Sequence[str]) -> list[str]:
    """Trimmed header names; trailing empty ones dropped (spreadsheets leave them), any other
    empty or repeated name refused: a column must be named once to be mapped."""
    names = [c.strip() for c in cells]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise FileProblem("the file has no header row: its first row must name the columns")
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        if not name:
            raise FileProblem(f"column {position} of the header row has no name")
        if name in seen:
            raise FileProblem(f"the header row names the column '{name}' twice")
        seen.add(name)
    return names


def row_from_cells(number: int, headers: Sequence[str], cells: Sequence[str]) -> RawRow:
    """Cells by header; missing cells are empty, extra non-empty cells are a row problem."""
    problems: tuple[tuple[str | None, str], ...] = ()
    if len(cells) > len(headers) and any(c.strip() for c in cells[len(headers):]):
        problems = ((None, f"the row has {len(cells)} cells but the header names {len(headers)} columns"),)
    return RawRow(number, {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(headers)}, problems)


def is_blank(cells: Sequence[str]) -> bool:
    return not any(c.strip() for c in cells)


def records_of(headers: Sequence[str], lines: Iterable[Sequence[str]]) -> Iterator[RawRow]:
    """The records of a grid (CSV lines, sheet rows): blank lines skipped, the first
    non-blank one (the header) passed over, the rest numbered from 1 — the same numbers
    in every format."""
    number = 0
    seen_header = False
    for cells in lines:
        if is_blank(cells):
            continue
        if not seen_header:
            seen_header = True
            continue
        number += 1
        yield row_from_cells(number, headers, cells)


def open_table(source: BinaryIO, fmt: str) -> Table:
    """A table over a seekable binary file; reading the header may raise FileProblem."""
    if fmt == "CSV":
        from graph.imports.csv_table import CsvTable

        return CsvTable(source)
    if fmt == "XLSX":
        from graph.imports.xlsx_table import XlsxTable

        return XlsxTable(source)
    from graph.imports.xml_table import XmlTable

    return XmlTable(source)
