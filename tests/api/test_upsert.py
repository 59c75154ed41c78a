"""Upsert (R-QRY-5): create mutations and the import find a record by an alternate key
(email, name + parent, external id) and update it instead of creating another."""

from __future__ import annotations

import json
from typing import Any

from graph.db import Database
from tests.support.client import Api
from tests.support.record_factories import account, table_counts

CONTACT = "created contact { id firstName jobTitle email externalId version }"
ACCOUNT = "created account { id name website version }"
IMPORT = """mutation($input: ImportRecordsInput!) { importRecords(input: $input) {
  errors { code message field }
  result { created updated duplicates failed rowsRead rows { row action recordId } problems { row code message } } } }"""


async def import_csv(api: Api, data: bytes, *, as_: str = "sales1", **fields: Any) -> dict[str, Any]:
    operations = {"query": IMPORT, "variables": {"input": {"recordType": "CONTACT", "file": None, **fields}}}
    response = await api.http.post(
        "/graphql", headers={"Authorization": f"Bearer {api.tokens[as_]}", "Apollo-Require-Preflight": "true"},
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.input.file"]})},
        files={"0": ("people.csv", data, "text/csv")},
    )
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body
    payload = body["data"]["importRecords"]
    assert payload["errors"] == [], payload["errors"]
    return payload["result"]  # type: ignore[no-any-return]


async def test_create_contact_upserts_by_email_ignoring_case(api: Api) -> None:
    first = await api.ok("createContact", {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.org",
                                           "upsertBy": "EMAIL"}, CONTACT, as_="sales1")
    assert first["created"] is True
    again = await api.ok("createContact", {"firstName": "Ada", "lastName": "Lovelace", "email": "ADA@example.org",
                                           "jobTitle": "Analyst", "upsertBy": "EMAIL"}, CONTACT, as_="sales1")
    assert again["created"] is False
    assert again["contact"]["id"] == first["contact"]["id"]
    assert again["contact"]["jobTitle"] == "Analyst" and again["contact"]["version"] == 2
    # Without upsertBy the same create makes a second contact (and a duplicate warning is another rule).
    missing = await api.mutate("createContact", {"firstName": "No", "lastName": "Mail", "upsertBy": "EMAIL"}, CONTACT)
    assert missing["errors"][0]["code"] == "VALIDATION"


async def test_create_account_upserts_by_name_and_parent(api: Api) -> None:
    parent = await account(api, "Holding")
    first = await api.ok("createAccount", {"name": "Import Sports, Inc.", "parentAccountId": parent["id"],
                                           "upsertBy": "NAME_AND_PARENT"}, ACCOUNT)
    same = await api.ok("createAccount", {"name": "import sports inc", "parentAccountId": parent["id"],
                                          "website": "https://sports.example", "upsertBy": "NAME_AND_PARENT"}, ACCOUNT)
    assert (same["created"], same["account"]["id"]) == (False, first["account"]["id"])
    assert same["account"]["website"] == "https://sports.example"
    elsewhere = await api.ok("createAccount", {"name": "Import Sports, Inc.", "upsertBy": "NAME_AND_PARENT"}, ACCOUNT)
    assert elsewhere["created"] is True  # another parent (none): another account


async def test_external_ids_are_unique_per_type_and_upsert_every_type(api: Api, db: Database) -> None:
    first = await api.ok("createContact", {"firstName": "Ext", "lastName": "One", "externalId": "crm-1"}, CONTACT)
    before = await table_counts(db)
    taken = await api.mutate("createContact", {"firstName": "Ext", "lastName": "Two", "externalId": "crm-1"}, CONTACT)
    assert [e["code"] for e in taken["errors"]] == ["DUPLICATE"] and taken["contact"] is None
    assert await table_counts(db) == before
    same = await api.ok("createContact", {"firstName": "Ext", "lastName": "Two", "externalId": "crm-1",
                                          "upsertBy": "EXTERNAL_ID"}, CONTACT)
    assert (same["created"], same["contact"]["id"]) == (False, first["contact"]["id"])
    # The same external id on another type is another key.
    other = await api.ok("createAccount", {"name": "Ext", "externalId": "crm-1", "upsertBy": "EXTERNAL_ID"}, ACCOUNT)
    assert other["created"] is True
    lead = "created lead { id topic }"
    made = await api.ok("createLead", {"topic": "Bikes", "lastName": "Rider", "externalId": "L-9",
                                       "upsertBy": "EXTERNAL_ID"}, lead)
    again = await api.ok("createLead", {"topic": "More bikes", "lastName": "Rider", "externalId": "L-9",
                                        "upsertBy": "EXTERNAL_ID"}, lead)
    assert (made["created"], again["created"], again["lead"]["topic"]) == (True, False, "More bikes")
    wrong = await api.mutate("createLead", {"topic": "x", "lastName": "y", "upsertBy": "NAME_AND_PARENT"}, lead)
    assert wrong["errors"][0]["code"] == "VALIDATION"


async def test_an_upsert_needs_the_write_right_on_the_match(api: Api, db: Database) -> None:
    await api.ok("createContact", {"firstName": "Own", "lastName": "Ed", "email": "own@example.org"}, CONTACT,
                 as_="sales1")
    before = await table_counts(db)
    refused = await api.mutate("createContact", {"firstName": "Own", "lastName": "Ed", "email": "own@example.org",
                                                 "jobTitle": "x", "upsertBy": "EMAIL"}, CONTACT, as_="sales2")
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert await table_counts(db) == before


async def test_importing_the_same_csv_twice_with_upsert_creates_then_updates(api: Api) -> None:
    first_file = (b"FirstName,LastName,Email,JobTitle\n"
                  b"Ada,Lovelace,ada@example.org,Analyst\nGrace,Hopper,grace@example.org,\n"
                  b"Alan,Turing,alan@example.org,Codebreaker\n")
    created = await import_csv(api, first_file, upsertBy="EMAIL")
    assert (created["created"], created["updated"], created["failed"], created["duplicates"]) == (3, 0, 0, 0)
    assert [(r["row"], r["action"]) for r in created["rows"]] == [(1, "CREATED"), (2, "CREATED"), (3, "CREATED")]
    second_file = first_file.replace(b"grace@example.org,", b"GRACE@example.org,Admiral")
    updated = await import_csv(api, second_file, upsertBy="EMAIL")
    assert (updated["created"], updated["updated"], updated["failed"], updated["duplicates"]) == (0, 3, 0, 0)
    assert [(r["row"], r["action"], r["recordId"]) for r in updated["rows"]] == [
        (r["row"], "UPDATED", r["recordId"]) for r in created["rows"]]
    contacts = await api("{ contacts(first: 10) { edges { node { email jobTitle version } } } }", as_="sales1")
    nodes = {n["node"]["email"].lower(): n["node"] for n in contacts["contacts"]["edges"]}
    assert nodes["grace@example.org"]["jobTitle"] == "Admiral" and nodes["grace@example.org"]["version"] == 2
    assert nodes["ada@example.org"]["jobTitle"] == "Analyst"
    # Without upsertBy the same file reports duplicates, as before.
    plain = await import_csv(api, first_file)
    assert (plain["created"], plain["updated"], plain["duplicates"]) == (0, 0, 3)
