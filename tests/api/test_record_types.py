"""Record types' display names over the API (R-REC-3): administrators rename, everyone reads,
schema type names never change."""

from __future__ import annotations

from typing import Any

from graph.db import Database
from tests.support.client import Api
from tests.support.record_factories import table_counts

RECORD_TYPES = "{ recordTypes { recordType schemaName singular plural defaultSingular defaultPlural } }"
INFO = "recordType { recordType schemaName singular plural defaultSingular defaultPlural }"


def codes(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def names(api: Api, as_: str = "sales1") -> dict[str, tuple[str, str]]:
    data = await api(RECORD_TYPES, as_=as_)
    return {t["recordType"]: (t["singular"], t["plural"]) for t in data["recordTypes"]}


async def test_r_rec_3_every_record_type_has_default_names(api: Api) -> None:
    data = await api(RECORD_TYPES, as_="norole")
    assert [(t["recordType"], t["schemaName"]) for t in data["recordTypes"]] == [
        ("ACCOUNT", "Account"), ("CONTACT", "Contact"), ("LEAD", "Lead"), ("OPPORTUNITY", "Opportunity"),
        ("CASE", "Case")]
    assert all((t["singular"], t["plural"]) == (t["defaultSingular"], t["defaultPlural"]) for t in data["recordTypes"])
    assert data["recordTypes"][3]["plural"] == "Opportunities"


async def test_r_rec_3_an_administrator_renames_accounts_to_companies(api: Api) -> None:
    payload = await api.ok("renameRecordType", {"recordType": "ACCOUNT", "singular": " Company ",
                                                "plural": "Companies"}, INFO)
    assert payload["recordType"] == {"recordType": "ACCOUNT", "schemaName": "Account", "singular": "Company",
                                     "plural": "Companies", "defaultSingular": "Account",
                                     "defaultPlural": "Accounts"}
    await api.ok("renameRecordType", {"recordType": "CASE", "singular": "Ticket", "plural": "Tickets"}, INFO)
    seen = await names(api, as_="sales2")
    assert seen["ACCOUNT"] == ("Company", "Companies") and seen["CASE"] == ("Ticket", "Tickets")
    assert seen["CONTACT"] == ("Contact", "Contacts")
    # The schema keeps its type names: clients built against `Account` keep working.
    schema = await api('{ __type(name: "Account") { name } }')
    assert schema["__type"] == {"name": "Account"}


async def test_r_rec_3_giving_the_defaults_back_resets_the_names(api: Api) -> None:
    await api.ok("renameRecordType", {"recordType": "LEAD", "singular": "Prospect", "plural": "Prospects"}, INFO)
    await api.ok("renameRecordType", {"recordType": "LEAD", "singular": "Lead", "plural": "Leads"}, INFO)
    assert (await names(api))["LEAD"] == ("Lead", "Leads")


async def test_r_rec_3_only_administrators_rename_and_nothing_changes_otherwise(api: Api, db: Database) -> None:
    before = await table_counts(db)
    for user in ("manager", "sales1", "norole"):
        payload = await api.mutate("renameRecordType", {"recordType": "ACCOUNT", "singular": "Company",
                                                        "plural": "Companies"}, INFO, as_=user)
        assert payload["recordType"] is None
        assert [c for c, _ in codes(payload)] == ["FORBIDDEN"]
    assert (await names(api))["ACCOUNT"] == ("Account", "Accounts")
    assert await table_counts(db) == before


async def test_r_rec_3_blank_or_long_names_are_refused(api: Api) -> None:
    payload = await api.mutate("renameRecordType", {"recordType": "CONTACT", "singular": "  ", "plural": "x" * 101},
                               INFO)
    assert codes(payload) == [("VALIDATION", ["input", "singular"]), ("VALIDATION", ["input", "plural"])]
    assert (await names(api))["CONTACT"] == ("Contact", "Contacts")


async def test_record_types_need_a_signed_in_caller(api: Api) -> None:
    body = await api.raw(RECORD_TYPES, as_=None)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
