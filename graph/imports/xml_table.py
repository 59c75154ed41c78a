"""XML files: the root element's children are the records; each record's attributes and
child elements are its columns, named by their local names (namespaces dropped).

    <contacts>
      <contact><FirstName>Ada</FirstName><LastName>Lovelace</LastName></contact>
      <contact FirstName="Grace" LastName="Hopper"/>
    </contacts>

Parsed by defusedxml: a DTD, entity declarations or external references refuse the file.
Records are streamed (each is cleared from the tree once read), so a large file is never
held whole. The columns are every field name the records use, in order of first use, so
the header is only known after one pass over the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from graph.imports.tables import FileProblem, RawRow


class XmlTable:
    format = "XML"

    def __init__(self, source: BinaryIO) -> None:
        self.source = source
        names: dict[str, None] = {}
        self.size = 0
        for _, cells, _ in self._records():
            names.update(dict.fromkeys(cells))
            self.size += 1
        if not names:
            raise FileProblem("the XML has no records: its root element must contain one element per record")
        self.headers = list(names)

    def rows(self) -> Iterator[RawRow]:
        for number, cells, problems in self._records():
            yield RawRow(number, cells, problems)

    def count(self) -> int:
        return self.size  # the header pass read the whole file already

    def close(self) -> None:
        """Nothing to release: the caller owns the file."""

    def _records(self) -> Iterator[tuple[int, dict[str, str], tuple[tuple[str | None, str], ...]]]:
        self.source.seek(0)
        depth = 0
        root: Any = None
        number = 0
        try:
            for event, element in iterparse(self.source, events=("start", "end"), forbid_dtd=True):
                if event == "start":
                    depth += 1
                    if depth == 1:
                        root = element
                    continue
                depth -= 1
                if depth != 1:
                    continue
                cells, problems = _record(element)
                root.clear()  # drop what was read: memory stays flat however long the file
                if any(v.strip() for v in cells.values()) or problems:
                    number += 1
                    yield number, cells, problems
        except ParseError as error:
            raise FileProblem(f"the XML is not well-formed ({error})") from None
        except DefusedXmlException:
            raise FileProblem("the XML declares a DTD or entities, which imports refuse") from None
        if root is None:
            raise FileProblem("the file is empty")


def _record(element: Any) -> tuple[dict[str, str], tuple[tuple[str | None, str], ...]]:
    cells: dict[str, str] = {}
    problems: list[tuple[str | None, str]] = []
    fields = [(_local(k), v) for k, v in element.attrib.items()]
    for child in element:
        if not isinstance(child.tag, str):
            continue  # a comment or processing instruction
        name = _local(child.tag)
        if len(child):
            problems.append((name, f"the field {name} contains elements; a field holds text only"))
        fields.append((name, child.text or ""))
    for name, value in fields:
        if name in cells:
            problems.append((name, f"the field {name} appears more than once in this record"))
            continue
        cells[name] = value
    return cells, tuple(problems)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
