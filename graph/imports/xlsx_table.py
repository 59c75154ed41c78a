"""Excel workbooks (.xlsx): the first sheet, its first non-blank row naming the columns.

openpyxl reads the sheet in read-only mode (streamed, not loaded whole) and with cached
values instead of formulas. Cells become the text a person sees: whole numbers lose the
".0" Excel stores them with (a phone number 5551234 is "5551234"), dates become ISO text.
A zip whose parts would unpack to more than `MAX_UNPACKED_BYTES` is refused before
openpyxl opens it (a small upload must not inflate into gigabytes).
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from itertools import islice
from typing import Any, BinaryIO

from graph.imports.tables import FileProblem, RawRow, header_names, is_blank, records_of

MAX_UNPACKED_BYTES = 512 * 1024 * 1024
CHUNK_ROWS = 512


class XlsxTable:
    format = "XLSX"

    def __init__(self, source: BinaryIO) -> None:
        check_archive(source)
        import openpyxl

        source.seek(0)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # openpyxl warns about styles it does not know
                self.book = openpyxl.load_workbook(source, read_only=True, data_only=True)
        except Exception as error:  # any failure to open untrusted input is a broken file
            raise FileProblem(f"the file cannot be read as an .xlsx workbook ({_reason(error)})") from None
        if not self.book.worksheets:
            self.close()
            raise FileProblem("the workbook has no sheet")
        self.sheet = self.book.worksheets[0]
        self.headers: list[str] = []
        for values in self._values():
            cells = [cell_text(v) for v in values]
            if not is_blank(cells):
                self.headers = header_names(cells)
                break
        if not self.headers:
            self.close()
            raise FileProblem("the first sheet is empty: it has no header row")

    def rows(self) -> Iterator[RawRow]:
        return records_of(self.headers, ([cell_text(v) for v in values] for values in self._values()))

    def count(self) -> int:
        return sum(1 for _ in self.rows())

    def close(self) -> None:
        self.book.close()

    def _values(self) -> Iterator[tuple[Any, ...]]:
        """The sheet's rows as values, read a chunk at a time with openpyxl's warnings muted."""
        rows = self.sheet.iter_rows(values_only=True)
        while True:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    chunk = list(islice(rows, CHUNK_ROWS))
            except Exception as error:  # a corrupt sheet part is a broken file
                raise FileProblem(f"the sheet cannot be read ({_reason(error)})") from None
            if not chunk:
                return
            yield from chunk


def check_archive(source: BinaryIO) -> None:
    source.seek(0)
    try:
        with zipfile.ZipFile(source) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileProblem("the file is not an .xlsx workbook (it is not a zip archive)") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise FileProblem(f"the workbook unpacks to more than {MAX_UNPACKED_BYTES // (1024 * 1024)} MiB")


def cell_text(value: Any) -> str:
    """A cell's value as the text a person sees in it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _reason(error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}"[:200] if text else type(error).__name__
