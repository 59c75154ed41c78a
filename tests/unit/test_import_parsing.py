"""Reading import files and mapping their columns (R-IMP-1): the pure half, no database."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime, time

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.imports.mapping import map_columns, normalise
from graph.imports.rows import Candidate, Reference, RowChecker, parse_reference
from graph.imports.tables import FileProblem, RawRow, detect_format, open_table
from graph.imports.xlsx_table import cell_text
from graph.rules.errors import DomainError, ErrorCode


def table_rows(data: bytes, fmt: str) -> tuple[list[str], list[RawRow]]:
    table = open_table(io.BytesIO(data), fmt)
    try:
        rows = list(table.rows())
        assert table.count() == len(rows)
        return table.headers, rows
    finally:
        table.close()


def problem_of(data: bytes, fmt: str) -> str:
    with pytest.raises(FileProblem) as caught:
        table_rows(data, fmt)
    return str(caught.value)


# CSV


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_delimiters_are_sniffed_from_the_header(delimiter: str) -> None:
    data = delimiter.join(["First Name", "Last Name", "City"]) + "\n" + delimiter.join(["Ada", "Lovelace", "London"])
    headers, rows = table_rows(data.encode(), "CSV")
    assert headers == ["First Name", "Last Name", "City"]
    assert rows == [RawRow(1, {"First Name": "Ada", "Last Name": "Lovelace", "City": "London"})]


def test_csv_with_a_byte_order_mark_keeps_its_first_header_clean() -> None:
    headers, _ = table_rows("\ufeffEmail,Name\nx@y.z,X\n".encode(), "CSV")
    assert headers == ["Email", "Name"]


def test_csv_rows_are_numbered_by_record_blank_lines_skipped_quoted_newlines_kept() -> None:
    data = b'A,B\n\n1,"two\nlines"\n , \n3,4\n'
    _, rows = table_rows(data, "CSV")
    assert [(r.number, r.cells) for r in rows] == [(1, {"A": "1", "B": "two\nlines"}), (2, {"A": "3", "B": "4"})]


def test_csv_short_rows_are_padded_and_long_rows_are_a_row_problem() -> None:
    _, rows = table_rows(b"A,B,\n1\n1,2,,\n1,2,3\n", "CSV")
    assert [r.cells for r in rows[:2]] == [{"A": "1", "B": ""}, {"A": "1", "B": "2"}]
    assert [r.problems for r in rows] == [(), (), ((None, "the row has 3 cells but the header names 2 columns"),)]


@pytest.mark.parametrize(("data", "why"), [
    (b"", "no header row"),
    (b"\n \n", "no header row"),
    (b"A,,B\n", "column 2 of the header row has no name"),
    (b"A,B,A\n", "names the column 'A' twice"),
    (b"A,B\n1,\"2\n", "line 2: unexpected end of data (a quote is opened and never closed)"),
    (b"A,B\n\xff\xfe1,2\n", "not UTF-8"),
])
def test_broken_csv_files_are_refused(data: bytes, why: str) -> None:
    assert why in problem_of(data, "CSV")


@given(delimiter=st.sampled_from([",", ";", "\t"]),
       rows=st.lists(st.lists(st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
                              min_size=3, max_size=3).filter(lambda r: bool(r[0].strip())), max_size=8),
       bom=st.booleans())
def test_csv_round_trip(delimiter: str, rows: list[list[str]], bom: bool) -> None:
    """Whatever csv.writer writes (quotes, delimiters and newlines in cells), the table reads back."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(["First", "Second", "Third"])
    writer.writerows(rows)
    data = ("\ufeff" if bom else "") + out.getvalue()
    headers, read = table_rows(data.encode(), "CSV")
    assert headers == ["First", "Second", "Third"]
    assert [[r.cells[h] for h in headers] for r in read] == rows
    assert [r.number for r in read] == list(range(1, len(rows) + 1))


# XLSX


def xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_cells_read_as_the_text_a_person_sees() -> None:
    data = xlsx([["Phone", "Born", "Meeting", "Score", "Active", None, None],
                 [5551234, datetime(1815, 12, 10), datetime(2025, 1, 2, 9, 30), 2.5, True],
                 [None, None, None, None, None],
                 ["+1 555", date(2020, 2, 29), time(8, 15), 3.0, False]])
    headers, rows = table_rows(data, "XLSX")
    assert headers == ["Phone", "Born", "Meeting", "Score", "Active"]
    assert [(r.number, list(r.cells.values())) for r in rows] == [
        (1, ["5551234", "1815-12-10", "2025-01-02T09:30:00", "2.5", "true"]),
        (2, ["+1 555", "2020-02-29", "08:15:00", "3", "false"]),
    ]


def test_cell_text_keeps_large_and_fractional_numbers() -> None:
    assert [cell_text(v) for v in (5551234.0, 0.1, 1e20, -3, None)] == ["5551234", "0.1", "1e+20", "-3", ""]


@pytest.mark.parametrize(("data", "why"), [
    (b"PK\x03\x04not really a zip", "not a zip archive"),
    (b"First,Last\n", "not a zip archive"),
    (xlsx([]), "no header row"),
])
def test_broken_workbooks_are_refused(data: bytes, why: str) -> None:
    assert why in problem_of(data, "XLSX")


def test_a_zip_that_is_no_workbook_is_refused() -> None:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hello")
    assert "cannot be read as an .xlsx workbook" in problem_of(out.getvalue(), "XLSX")


# XML


def test_xml_records_take_their_columns_from_children_and_attributes() -> None:
    data = b"""<?xml version="1.0"?>
    <c:contacts xmlns:c="urn:example">
      <c:contact id="7"><c:FirstName>Ada</c:FirstName><LastName> Lovelace </LastName></c:contact>
      <!-- a comment -->
      <contact FirstName="Grace" Email="grace@example.org"/>
      <contact><FirstName/></contact>
      <contact><FirstName>Alan</FirstName><FirstName>Al</FirstName><Address><Line>1</Line></Address></contact>
    </c:contacts>"""
    headers, rows = table_rows(data, "XML")
    assert headers == ["id", "FirstName", "LastName", "Email", "Address"]
    assert [(r.number, r.cells, r.problems) for r in rows] == [
        (1, {"id": "7", "FirstName": "Ada", "LastName": " Lovelace "}, ()),
        (2, {"FirstName": "Grace", "Email": "grace@example.org"}, ()),
        (3, {"FirstName": "Alan", "Address": ""},
         (("Address", "the field Address contains elements; a field holds text only"),
          ("FirstName", "the field FirstName appears more than once in this record"))),
    ]


@pytest.mark.parametrize(("data", "why"), [
    (b"", "not well-formed"),
    (b"<contacts><contact>", "not well-formed"),
    (b"<contacts></contacts>", "no records"),
    (b'<!DOCTYPE contacts SYSTEM "http://example.org/x.dtd"><contacts><c><A>1</A></c></contacts>', "DTD"),
    (b'<!DOCTYPE c [<!ENTITY e "x">]><contacts><c><A>&e;</A></c></contacts>', "DTD"),
])
def test_broken_or_dangerous_xml_is_refused(data: bytes, why: str) -> None:
    assert why in problem_of(data, "XML")


# Formats


@pytest.mark.parametrize(("name", "head", "given", "expected"), [
    ("people.CSV", b"<x>", None, "CSV"),
    ("people.tsv", b"", None, "CSV"),
    ("people.xlsx", b"", None, "XLSX"),
    ("people.xml", b"", None, "XML"),
    ("upload", b"PK\x03\x04", None, "XLSX"),
    ("upload", b"\xef\xbb\xbf  <?xml", None, "XML"),
    (None, b"First,Last", None, "CSV"),
    ("people.xml", b"", "CSV", "CSV"),
])
def test_the_format_comes_from_the_caller_the_extension_or_the_first_bytes(
    name: str | None, head: bytes, given: str | None, expected: str,
) -> None:
    assert detect_format(name, head, given) == expected


# Mapping


def test_headers_map_by_normalised_name_and_alias_first_one_winning() -> None:
    headers = ["Given name", "SURNAME", "E-mail Address", "Business Phone", "Mobile", "Title", "Company",
               "Street", "Town", "Zip", "Country/Region", "Email", "Do Not Email", "Remarks"]
    mapping = map_columns("CONTACT", headers)
    assert dict(mapping.columns) == {
        "Given name": "firstName", "SURNAME": "lastName", "E-mail Address": "email",
        "Business Phone": "businessPhone", "Mobile": "mobilePhone", "Title": "jobTitle", "Company": "account",
        "Street": "addressLine", "Town": "city", "Zip": "postalCode", "Country/Region": "country",
        "Email": None, "Do Not Email": "doNotEmail", "Remarks": None,
    }


def test_account_headers_map_to_account_fields() -> None:
    mapping = map_columns("ACCOUNT", ["Account Name", "Main Phone", "Web site", "Parent Account", "Postcode"])
    assert [f for _, f in mapping.columns] == ["name", "phone", "website", "parentAccount", "postalCode"]
    assert normalise(" Post-Code ") == "postcode"


def test_an_explicit_mapping_overrides_and_can_ignore_columns() -> None:
    mapping = map_columns("CONTACT", ["First Name", "Last Name", "Name", "Email"],
                          [("name", "lastName"), ("Last Name", None), ("email", "jobTitle")])
    assert dict(mapping.columns) == {"First Name": "firstName", "Last Name": None, "Name": "lastName",
                                     "Email": "jobTitle"}


def test_a_wrong_mapping_names_every_mistake() -> None:
    with pytest.raises(DomainError) as caught:
        map_columns("CONTACT", ["A", "B"], [("A", "firstName"), ("A", "lastName"), ("C", "email"),
                                             ("B", "firstName"), ("B", "shoe")])
    assert [(p.message, p.field) for p in caught.value.problems] == [
        ("the column 'A' is mapped twice", ("input", "mapping", "1", "column")),
        ("the file has no column 'C'", ("input", "mapping", "2", "column")),
        ("firstName is already filled from mapping 0", ("input", "mapping", "3", "field")),
        ("a contact has no field 'shoe'; fields: account, addressLine, businessPhone, city, country, doNotEmail, "
         "doNotPhone, doNotText, email, externalId, firstName, jobTitle, lastName, mobilePhone, postalCode",
         ("input", "mapping", "4", "field")),
    ]


def test_a_required_field_no_column_fills_refuses_the_import() -> None:
    with pytest.raises(DomainError) as caught:
        map_columns("ACCOUNT", ["Company Phone", "City"])
    assert [p.field for p in caught.value.problems] == [("input", "mapping")]


# Rows


def check(headers: list[str], cells: list[str], record_type: str = "CONTACT") -> Candidate | list[tuple[object, ...]]:
    checker = RowChecker(map_columns(record_type, headers))
    outcome = checker.check(RawRow(3, dict(zip(headers, cells, strict=True))))
    if isinstance(outcome, Candidate):
        return outcome
    return [(p.row, p.code, p.column, p.field, p.message) for p in outcome]


def test_a_good_row_becomes_checked_values_and_its_account_reference() -> None:
    outcome = check(["First", "Last", "Mail", "Account", "Zip", "Do not call"],
                    [" Ada ", "Lovelace", "Ada@Example.org", " Import Sports ", "", "X"])
    assert outcome == Candidate(3, {"first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Example.org",
                                    "postal_code": None, "do_not_phone": True},
                                "Import Sports", "Account", "ada@example.org", "Mail")


def test_row_problems_point_at_the_column_and_field_at_fault() -> None:
    outcome = check(["First Name", "Surname", "E-mail", "Mobile", "Street", "Do not email", "Account"],
                    ["Ada", " ", "ada@", "call me", "x" * 401, "maybe", "Acme\x00"])
    assert outcome == [
        (3, ErrorCode.VALIDATION, "Surname", "lastName", "lastName is required"),
        (3, ErrorCode.VALIDATION, "Street", "addressLine", "addressLine is longer than 400 characters"),
        (3, ErrorCode.VALIDATION, "E-mail", "email", "'ada@' is not an email address"),
        (3, ErrorCode.VALIDATION, "Mobile", "mobilePhone", "'call me' is not a phone number"),
        (3, ErrorCode.VALIDATION, "Do not email", "doNotEmail",
         "doNotEmail must be yes or no (true/false, 1/0), not 'maybe'"),
        (3, ErrorCode.VALIDATION, "Account", "account", "account contains a NUL character"),
    ]


def test_references_are_ids_or_names() -> None:
    raw = uuid.uuid4()

    def parse_id(text: str) -> tuple[str, uuid.UUID] | None:
        return (text.split(":")[0], raw) if ":" in text else None

    assert parse_reference(str(raw), parse_id) == Reference(id=raw)
    assert parse_reference("Account:x", parse_id) == Reference(id=raw)
    assert parse_reference("Contact:x", parse_id) == Reference(wrong_type="Contact")
    assert parse_reference("Acme", parse_id) == Reference(name="Acme")
    assert parse_reference("Account:x", None) == Reference(name="Account:x")
