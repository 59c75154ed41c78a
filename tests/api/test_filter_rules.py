"""R-QRY-1 through GraphQL: the older filters still work beside `where`, relations never
reveal a row the viewer may not read, bad and oversized filters are typed errors, filters
count in the cost, and a filtered page costs the same few statements as a plain one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graph.db import Database
from graph.queries.filters import MAX_DEPTH
from graph.rules.access import Depth
from tests.support.client import Api
from tests.support import databases
from tests.support.filter_world import account_names
from tests.support.org import Org
from tests.support.record_factories import account, add_custom_role
from tests.support.sql_counter import SqlCounter

ACCOUNTS = "query($w: AccountWhere, $f: AccountFilter) { accounts(filter: $f, where: $w) { totalCount edges { node { name } } } }"
MAX_COST = 1010  # accounts(first: 500) { edges { node { id } } } costs 1001


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    return databases.test_settings(file_store_dir=str(tmp_path / "files"), max_cost=MAX_COST)


async def names(api: Api, where: dict[str, Any] | None, flt: dict[str, Any] | None = None, *,
                as_: str = "admin") -> list[str]:
    return await account_names(api, ACCOUNTS, where, flt, as_=as_)


async def test_r_qry_1_older_filter_fields_and_where_hold_together(api: Api) -> None:
    for name, industry in (("Acme Retail", "Retail"), ("Alpha Energy", "Energy"), ("Beta Retail", "retail")):
        await account(api, name, industry=industry)
    assert await names(api, None, {"industry": "retail"}) == ["Acme Retail", "Beta Retail"]
    assert await names(api, {"name": {"startsWith": "a"}}, {"industry": "retail"}) == ["Acme Retail"]
    assert await names(api, {"or": [{"industry": {"eq": "ENERGY"}}, {"name": {"contains": "beta"}}]}) == \
        ["Alpha Energy", "Beta Retail"]
    assert await names(api, {"not": {"industry": {"in": ["retail"]}}}) == ["Alpha Energy"]


async def test_r_qry_1_a_relation_sees_only_what_the_viewer_may_read(api: Api, db: Database, org: Org) -> None:
    await add_custom_role(db, org, role="own rows", key="reader", unit="sales", depths={"read": Depth.USER})
    reader = await api("{ viewer { user { id } } }", as_="reader")
    mine = await account(api, "Reader Co", ownerId=reader["viewer"]["user"]["id"])
    case = await api.ok("createCase", {"title": "Down", "customerId": mine["id"], "priority": "HIGH"},
                        "case { id }", as_="admin")
    high = {"cases": {"priority": {"eq": "HIGH"}}}
    # The admin's case is not the reader's to see: the filter does not tell them it exists.
    assert await names(api, high, as_="reader") == []
    assert await names(api, {"not": high}, as_="reader") == ["Reader Co"]
    assert await names(api, high) == ["Reader Co"]
    await api.ok("shareRecord", {"recordId": case["case"]["id"], "principalId": reader["viewer"]["user"]["id"]},
                 "__typename")
    assert await names(api, high, as_="reader") == ["Reader Co"]


async def _errors(api: Api, query: str, variables: dict[str, Any]) -> list[dict[str, Any]]:
    body = await api.raw(query, variables)
    assert body.get("errors"), body
    return body["errors"]


async def test_r_qry_1_deep_or_bad_filters_are_validation_errors(api: Api) -> None:
    deep: dict[str, Any] = {"name": {"eq": "x"}}
    for _ in range(MAX_DEPTH):
        deep = {"not": deep}
    [error] = await _errors(api, ACCOUNTS, {"w": deep})
    assert error["extensions"]["code"] == "VALIDATION"
    assert error["extensions"]["field"] == ["where", *(["not"] * MAX_DEPTH)]
    for _ in range(20):  # deep, yet within the request body's own nesting limit
        deep = {"contacts": {"account": deep}}
    [error] = await _errors(api, ACCOUNTS, {"w": deep})
    assert error["extensions"]["code"] == "VALIDATION"
    [error] = await _errors(api, ACCOUNTS, {"w": {"owner": {"eq": (await account(api, "Not a user"))["id"]}}})
    assert error["extensions"] == {"code": "VALIDATION", "field": ["where", "owner", "eq"]}
    [error] = await _errors(api, ACCOUNTS, {"w": {"createdOn": {"gt": "2031-01-01T00:00:00"}}})
    assert error["extensions"] == {"code": "VALIDATION", "field": ["where", "createdOn", "gt"]}


async def test_r_api_3_filters_count_in_the_cost(api: Api) -> None:
    page = "query($w: AccountWhere) { accounts(first: 500, where: $w) { edges { node { id } } } }"
    await api(page, {"w": {"name": {"eq": "x"}, "industry": {"ne": "y"}}})  # 1001 + 2
    [error] = await _errors(api, page, {"w": {"contacts": {"name": {"eq": "x"}}}})  # 1001 + 10 + 1
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert error["extensions"]["cost"] == 1012
    # Custom-field conditions (R-QRY-2) count one each, like any condition.
    [error] = await _errors(api, page, {"w": {"not": {"customFields": [{"name": "seats"}] * 10}}})  # 1001 + 10
    assert (error["extensions"]["code"], error["extensions"]["cost"]) == ("QUERY_TOO_COSTLY", 1011)


PAGE = """query($w: AccountWhere) { accounts(first: 50, where: $w) { totalCount
  edges { node { id name owner { ... on User { fullName } } } } } }"""


async def test_r_qry_1_a_filtered_page_costs_the_same_statements(api: Api, sql: SqlCounter) -> None:
    for i in range(3):
        created = await account(api, f"Account {i}", industry="Retail")
        await api.ok("createContact", {"firstName": "Ann", "lastName": f"{i}", "accountId": created["id"]},
                     "contact { id }")
    with sql.count() as plain:
        await api(PAGE, {"w": None})
    where = {"or": [{"contacts": {"firstName": {"eq": "ann"}, "account": {"industry": {"eq": "retail"}}}},
                    {"name": {"startsWith": "zz"}}], "createdOn": {"gte": "2000-01-01T00:00:00Z"}}
    with sql.count() as filtered:
        data = await api(PAGE, {"w": where})
    assert data["accounts"]["totalCount"] == 3
    assert len(filtered) == len(plain)
