"""Custom fields over the API (R-QRY-2): the walkthrough an administrator and a seller go
through, on both backends: define four fields of different types on accounts, write
them, import a CSV that maps them by label, filter and sort by them, rename a label,
retire one. Then refusals: who may define, what a value may be, nothing written."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from graph.db import Database
from graph.models import Account, AuditEntry, utcnow
from resolvers.ids import parse_global_id
from tests.api.test_import import csv_bytes, imported
from tests.support.client import Api
from tests.support.org import Org
from tests.support.record_factories import account, table_counts
from tests.support.sql_counter import SqlCounter

FIELD = "field { id name label type required choices lookupType retired sortable version }"
VALUES = """customFields { name label type
    ... on TextFieldValue { text } ... on NumberFieldValue { number } ... on DecimalFieldValue { decimal }
    ... on DateFieldValue { date } ... on DateTimeFieldValue { dateTime } ... on BooleanFieldValue { boolean }
    ... on ChoiceFieldValue { choice } ... on MultiChoiceFieldValue { choices }
    ... on LookupFieldValue { recordId record { id name } } }"""
LIST = """query($filter: AccountFilter, $orderBy: [RecordOrder!], $after: String) {
    accounts(first: 2, filter: $filter, orderBy: $orderBy, after: $after) {
        edges { node { name } } pageInfo { hasNextPage endCursor } } }"""


def codes(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def define(api: Api, name: str, label: str, type_: str, **more: Any) -> dict[str, Any]:
    payload = await api.ok("defineCustomField", {"recordType": "ACCOUNT", "name": name, "label": label,
                                                 "type": type_, **more}, FIELD)
    return payload["field"]


async def names(api: Api, filter_: dict[str, Any] | None = None, order: list[dict[str, Any]] | None = None,
                *, as_: str = "admin") -> list[str]:
    """Every account name the filter matches, in the order, walked two at a time by cursor."""
    found: list[str] = []
    after = None
    while True:
        data = await api(LIST, {"filter": filter_, "orderBy": order, "after": after}, as_=as_)
        page = data["accounts"]
        found += [e["node"]["name"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


async def values_of(api: Api, account_id: str) -> dict[str, Any]:
    data = await api(f'query($id: ID!) {{ node(id: $id) {{ ... on Account {{ {VALUES} }} }} }}', {"id": account_id})
    return {v["name"]: {k: x for k, x in v.items() if k not in ("name", "label", "type")}
            for v in data["node"]["customFields"]}


async def test_r_qry_2_custom_field_walkthrough(api: Api, db: Database) -> None:
    # 1. An administrator defines four fields of different types on accounts.
    tier = await define(api, "tier", "Customer tier", "CHOICE", choices=["Gold", "Silver", "Bronze"])
    seats = await define(api, "seats", "Seats", "NUMBER")
    await define(api, "renewal", "Renewal date", "DATE")
    await define(api, "partner", "Partner", "BOOLEAN")
    assert (tier["type"], tier["choices"], tier["sortable"], tier["version"]) == (
        "CHOICE", ["Gold", "Silver", "Bronze"], True, 1)
    listed = await api('{ customFieldDefinitions(recordType: ACCOUNT) { name label type } }', as_="sales1")
    assert [d["name"] for d in listed["customFieldDefinitions"]] == ["tier", "seats", "renewal", "partner"]

    # 2. A seller writes them on create and update; the values come back typed.
    acme = await account(api, "Acme", as_="sales1", customFields=[
        {"name": "tier", "choice": "gold"}, {"name": "seats", "number": 120},
        {"name": "renewal", "date": "2027-03-01"}, {"name": "partner", "boolean": True}])
    assert await values_of(api, acme["id"]) == {"tier": {"choice": "Gold"}, "seats": {"number": 120},
                                                "renewal": {"date": "2027-03-01"}, "partner": {"boolean": True}}
    blue = await account(api, "Blue Ltd", as_="sales1", customFields=[{"name": "seats", "number": 5}])
    updated = await api.ok("updateAccount", {"id": blue["id"], "customFields": [
        {"name": "tier", "choice": "Silver"}, {"name": "seats", "number": 8}]},
        "account { version customField(name: \"seats\") { ... on NumberFieldValue { number } } }", as_="sales1")
    assert updated["account"]["customField"] == {"number": 8}
    # Audited field by field, like built-in fields.
    async with db.read() as session:
        entries = (await session.scalars(select(AuditEntry).where(
            AuditEntry.subject_id == parse_global_id(blue["id"])[1], AuditEntry.action == "UPDATED"))).all()
    assert [c for e in entries for c in e.changes] == [
        {"field": "customFields.seats", "old": 5, "new": 8}, {"field": "customFields.tier", "old": None, "new": "Silver"}]

    # 3. A CSV maps its columns to the fields by label.
    csv = csv_bytes(["Name", "Customer Tier", "Seats", "Renewal date", "Partner"], [
        ["Cobalt", "Bronze", "40", "2027-01-15", "yes"],
        ["Delta", "Gold", "300", "", "no"],
        ["Echo", "Platinum", "1", "", ""],
        ["Foxtrot", "", "", "2026-12-31", ""],
    ])
    result = await imported(api, "accounts.csv", csv, record_type="ACCOUNT")
    assert result["columns"] == [{"column": "Name", "field": "name"}, {"column": "Customer Tier", "field": "tier"},
                                 {"column": "Seats", "field": "seats"}, {"column": "Renewal date", "field": "renewal"},
                                 {"column": "Partner", "field": "partner"}]
    assert (result["created"], result["failed"]) == (3, 1)
    assert [(p["row"], p["column"], p["field"], p["code"]) for p in result["problems"]] == [
        (3, "Customer Tier", "tier", "VALIDATION")]
    imported_ids = {n: i for n, i in zip(("Cobalt", "Delta", "Foxtrot"), result["createdIds"], strict=True)}
    assert await values_of(api, imported_ids["Cobalt"]) == {
        "tier": {"choice": "Bronze"}, "seats": {"number": 40}, "renewal": {"date": "2027-01-15"},
        "partner": {"boolean": True}}

    # 4. Filter and sort by them (pages of two, walked by cursor).
    assert await names(api, {"customFields": [{"name": "seats", "operator": "GTE", "value": "8"}]},
                       [{"field": "CUSTOM_FIELD", "customField": "seats", "direction": "DESC"}]) == [
        "Delta", "Acme", "Cobalt", "Blue Ltd"]
    assert await names(api, {"customFields": [{"name": "tier", "operator": "IN", "values": ["gold", "Silver"]}]}) == [
        "Acme", "Blue Ltd", "Delta"]
    assert await names(api, {"customFields": [{"name": "partner", "value": "true"},
                                              {"name": "renewal", "operator": "LT", "value": "2027-02-01"}]}) == [
        "Cobalt"]
    assert await names(api, {"customFields": [{"name": "renewal", "operator": "IS_NULL"}]}) == ["Blue Ltd", "Delta"]
    # Records without a value come last ascending, first descending.
    by_renewal = [{"field": "CUSTOM_FIELD", "customField": "renewal"}, {"field": "NAME"}]
    assert await names(api, None, by_renewal) == ["Foxtrot", "Cobalt", "Acme", "Blue Ltd", "Delta"]
    by_renewal[0]["direction"] = "DESC"
    assert await names(api, None, by_renewal) == ["Blue Ltd", "Delta", "Acme", "Cobalt", "Foxtrot"]

    # 5. Rename a label: values stay, the new label shows in lists and maps the next import.
    labels = '{ accounts(first: 1) { edges { node { customField(name: "tier") { label } } } } }'
    assert (await api(labels))["accounts"]["edges"][0]["node"]["customField"] == {"label": "Customer tier"}
    renamed = await api.ok("updateCustomField", {"id": tier["id"], "label": "Service level"}, FIELD)
    assert (await api(labels))["accounts"]["edges"][0]["node"]["customField"] == {"label": "Service level"}
    assert (renamed["field"]["label"], renamed["field"]["version"]) == ("Service level", 2)
    data = await api('query($id: ID!) { node(id: $id) { ... on Account { customField(name: "tier") { label } } } }',
                     {"id": acme["id"]})
    assert data["node"]["customField"] == {"label": "Service level"}
    again = await imported(api, "more.csv", csv_bytes(["Name", "Service Level"], [["Golf", "Silver"]]),
                           record_type="ACCOUNT", dryRun=True)
    assert again["columns"][1] == {"column": "Service Level", "field": "tier"}

    # 6. Retire one: gone from values, definitions, filters and order; the name stays taken.
    retired = await api.ok("retireCustomField", {"id": seats["id"]}, FIELD)
    assert retired["field"]["retired"] is True
    assert "seats" not in await values_of(api, acme["id"])
    listed = await api('{ customFieldDefinitions(recordType: ACCOUNT) { name } }')
    assert [d["name"] for d in listed["customFieldDefinitions"]] == ["tier", "renewal", "partner"]
    body = await api.raw(LIST, {"filter": {"customFields": [{"name": "seats", "value": "1"}]}})
    assert body["errors"][0]["extensions"]["code"] == "VALIDATION"
    again = await api.mutate("defineCustomField", {"recordType": "ACCOUNT", "name": "seats", "label": "Seats",
                                                   "type": "TEXT"}, FIELD)
    assert codes(again) == [("VALIDATION", ["input", "name"])]


async def test_r_qry_2_values_are_checked_per_definition_and_nothing_is_written(api: Api, db: Database) -> None:
    await define(api, "tier", "Tier", "CHOICE", choices=["Gold", "Silver"], required=True)
    await define(api, "seats", "Seats", "NUMBER")
    await define(api, "owner2", "Second owner", "LOOKUP", lookupType="CONTACT")
    other = await account(api, "Other", customFields=[{"name": "tier", "choice": "Gold"}])
    before = await table_counts(db)
    payload = await api.mutate("createAccount", {"name": "Bad", "customFields": [
        {"name": "seats", "text": "many"}, {"name": "nope", "text": "x"},
        {"name": "owner2", "recordId": other["id"]}]}, "account { id }")
    assert payload["account"] is None
    assert codes(payload) == [
        ("VALIDATION", ["input", "customFields", "0", "text"]), ("VALIDATION", ["input", "customFields", "1", "name"]),
        ("VALIDATION", ["input", "customFields"])]
    assert "seats is a number field" in payload["errors"][0]["message"]
    assert payload["errors"][2]["message"] == "tier is required"
    payload = await api.mutate("createAccount", {"name": "Bad", "customFields": [
        {"name": "tier", "choice": "Platinum"}, {"name": "owner2", "recordId": other["id"]}]}, "account { id }")
    assert codes(payload) == [("VALIDATION", ["input", "customFields", "0", "choice"])]
    payload = await api.mutate("createAccount", {"name": "Bad", "customFields": [
        {"name": "tier", "choice": "Gold"}, {"name": "owner2", "recordId": other["id"]}]}, "account { id }")
    assert codes(payload) == [("VALIDATION", ["input", "customFields", "1", "recordId"])]
    payload = await api.mutate("updateAccount", {"id": other["id"], "customFields": [{"name": "tier"}]},
                               "account { id }")
    assert codes(payload) == [("VALIDATION", ["input", "customFields", "0", "choice"])]
    assert await table_counts(db) == before


async def test_r_qry_2_only_administrators_define_fields(api: Api, db: Database) -> None:
    before = await table_counts(db)
    for user in ("manager", "sales1"):
        payload = await api.mutate("defineCustomField", {"recordType": "ACCOUNT", "name": "tier", "label": "Tier",
                                                         "type": "TEXT"}, FIELD, as_=user)
        assert codes(payload) == [("FORBIDDEN", None)]
    payload = await api.mutate("defineCustomField", {"recordType": "ACCOUNT", "name": "Bad name", "label": " ",
                                                     "type": "CHOICE", "lookupType": "CONTACT"}, FIELD)
    assert [f for _, f in codes(payload)] == [["input", "name"], ["input", "label"], ["input", "choices"],
                                              ["input", "lookupType"]]
    assert await table_counts(db) == before


CUSTOM_PAGE = """query($first: Int!) {
  accounts(first: $first, filter: {customFields: [{name: "seats", operator: GTE, value: "10"}]},
           orderBy: [{field: CUSTOM_FIELD, customField: "seats", direction: DESC}]) {
    edges { node { name customFields { name ... on NumberFieldValue { number }
                                       ... on LookupFieldValue { record { name } } } } }
  }
}"""


async def test_r_qry_2_a_page_with_custom_fields_costs_the_same_statements_for_5_and_40_rows(
    api: Api, db: Database, org: Org, sql: SqlCounter,
) -> None:
    """Values come with the rows; the definitions are one statement per request, and the
    lookups' records one batch."""
    await define(api, "seats", "Seats", "NUMBER")
    await define(api, "buyer", "Buyer", "LOOKUP", lookupType="ACCOUNT")
    now, admin = utcnow(), org.users["admin"]
    async with db.unit_of_work() as session:
        target = Account(name="Target", state="ACTIVE", owner_id=admin, owning_business_unit_id=org.units["root"],
                         created_by_id=admin, modified_by_id=admin, created_on=now, modified_on=now, version=1)
        session.add(target)
        await session.flush()
        session.add_all(Account(
            name=f"Account {i:03}", state="ACTIVE", owner_id=admin, owning_business_unit_id=org.units["root"],
            created_by_id=admin, modified_by_id=admin, created_on=now, modified_on=now, version=1,
            custom_fields={"seats": 10 + i, "buyer": str(target.id)}) for i in range(45))
    counts = []
    for size in (5, 40):
        await api("{ viewer { roles } }")
        with sql.count() as statements:
            data = await api(CUSTOM_PAGE, {"first": size})
        edges = data["accounts"]["edges"]
        assert [e["node"]["name"] for e in edges] == [f"Account {44 - i:03}" for i in range(size)]
        assert edges[0]["node"]["customFields"] == [{"name": "seats", "number": 54},
                                                    {"name": "buyer", "record": {"name": "Target"}}]
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 4, counts


async def test_r_qry_2_a_cached_list_shows_a_renamed_label_at_once(
    api: Api, db: Database, sql: SqlCounter, app: Any,
) -> None:
    """Lists of accounts are answered from the response cache until the next committed event:
    relabelling a field is one, so no cached body shows the old label."""
    from tests.perf.test_response_cache import HIT, read, stamp

    tier = await define(api, "tier", "Tier", "CHOICE", choices=["Gold"])
    await account(api, "Acme", as_="sales1", customFields=[{"name": "tier", "choice": "Gold"}])
    labels = '{ accounts(first: 5) { edges { node { customField(name: "tier") { label } } } } }'
    try:
        await stamp(db)
        first, _ = await read(api, sql, labels)
        again, statements = await read(api, sql, labels)
        assert statements == HIT and again == first
        await api.ok("updateCustomField", {"id": tier["id"], "label": "Service level"}, FIELD)
        await stamp(db)
        fresh, statements = await read(api, sql, labels)
        assert statements != HIT
        assert fresh["data"]["accounts"]["edges"][0]["node"]["customField"] == {"label": "Service level"}
    finally:
        await app.state.response_cache.close()
