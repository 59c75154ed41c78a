"""Importing accounts and contacts (R-IMP-1) through the `importRecords` multipart upload.

The same rows are sent as CSV, XLSX (built with openpyxl) and XML and must give the same
result; refused files and refused imports must leave every table as it was.
"""

from __future__ import annotations

import gc
import io
import json
import uuid
from typing import Any
from xml.sax.saxutils import escape

import openpyxl
import pytest
from sqlalchemy import select

from graph.commands import import_batches, imports
from graph.db import Database
from graph.models import EventTopic, OutboxEvent
from graph.rules.access import Depth
from resolvers.ids import parse_global_id, to_global_id
from tests.support.client import Api
from tests.support.org import Org
from tests.support.record_factories import account, add_custom_role, contact, record_row, table_counts

RESULT = """dryRun recordType format rowsInFile rowsRead created duplicates failed complete
    columns { column field } problemsTruncated createdIds
    problems { row column field code message duplicateOf duplicateOfRow }"""
IMPORT = f"""mutation($input: ImportRecordsInput!) {{ importRecords(input: $input) {{
    errors {{ code message field }} result {{ {RESULT} }} }} }}"""

HEADER = ["FirstName", "LastName", "Email", "Phone", "JobTitle", "Company"]
# Ten good rows; row 4 has no last name, row 7 a bad email, row 10 the email of a contact
# that exists already (case differs).
ROWS = [
    ["Ada", "Lovelace", "ada@example.org", "+44 20 7946 0001", "Analyst", "Import Sports"],
    ["Grace", "Hopper", "grace@example.org", "", "Admiral", ""],
    ["Alan", "Turing", "alan@example.org", "+44 20 7946 0003", "", "Import Sports"],
    ["Nobody", "", "nobody@example.org", "", "", ""],
    ["Edsger", "Dijkstra", "", "", "Professor", ""],
    ["Barbara", "Liskov", "barbara@example.org", "", "", "Import Sports"],
    ["Bad", "Email", "not-an-email", "", "", ""],
    ["Donald", "Knuth", "don@example.org", "", "Author", ""],
    ["Zoë", "Łukasik", "zoe@example.org", "", "", "Import Sports"],
    ["Chris", "Again", "CHRIS.PRESTON@example.org", "", "", ""],
    ["Frances", "Allen", "fran@example.org", "", "", ""],
    ["Ken", "Thompson", "ken@example.org", "", "", ""],
    ["Radia", "Perlman", "radia@example.org", "", "", ""],
]
COLUMNS = [{"column": "FirstName", "field": "firstName"}, {"column": "LastName", "field": "lastName"},
           {"column": "Email", "field": "email"}, {"column": "Phone", "field": "businessPhone"},
           {"column": "JobTitle", "field": "jobTitle"}, {"column": "Company", "field": "account"}]


def csv_bytes(header: list[str], rows: list[list[str]], *, delimiter: str = ",") -> bytes:
    def cell(value: str) -> str:
        return f'"{value}"' if any(ch in value for ch in (delimiter, '"', "\n")) else value
    lines = [delimiter.join(cell(v) for v in row) for row in [header, *rows]]
    return ("\r\n".join(lines) + "\r\n").encode()


def xlsx_bytes(header: list[str], rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append([v if v != "" else None for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xml_bytes(header: list[str], rows: list[list[str]], *, record: str = "contact") -> bytes:
    records = "".join(
        f"<{record}>" + "".join(f"<{h}>{escape(v)}</{h}>" for h, v in zip(header, row, strict=True) if v)
        + f"</{record}>"
        for row in rows
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{record}s>{records}</{record}s>\n'.encode()


FILES = {"CSV": ("contacts.csv", csv_bytes), "XLSX": ("contacts.xlsx", xlsx_bytes), "XML": ("contacts.xml", xml_bytes)}


async def import_file(api: Api, file_name: str, data: bytes, *, as_: str = "admin",
                      record_type: str = "CONTACT", **fields: Any) -> dict[str, Any]:
    """importRecords as a GraphQL multipart request; the payload (errors kept)."""
    operations = {"query": IMPORT, "variables": {"input": {"recordType": record_type, "file": None, **fields}}}
    response = await api.http.post(
        "/graphql", headers={"Authorization": f"Bearer {api.tokens[as_]}", "Apollo-Require-Preflight": "true"},
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.input.file"]})},
        files={"0": (file_name, data, "application/octet-stream")},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body["errors"]
    return body["data"]["importRecords"]


async def imported(api: Api, file_name: str, data: bytes, **kw: Any) -> dict[str, Any]:
    payload = await import_file(api, file_name, data, **kw)
    assert payload["errors"] == [], payload["errors"]
    return payload["result"]


async def contacts_by_email(api: Api) -> dict[str, dict[str, Any]]:
    data = await api("""{ contacts(first: 100, includeInactive: true) { edges { node {
        id fullName email businessPhone jobTitle account { id name } owner { ... on User { fullName } } } } } }""")
    return {n["email"] or n["fullName"]: n for n in (e["node"] for e in data["contacts"]["edges"])}


async def existing_data(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    sports = await account(api, "Import Sports")
    chris = await contact(api, "Chris", "Preston", email="chris.preston@example.org")
    return sports, chris


def expected_problems(chris_id: str | None) -> list[dict[str, Any]]:
    return [
        {"row": 4, "column": "LastName", "field": "lastName", "code": "VALIDATION",
         "message": "lastName is required", "duplicateOf": None, "duplicateOfRow": None},
        {"row": 7, "column": "Email", "field": "email", "code": "VALIDATION",
         "message": "'not-an-email' is not an email address", "duplicateOf": None, "duplicateOfRow": None},
        {"row": 10, "column": "Email", "field": "email", "code": "DUPLICATE",
         "message": "a contact with the email CHRIS.PRESTON@example.org already exists",
         "duplicateOf": chris_id, "duplicateOfRow": None},
    ]


@pytest.mark.parametrize("fmt", ["CSV", "XLSX", "XML"])
async def test_r_imp_1_ten_good_rows_import_and_three_are_reported_by_row_in_every_format(
    api: Api, db: Database, fmt: str,
) -> None:
    sports, chris = await existing_data(api)
    before = await table_counts(db)
    file_name, build = FILES[fmt]
    result = await imported(api, file_name, build(HEADER, ROWS))
    assert {k: v for k, v in result.items() if k != "createdIds"} == {
        "dryRun": False, "recordType": "CONTACT", "format": fmt, "rowsInFile": 13, "rowsRead": 13,
        "created": 10, "duplicates": 1, "failed": 2, "complete": True, "columns": COLUMNS,
        "problemsTruncated": False, "problems": expected_problems(chris["id"]),
    }
    stored = await contacts_by_email(api)
    assert set(result["createdIds"]) == {c["id"] for c in stored.values()} - {chris["id"]}
    ada = stored["ada@example.org"]
    assert (ada["fullName"], ada["businessPhone"], ada["jobTitle"], ada["account"]) == (
        "Ada Lovelace", "+44 20 7946 0001", "Analyst", {"id": sports["id"], "name": "Import Sports"})
    assert stored["zoe@example.org"]["fullName"] == "Zoë Łukasik"
    assert stored["Edsger Dijkstra"]["owner"] == {"fullName": "Ada Admin"}
    after = await table_counts(db)
    # Each created record is written, evented and audited exactly as createContact does it.
    assert {t: after[t] - before[t] for t in ("records", "events", "event_topics", "audit_entries")} == {
        "records": 10, "events": 10, "event_topics": 10, "audit_entries": 10}


async def test_r_imp_1_an_imported_contact_is_stored_evented_and_audited_as_create_contact_does(
    api: Api, db: Database,
) -> None:
    """Same input through createContact and through an import: the same stored columns (but
    ids, names and times), the same event, the same audit entry."""
    sports = await account(api, "Import Sports")
    fields = {"email": "ada@example.org", "businessPhone": "+44 20 7946 0001", "jobTitle": "Analyst",
              "mobilePhone": "+44 7700 900001", "address": {"line": "12 St James's Sq", "city": "London",
                                                            "postalCode": "SW1Y 4JH", "country": "UK"}}
    created = await contact(api, "Ada", "Lovelace", accountId=sports["id"], **fields)
    header = ["First Name", "Last Name", "Email", "Phone", "Job Title", "Mobile", "Street", "City", "Zip",
              "Country", "Account"]
    row = ["Ada", "Lovelace", "ada2@example.org", "+44 20 7946 0001", "Analyst", "+44 7700 900001",
           "12 St James's Sq", "London", "SW1Y 4JH", "UK", "Import Sports"]
    result = await imported(api, "one.csv", csv_bytes(header, [row]))
    [imported_id] = result["createdIds"]
    ignore = {"id", "email", "created_on", "modified_on"}
    made, loaded = await record_row(db, created["id"]), await record_row(db, imported_id)
    assert {k: v for k, v in loaded.items() if k not in ignore} == {k: v for k, v in made.items() if k not in ignore}
    query = """query($id: ID!) { auditTrail(recordId: $id, first: 5) { nodes {
        action subjectType version changes { field } actor { ... on User { fullName } } } } }"""
    trails = [(await api(query, {"id": i}))["auditTrail"]["nodes"] for i in (created["id"], imported_id)]
    assert trails[0] == trails[1] == [{"action": "CREATED", "subjectType": "Contact", "version": 1, "changes": [],
                                       "actor": {"fullName": "Ada Admin"}}]
    async with db.read() as session:
        events = (await session.execute(select(OutboxEvent.kind, OutboxEvent.payload, EventTopic.topic)
                                        .join(EventTopic, EventTopic.event_id == OutboxEvent.id)
                                        .order_by(OutboxEvent.id))).all()
    ids = [str(parse_global_id(i)[1]) for i in (created["id"], imported_id)]  # type: ignore[index]
    mine = [e for e in events if e.payload.get("recordId") in ids]
    assert [(e.kind, e.payload, e.topic) for e in mine] == [
        ("record.changed", {"recordId": i, "recordType": "CONTACT", "change": "CREATED", "fields": []}, f"record:{i}")
        for i in ids]


async def test_r_imp_1_a_dry_run_reports_the_same_and_writes_nothing(api: Api, db: Database) -> None:
    _, chris = await existing_data(api)
    before = await table_counts(db)
    result = await imported(api, "contacts.csv", csv_bytes(HEADER, ROWS), dryRun=True)
    assert await table_counts(db) == before
    assert (result["dryRun"], result["created"], result["duplicates"], result["failed"], result["createdIds"]) == (
        True, 10, 1, 2, [])
    assert result["problems"] == expected_problems(chris["id"])


async def test_r_imp_1_rows_repeating_an_email_of_the_file_are_duplicates_of_the_first(api: Api) -> None:
    rows = [["Ada", "Lovelace", "ada@example.org"], ["Ada", "Again", "ADA@example.org"],
            ["No", "", "grace@example.org"], ["Grace", "Hopper", "grace@example.org"]]
    header = ["First Name", "Last Name", "E-mail"]
    dry = await imported(api, "c.csv", csv_bytes(header, rows), dryRun=True)
    real = await imported(api, "c.csv", csv_bytes(header, rows))
    assert [(p["row"], p["code"], p["duplicateOfRow"]) for p in real["problems"]] == [
        (2, "DUPLICATE", 1), (3, "VALIDATION", None)]
    assert real["problems"][0]["duplicateOf"] == real["createdIds"][0]
    assert dry["problems"][0]["duplicateOf"] is None and dry["created"] == real["created"] == 2
    again = await imported(api, "c.csv", csv_bytes(header, rows))
    assert (again["created"], again["duplicates"]) == (0, 3)  # re-importing creates nothing twice


MALFORMED = [
    ("latin1.csv", "First Name,Last Name\nRen\xe9,M\xfcller\n".encode("latin-1"), "not UTF-8"),
    ("quote.csv", b"First Name,Last Name\n" + b"Ada,Lovelace\n" * 50 + b'"Grace,Hopper\n', "line"),
    ("stray.csv", b'First Name,Last Name\nAda,"Love"lace\n', "line 2"),
    ("empty.csv", b"", "no header row"),
    ("twice.csv", b"First Name,Last Name,Last Name\nAda,Lovelace,L\n", "twice"),
    ("utf16.csv", "First Name,Last Name\n".encode("utf-16"), "UTF-16"),
    ("book.xlsx", b"First Name,Last Name\nAda,Lovelace\n", "not a zip"),
    ("broken.xml", b"<contacts><contact><FirstName>Ada</FirstName></contacts>", "not well-formed"),
    ("bomb.xml", b'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
                 b"<contacts><contact><FirstName>&b;</FirstName><LastName>L</LastName></contact></contacts>",
     "DTD"),
    ("none.xml", b"<contacts/>", "no records"),
]


@pytest.mark.parametrize(("file_name", "data", "why"), MALFORMED, ids=[m[0] for m in MALFORMED])
async def test_r_imp_1_a_malformed_file_is_refused_whole_with_nothing_written(
    api: Api, db: Database, file_name: str, data: bytes, why: str,
) -> None:
    before = await table_counts(db)
    payload = await import_file(api, file_name, data)
    assert payload["result"] is None
    [error] = payload["errors"]
    assert (error["code"], error["field"]) == ("MALFORMED_FILE", ["input", "file"])
    assert why in error["message"] and file_name in error["message"]
    assert await table_counts(db) == before


async def test_r_imp_1_contacts_name_their_account_by_name_global_id_or_raw_id(api: Api) -> None:
    sports = await account(api, "Import Sports")
    twin_a = await account(api, "Twin Peaks")
    await account(api, "Twin Peaks")
    closed = await account(api, "Closed Shop")
    await api.ok("deactivateRecord", {"id": closed["id"]}, "record { id }")
    raw = str(uuid.UUID(bytes=_raw_id(twin_a["id"])))
    rows = [["A", "One", "IMPORT SPORTS"], ["B", "Two", sports["id"]], ["C", "Three", raw],
            ["D", "Four", "Twin Peaks"], ["E", "Five", "Nowhere Ltd"], ["F", "Six", "Closed Shop"],
            ["G", "Seven", to_global_id("Contact", uuid.uuid4())]]
    result = await imported(api, "c.csv", csv_bytes(["First Name", "Last Name", "Account"], rows))
    assert [(p["row"], p["code"], p["column"], p["field"], p["message"]) for p in result["problems"]] == [
        (4, "AMBIGUOUS", "Account", "account", "2 accounts are named 'Twin Peaks'; give its id instead"),
        (5, "NOT_FOUND", "Account", "account", "no account named 'Nowhere Ltd'"),
        (6, "DEACTIVATED", "Account", "account", "account 'Closed Shop' is inactive; activate it first"),
        (7, "VALIDATION", "Account", "account", "account must name an account; this is the id of a Contact"),
    ]
    stored = await contacts_by_email(api)
    assert [stored[n]["account"]["id"] for n in ("A One", "B Two", "C Three")] == [
        sports["id"], sports["id"], twin_a["id"]]


def _raw_id(global_id: str) -> bytes:
    parsed = parse_global_id(global_id)
    assert parsed is not None
    return parsed[1].bytes


async def test_r_imp_1_accounts_import_with_a_parent_named_by_an_earlier_row(api: Api) -> None:
    rows = [["Contoso", "", "Retail"], ["Contoso East", "Contoso", "Retail"], ["Fabrikam", "Nobody Inc", ""]]
    data = xlsx_bytes(["Account Name", "Parent Account", "Industry"], rows)
    dry = await imported(api, "accounts.xlsx", data, record_type="ACCOUNT", dryRun=True)
    result = await imported(api, "accounts.xlsx", data, record_type="ACCOUNT")
    assert dry["created"] == result["created"] == 2
    assert [(p["row"], p["code"]) for p in result["problems"]] == [(3, "NOT_FOUND")]
    found = await api("""{ accounts(first: 10) { edges { node { name industry parentAccount { name } } } } }""")
    assert sorted((n["name"], (n["parentAccount"] or {}).get("name")) for n in
                  (e["node"] for e in found["accounts"]["edges"])) == [("Contoso", None), ("Contoso East", "Contoso")]


async def test_r_imp_1_an_explicit_mapping_overrides_the_automatic_one(api: Api) -> None:
    header = ["Vorname", "Nachname", "Mail", "Email", "Notiz"]
    rows = [["Ada", "Lovelace", "ada@example.org", "ignored@example.org", "hi"]]
    mapping = [{"column": "Vorname", "field": "firstName"}, {"column": "nachname", "field": "LastName"},
               {"column": "Mail", "field": "email"}, {"column": "Email", "field": None}]
    result = await imported(api, "c.csv", csv_bytes(header, rows, delimiter=";"), mapping=mapping)
    assert result["columns"] == [{"column": "Vorname", "field": "firstName"},
                                 {"column": "Nachname", "field": "lastName"}, {"column": "Mail", "field": "email"},
                                 {"column": "Email", "field": None}, {"column": "Notiz", "field": None}]
    assert list(await contacts_by_email(api)) == ["ada@example.org"]


async def test_r_imp_1_a_wrong_mapping_refuses_the_import(api: Api, db: Database) -> None:
    before = await table_counts(db)
    data = csv_bytes(["Given", "Family"], [["Ada", "Lovelace"]])
    payload = await import_file(api, "c.csv", data, mapping=[{"column": "Nope", "field": "firstName"},
                                                             {"column": "Family", "field": "shoeSize"}])
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("VALIDATION", ["input", "mapping", "0", "column"]), ("VALIDATION", ["input", "mapping", "1", "field"])]
    unmapped = await import_file(api, "c.csv", data)
    assert [e["message"] for e in unmapped["errors"]] == [
        "no column is mapped to firstName, which a contact needs; map a column to it in the mapping",
        "no column is mapped to lastName, which a contact needs; map a column to it in the mapping"]
    assert await table_counts(db) == before


async def test_r_imp_1_an_importer_who_may_not_create_contacts_is_refused(api: Api, db: Database, org: Org) -> None:
    before = await table_counts(db)
    payload = await import_file(api, "c.csv", csv_bytes(HEADER, ROWS), as_="norole")
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("FORBIDDEN", ["input", "recordType"])]
    other_unit = await import_file(api, "c.csv", csv_bytes(HEADER, ROWS), as_="sales1",
                                   ownerId=to_global_id("User", org.users["sales3"]))
    assert [e["code"] for e in other_unit["errors"]] == ["FORBIDDEN"]
    assert await table_counts(db) == before


async def test_r_imp_1_records_the_importer_cannot_read_are_not_duplicates(api: Api, db: Database, org: Org) -> None:
    """No leak: a contact only the admin may read does not make the own-records user's row a duplicate."""
    await contact(api, "Secret", "Person", email="secret@example.org")
    await add_custom_role(db, org, role="own_only", key="own", unit="sales",
                          depths={"create": Depth.USER, "read": Depth.USER, "write": Depth.USER})
    data = csv_bytes(["First Name", "Last Name", "Email"], [["Open", "Person", "secret@example.org"]])
    result = await imported(api, "c.csv", data, as_="own")
    assert (result["created"], result["duplicates"], result["problems"]) == (1, 0, [])


async def test_r_imp_1_a_failing_batch_leaves_no_half_written_row(
    api: Api, db: Database, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Batches of 4: the second one fails after its rows were flushed; the first stays whole."""
    monkeypatch.setattr(imports, "BATCH_SIZE", 4)
    real_write = import_batches.write_rows
    calls = 0

    async def write_then_fail(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        rows = await real_write(*args, **kwargs)
        if calls == 2:
            raise RuntimeError("disk on fire")
        return rows

    monkeypatch.setattr(imports, "write_rows", write_then_fail)
    before = await table_counts(db)
    rows = [[f"First{i}", f"Last{i}", f"p{i}@example.org"] for i in range(1, 11)]
    result = await imported(api, "c.csv", csv_bytes(["First Name", "Last Name", "Email"], rows))
    assert (result["complete"], result["rowsInFile"], result["rowsRead"]) == (False, 10, 8)
    assert (result["created"], result["failed"]) == (4, 4)
    assert [(p["row"], p["code"]) for p in result["problems"]] == [(r, "BATCH_FAILED") for r in (5, 6, 7, 8)]
    assert "rows 5-8 failed (internal error " in result["problems"][0]["message"]
    assert sorted(await contacts_by_email(api)) == [f"p{i}@example.org" for i in range(1, 5)]
    after = await table_counts(db)
    assert {t: after[t] - before[t] for t in ("records", "events", "audit_entries")} == {
        "records": 4, "events": 4, "audit_entries": 4}
    assert gc.get_freeze_count() == 0  # the failed import gave the heap back to the collector


async def test_r_imp_1_the_problem_list_is_capped_but_the_counts_are_not(api: Api) -> None:
    rows = [[f"First{i}", ""] for i in range(1205)]
    result = await imported(api, "c.csv", csv_bytes(["First Name", "Last Name"], rows), dryRun=True)
    assert (result["failed"], len(result["problems"]), result["problemsTruncated"]) == (1205, 1000, True)
