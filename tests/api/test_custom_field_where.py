"""Custom fields in `where:` (R-QRY-1 with R-QRY-2), through GraphQL: a condition on a custom
field never shows a row the viewer may not read (nor tells that one exists through a
relation), unknown and retired fields are VALIDATION errors naming their place in the
filter, and the definitions cost one statement per request however often they are named.

The comparison of every operator and combination with rows computed in Python is
tests/api/test_filters.py (`custom_fields` in the generated filters)."""

from __future__ import annotations

from typing import Any

from graph.db import Database
from graph.rules.access import Depth
from tests.support.client import Api
from tests.support.filter_world import account_names
from tests.support.org import Org
from tests.support.record_factories import account, add_custom_role
from tests.support.sql_counter import SqlCounter

ACCOUNTS = """query($w: AccountWhere, $f: AccountFilter) {
    accounts(filter: $f, where: $w, first: 50) { totalCount edges { node { name } } } }"""
CONTACTS = """query($w: ContactWhere) { contacts(where: $w, first: 50) { totalCount edges { node { lastName } } } }"""
GOLD = {"customFields": [{"name": "tier", "value": "gold"}]}
VIP = {"customFields": [{"name": "vip", "operator": "EQ", "value": "true"}]}


async def define(api: Api, record_type: str, name: str, type_: str, **more: Any) -> str:
    payload = await api.ok("defineCustomField", {"recordType": record_type, "name": name, "label": name.title(),
                                                 "type": type_, **more}, "field { id }")
    return str(payload["field"]["id"])


async def names(api: Api, where: dict[str, Any] | None, flt: dict[str, Any] | None = None, *,
                as_: str = "admin") -> list[str]:
    return await account_names(api, ACCOUNTS, where, flt, as_=as_)


async def test_r_qry_2_custom_field_conditions_never_show_what_the_viewer_may_not_read(
        api: Api, db: Database, org: Org) -> None:
    await add_custom_role(db, org, role="own rows", key="reader", unit="sales", depths={"read": Depth.USER})
    reader = (await api("{ viewer { user { id } } }", as_="reader"))["viewer"]["user"]["id"]
    await define(api, "ACCOUNT", "tier", "CHOICE", choices=["Gold", "Silver"])
    await define(api, "CONTACT", "vip", "BOOLEAN")
    await account(api, "Hidden Gold", customFields=[{"name": "tier", "choice": "Gold"}])
    mine = await account(api, "Reader Co", ownerId=reader, customFields=[{"name": "tier", "choice": "Silver"}])
    await api.ok("createContact", {"firstName": "Val", "lastName": "Admins", "accountId": mine["id"],
                                   "customFields": [{"name": "vip", "boolean": True}]}, "contact { id }")
    await api.ok("createContact", {"firstName": "Rae", "lastName": "Readers", "accountId": mine["id"],
                                   "ownerId": reader}, "contact { id }")

    # The gold account is not the reader's: no row, a count of 0, and `not` finds only their own.
    assert await names(api, GOLD) == ["Hidden Gold"]
    assert await names(api, GOLD, as_="reader") == []
    assert await names(api, {"not": GOLD}, as_="reader") == ["Reader Co"]
    assert await names(api, {"or": [GOLD, {"customFields": [{"name": "tier", "operator": "IS_NULL",
                                                             "value": "false"}]}]}, as_="reader") == ["Reader Co"]
    # Through a relation: the admin's VIP contact on the reader's account stays unknown to them.
    assert await names(api, {"contacts": VIP}) == ["Reader Co"]
    assert await names(api, {"contacts": VIP}, as_="reader") == []
    assert await names(api, {"not": {"contacts": VIP}}, as_="reader") == ["Reader Co"]
    data = await api(CONTACTS, {"w": {"account": {"or": [GOLD, {"name": {"eq": "Hidden Gold"}}]}}}, as_="reader")
    assert data["contacts"] == {"totalCount": 0, "edges": []}
    data = await api(CONTACTS, {"w": {"not": VIP, "account": {"not": GOLD}}}, as_="reader")
    assert data["contacts"] == {"totalCount": 1, "edges": [{"node": {"lastName": "Readers"}}]}


async def _error(api: Api, where: dict[str, Any], query: str = ACCOUNTS) -> dict[str, Any]:
    body = await api.raw(query, {"w": where})
    assert body.get("errors") and body.get("data") is None, body
    [error] = body["errors"]
    return dict(error["extensions"])


async def test_r_qry_2_unknown_retired_or_ill_typed_custom_fields_name_their_place(api: Api) -> None:
    retired = await define(api, "ACCOUNT", "legacy", "TEXT")
    await define(api, "ACCOUNT", "seats", "NUMBER")
    await define(api, "CONTACT", "score", "DECIMAL")
    await api.ok("retireCustomField", {"id": retired}, "field { retired }")
    await account(api, "Acme", customFields=[{"name": "seats", "number": 10}])

    assert await _error(api, {"or": [{"name": {"eq": "x"}}, {"customFields": [{"name": "nope"}]}]}) == {
        "code": "VALIDATION", "field": ["where", "or", "1", "customFields", "0", "name"]}
    assert await _error(api, {"customFields": [{"name": "seats", "operator": "GT", "value": "1"},
                                               {"name": "legacy", "value": "x"}]}) == {
        "code": "VALIDATION", "field": ["where", "customFields", "1", "name"]}
    assert await _error(api, {"not": {"contacts": {"customFields": [{"name": "score", "value": "lots"}]}}}) == {
        "code": "VALIDATION", "field": ["where", "not", "contacts", "customFields", "0", "value"]}
    # A contact's field is not an account's.
    assert await _error(api, {"customFields": [{"name": "score", "value": "1"}]}) == {
        "code": "VALIDATION", "field": ["where", "customFields", "0", "name"]}
    assert await _error(api, {"account": {"customFields": [{"name": "seats", "operator": "CONTAINS",
                                                            "value": "1"}]}}, CONTACTS) == {
        "code": "VALIDATION", "field": ["where", "account", "customFields", "0", "operator"]}
    # The same conditions that are fine answer, and `filter.customFields` still works beside them.
    assert await names(api, {"customFields": [{"name": "seats", "operator": "GT", "value": "1"}]},
                       {"customFields": [{"name": "seats", "operator": "LT", "value": "11"}]}) == ["Acme"]


PAGE = """query($w: AccountWhere, $f: AccountFilter) { accounts(first: 50, where: $w, filter: $f) { totalCount
  edges { node { id name owner { ... on User { fullName } } } } } }"""


async def test_r_qry_2_definitions_load_once_per_request(api: Api, sql: SqlCounter) -> None:
    await define(api, "ACCOUNT", "seats", "NUMBER")
    await define(api, "CONTACT", "score", "DECIMAL")
    for i in range(3):
        made = await account(api, f"Account {i}", customFields=[{"name": "seats", "number": i}])
        await api.ok("createContact", {"firstName": "Ann", "lastName": f"{i}", "accountId": made["id"],
                                       "customFields": [{"name": "score", "decimal": "2.5"}]}, "contact { id }")
    built_in = {"or": [{"contacts": {"firstName": {"eq": "ann"}}}, {"name": {"startsWith": "zz"}}],
                "createdOn": {"gte": "2000-01-01T00:00:00Z"}}
    with sql.count() as plain:
        data = await api(PAGE, {"w": built_in})
    assert data["accounts"]["totalCount"] == 3
    seats = {"customFields": [{"name": "seats", "operator": "GTE", "value": "1"}]}
    custom = {"or": [{"contacts": {"firstName": {"eq": "ann"}, "customFields": [{"name": "score", "value": "2.5"}]}},
                     {"name": {"startsWith": "zz"}}, {"not": seats}],
              "and": [seats, {"contacts": {"customFields": [{"name": "score", "operator": "GT", "value": "1"}]}}],
              "createdOn": {"gte": "2000-01-01T00:00:00Z"}}
    with sql.count() as filtered:
        data = await api(PAGE, {"w": custom, "f": seats})
    assert data["accounts"]["totalCount"] == 2
    # One statement for the definitions of every record type the filter names, whatever the count of conditions.
    assert len(filtered) == len(plain) + 1, filtered
