"""CSV files: UTF-8 with or without a byte-order mark, delimited by comma, semicolon or tab.

The delimiter is taken from the header line (the most frequent of the three; comma when
none appears). Quoting is read in strict mode, so a stray or unterminated quote is a
broken file rather than silently merged rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from graph.imports.tables import FileProblem, RawRow, header_names, is_blank, records_of

DELIMITERS = (",", ";", "\t")
SNIFF_CHARS = 64 * 1024
UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")


class CsvTable:
    format = "CSV"

    def __init__(self, source: BinaryIO) -> None:
        self.source = source
        source.seek(0)
        if source.read(2) in UTF16_MARKS:
            raise FileProblem("the file is UTF-16 text; save it as CSV in UTF-8")
        with self._text() as text:
            self.delimiter = sniff_delimiter(text.read(SNIFF_CHARS))
        self.headers: list[str] = []
        with self._reader() as reader:
            for cells in reader:
                if not is_blank(cells):
                    self.headers = header_names(cells)
                    break
        if not self.headers:
            raise FileProblem("the file is empty: it has no header row")

    def rows(self) -> Iterator[RawRow]:
        with self._reader() as reader:
            yield from records_of(self.headers, reader)

    def count(self) -> int:
        return sum(1 for _ in self.rows())

    def close(self) -> None:
        """Nothing to release: the caller owns the file."""

    @contextmanager
    def _text(self) -> Iterator[io.TextIOWrapper]:
        self.source.seek(0)
        text = io.TextIOWrapper(self.source, encoding="utf-8-sig", newline="")
        try:
            yield text
        except UnicodeDecodeError:
            raise FileProblem("the file is not UTF-8 text; save it as CSV in UTF-8") from None
        finally:
            text.detach()  # the caller's file stays open

    @contextmanager
    def _reader(self) -> Iterator[Iterator[list[str]]]:
        with self._text() as text:
            reader = csv.reader(text, delimiter=self.delimiter, strict=True)
            try:
                yield reader
            except csv.Error as error:
                hint = " (a quote is opened and never closed)" if "unexpected end of data" in str(error) else ""
                raise FileProblem(f"the CSV cannot be read at line {reader.line_num}: {error}{hint}") from None


def sniff_delimiter(sample: str) -> str:
    """The most frequent of comma, semicolon and tab in the first line; comma on a tie."""
    first_line = sample.split("\n", 1)[0]
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","
