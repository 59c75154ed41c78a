"""Duplicate rules (R-QRY-3): a warning to acknowledge on create and update, naming the
matches; `duplicates(recordId)`; only records the viewer may read are compared."""

from __future__ import annotations

from graph.db import Database
from tests.support.client import Api
from tests.support.record_factories import table_counts

CONTACT = "contact { id }"
DUPES = """query($id: ID!) { duplicates(recordId: $id) { rules record { id name } } }"""


async def test_a_contact_with_the_same_email_or_phone_digits_needs_acknowledging(api: Api, db: Database) -> None:
    ada = (await api.ok("createContact", {"firstName": "Ada", "lastName": "Lovelace", "email": "Ada@Example.org",
                                          "mobilePhone": "+44 (20) 7946-0001"}, CONTACT))["contact"]
    before = await table_counts(db)
    warned = await api.mutate("createContact", {"firstName": "A.", "lastName": "Lovelace",
                                                "email": "ada@example.ORG"}, CONTACT)
    assert [e["code"] for e in warned["errors"]] == ["DUPLICATE"] and warned["contact"] is None
    assert "Ada Lovelace" in warned["errors"][0]["message"]
    assert warned["errors"][0]["field"] == ["input", "acknowledgeWarnings"]
    by_phone = await api.mutate("createContact", {"firstName": "Other", "lastName": "Person",
                                                  "businessPhone": "442079460001"}, CONTACT)
    assert [e["code"] for e in by_phone["errors"]] == ["DUPLICATE"]
    assert await table_counts(db) == before
    twin = (await api.ok("createContact", {"firstName": "A.", "lastName": "Lovelace", "email": "ada@example.ORG",
                                           "acknowledgeWarnings": True}, CONTACT))["contact"]
    found = (await api(DUPES, {"id": ada["id"]}))["duplicates"]
    assert found == [{"rules": ["EMAIL"], "record": {"id": twin["id"], "name": "A. Lovelace"}}]
    # An update that changes what the rules read is checked again; other fields are not.
    plain = (await api.ok("createContact", {"firstName": "Grace", "lastName": "Hopper"}, CONTACT))["contact"]
    moved = await api.mutate("updateContact", {"id": plain["id"], "email": "ADA@example.org"}, CONTACT)
    assert [e["code"] for e in moved["errors"]] == ["DUPLICATE"]
    await api.ok("updateContact", {"id": twin["id"], "jobTitle": "Analyst"}, CONTACT)


async def test_accounts_match_by_name_ignoring_punctuation_under_the_same_parent(api: Api) -> None:
    account = "account { id }"
    first = (await api.ok("createAccount", {"name": "Import Sports, Inc."}, account))["account"]
    warned = await api.mutate("createAccount", {"name": "import  sports inc"}, account)
    assert [e["code"] for e in warned["errors"]] == ["DUPLICATE"]
    child = await api.ok("createAccount", {"name": "Import Sports Inc", "parentAccountId": first["id"]}, account)
    assert child["account"]["id"]  # another parent: not the same account
    assert (await api(DUPES, {"id": first["id"]}))["duplicates"] == []


async def test_leads_match_by_email_and_rules_see_only_readable_records(api: Api) -> None:
    lead = "lead { id }"
    made = await api.ok("createLead", {"topic": "Bikes", "lastName": "Rider", "email": "rider@example.org"}, lead,
                        as_="sales1")
    warned = await api.mutate("createLead", {"topic": "Bikes", "lastName": "Rider", "email": "RIDER@example.org"},
                              lead, as_="sales2")
    assert [e["code"] for e in warned["errors"]] == ["DUPLICATE"]
    twin = await api.ok("createLead", {"topic": "Bikes", "lastName": "Rider", "email": "RIDER@example.org",
                                       "acknowledgeWarnings": True}, lead, as_="sales2")
    assert [d["record"]["id"] for d in (await api(DUPES, {"id": made["lead"]["id"]}, as_="sales1"))["duplicates"]] \
        == [twin["lead"]["id"]]
    # Someone who may read neither is told nothing, and a bad id is simply no match.
    assert (await api(DUPES, {"id": made["lead"]["id"]}, as_="norole"))["duplicates"] == []
    assert (await api(DUPES, {"id": "bm90IGFuIGlk"}))["duplicates"] == []
