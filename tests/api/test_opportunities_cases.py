"""Opportunities and cases over the API: SPEC §2 fields and states, R-REC-2 (closed is
read-only; nothing new under a deactivated customer), R-TL-2 (their activities roll up to
the customer), R-REC-4, R-SEC-1 (write depths as for accounts), R-TL-3 (constant SQL per page)."""

from __future__ import annotations

from typing import Any

import pytest

from graph.db import Database
from tests.support.client import Api
from tests.support.record_factories import account, contact, record_row, table_counts
from tests.support.sql_counter import SqlCounter

DEAL = ("id name topic state statusReason estimatedRevenue estimatedCloseDate probability closedOn version "
        "customer { __typename id name } owner { ... on User { fullName } }")
CASE = "id title state statusReason priority origin resolveBy version customer { __typename id }"
TIMELINE = """query($id: ID!) { timeline(recordId: $id) { edges { relation node { ... on Task { id } } } } }"""


def codes(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def deal(api: Api, customer: str | None, *, as_: str = "sales1", **fields: Any) -> dict[str, Any]:
    values = {"topic": "Spring order", "customerId": customer, **fields}
    return (await api.ok("createOpportunity", values, f"opportunity {{ {DEAL} }}", as_=as_))["opportunity"]


async def case(api: Api, customer: str, *, as_: str = "sales1", **fields: Any) -> dict[str, Any]:
    values = {"title": "Broken pedal", "customerId": customer, **fields}
    return (await api.ok("createCase", values, f"case {{ {CASE} }}", as_=as_))["case"]


async def timeline(api: Api, record_id: str) -> dict[str, str]:
    data = await api(TIMELINE, {"id": record_id})
    return {e["node"]["id"]: e["relation"] for e in data["timeline"]["edges"] if e["node"]}


async def task(api: Api, regarding: str, *, as_: str = "sales1") -> str:
    payload = await api.ok("createTask", {"subject": "Follow up", "regardingId": regarding}, "task { id }", as_=as_)
    return str(payload["task"]["id"])


# --- opportunities --------------------------------------------------------------------------


async def test_an_opportunity_has_a_customer_revenue_close_date_and_probability(api: Api) -> None:
    acc = await account(api, "Import Sports")
    made = await deal(api, acc["id"], estimatedRevenue="12500.50", estimatedCloseDate="2025-06-30", probability=60)
    assert made["name"] == made["topic"] == "Spring order"
    assert (made["estimatedRevenue"], made["estimatedCloseDate"], made["probability"]) == ("12500.50", "2025-06-30", 60)
    assert (made["state"], made["closedOn"], made["version"]) == ("OPEN", None, 1)
    assert made["customer"] == {"__typename": "Account", "id": acc["id"], "name": "Import Sports"}
    assert made["owner"] == {"fullName": "Sam Seller"}


@pytest.mark.parametrize(("fields", "field"), [
    ({"probability": 101}, "probability"),
    ({"probability": -1}, "probability"),
    ({"estimatedRevenue": "-5"}, "estimatedRevenue"),
    ({"estimatedRevenue": "1.234"}, "estimatedRevenue"),
    ({"estimatedRevenue": "NaN"}, "estimatedRevenue"),
    ({"topic": "  "}, "topic"),
])
async def test_bad_opportunity_fields_are_refused_and_nothing_is_written(
    api: Api, db: Database, fields: dict[str, Any], field: str,
) -> None:
    before = await table_counts(db)
    payload = await api.mutate("createOpportunity", {"topic": "Deal", **fields}, "opportunity { id }")
    assert codes(payload) == [("VALIDATION", ["input", field])]
    assert await table_counts(db) == before


async def test_r_rec_2_no_new_opportunity_or_case_for_a_deactivated_customer(api: Api, db: Database) -> None:
    acc = await account(api, "Import Sports")
    person = await contact(api, "Chris", "Preston")
    for record in (acc, person):
        await api.ok("deactivateRecord", {"id": record["id"]}, "record { id }")
    before = await table_counts(db)
    for record in (acc, person):
        refused = await api.mutate("createOpportunity", {"topic": "Deal", "customerId": record["id"]},
                                   "opportunity { id }", as_="sales1")
        assert codes(refused) == [("DEACTIVATED", ["input", "customerId"])]
        refused = await api.mutate("createCase", {"title": "Issue", "customerId": record["id"]}, "case { id }",
                                   as_="sales1")
        assert codes(refused) == [("DEACTIVATED", ["input", "customerId"])]
    assert await table_counts(db) == before


async def test_the_customer_is_an_account_or_a_contact(api: Api) -> None:
    acc = await account(api, "Import Sports")
    other = await deal(api, acc["id"])
    refused = await api.mutate("createOpportunity", {"topic": "Deal", "customerId": other["id"]},
                               "opportunity { id }", as_="sales1")
    assert codes(refused) == [("VALIDATION", ["input", "customerId"])]


async def test_close_opportunity_as_won_makes_it_read_only(api: Api, db: Database) -> None:
    acc = await account(api, "Import Sports")
    made = await deal(api, acc["id"], probability=40)
    closed = await api.ok("closeOpportunity", {"id": made["id"], "outcome": "WON", "expectedVersion": 1},
                          "opportunity { state statusReason closedOn version }", as_="sales1")
    assert closed["opportunity"]["state"] == "WON" and closed["opportunity"]["statusReason"] == "WON"
    assert closed["opportunity"]["closedOn"] is not None and closed["opportunity"]["version"] == 2
    before = await table_counts(db)
    again = await api.mutate("closeOpportunity", {"id": made["id"], "outcome": "LOST"}, "opportunity { id }",
                             as_="sales1")
    assert codes(again) == [("INVALID_STATE", ["input", "id"])]
    update = await api.mutate("updateOpportunity", {"id": made["id"], "probability": 90}, "opportunity { id }",
                              as_="sales1")
    assert [c for c, _ in codes(update)] == ["DEACTIVATED"]
    assert await table_counts(db) == before
    listed = await api("{ opportunities { totalCount } all: opportunities(includeInactive: true) { nodes { state } } }")
    assert listed["opportunities"]["totalCount"] == 0 and listed["all"]["nodes"] == [{"state": "WON"}]


async def test_opportunity_lists_filter_by_customer_and_close_date(api: Api) -> None:
    a = await account(api, "Alpha")
    b = await account(api, "Beta")
    await deal(api, a["id"], topic="A1", estimatedCloseDate="2025-01-15")
    await deal(api, a["id"], topic="A2", estimatedCloseDate="2025-03-01")
    await deal(api, b["id"], topic="B1", estimatedCloseDate="2025-02-01")
    query = "query($f: OpportunityFilter) { opportunities(filter: $f) { totalCount nodes { topic } } }"
    by_customer = await api(query, {"f": {"customerId": a["id"]}})
    assert [n["topic"] for n in by_customer["opportunities"]["nodes"]] == ["A1", "A2"]
    by_date = await api(query, {"f": {"closeAfter": "2025-01-20", "closeBefore": "2025-03-01"}})
    assert [n["topic"] for n in by_date["opportunities"]["nodes"]] == ["A2", "B1"]


async def test_r_tl_2_activities_about_an_opportunity_roll_up_to_its_customer_and_move_with_it(api: Api) -> None:
    acc = await account(api, "Import Sports")
    other = await account(api, "Other Sports")
    person = await contact(api, "Chris", "Preston", accountId=acc["id"])
    on_account = await deal(api, acc["id"])
    on_person = await deal(api, person["id"], topic="Helmets")
    first, second = await task(api, on_account["id"]), await task(api, on_person["id"])
    assert await timeline(api, on_account["id"]) == {first: "DIRECT"}
    assert await timeline(api, person["id"]) == {second: "RELATED"}
    assert await timeline(api, acc["id"]) == {first: "RELATED", second: "RELATED"}
    await api.ok("updateOpportunity", {"id": on_account["id"], "customerId": other["id"]},
                 "opportunity { id }", as_="sales1")
    assert await timeline(api, acc["id"]) == {second: "RELATED"}
    assert await timeline(api, other["id"]) == {first: "RELATED"}


# --- cases ----------------------------------------------------------------------------------


async def test_a_case_has_a_title_customer_priority_origin_and_resolve_by(api: Api) -> None:
    acc = await account(api, "Import Sports")
    made = await case(api, acc["id"], origin="TWITTER", resolveBy="2025-05-01T12:00:00Z")
    assert (made["title"], made["state"], made["priority"], made["origin"]) == (
        "Broken pedal", "ACTIVE", "NORMAL", "TWITTER")
    assert made["resolveBy"].startswith("2025-05-01T12:00:00")
    assert made["customer"] == {"__typename": "Account", "id": acc["id"]}
    changed = await api.ok("updateCase", {"id": made["id"], "priority": "HIGH", "title": "Broken pedals"},
                           "case { title priority version }", as_="sales1")
    assert changed["case"] == {"title": "Broken pedals", "priority": "HIGH", "version": 2}


async def test_a_case_needs_a_title_a_customer_and_a_zoned_resolve_by(api: Api, db: Database) -> None:
    acc = await account(api, "Import Sports")
    before = await table_counts(db)
    payload = await api.mutate("createCase", {"title": " ", "customerId": acc["id"]}, "case { id }")
    assert codes(payload) == [("VALIDATION", ["input", "title"])]
    payload = await api.mutate("createCase", {"title": "X", "customerId": acc["id"],
                                              "resolveBy": "2025-05-01T12:00:00"}, "case { id }")
    assert codes(payload) == [("VALIDATION", ["input", "resolveBy"])]
    # Text no database stores (a NUL) or longer than the column: typed errors, nothing written.
    for title in ("Broken\u0000pedals", "x" * 401):
        payload = await api.mutate("createCase", {"title": title, "customerId": acc["id"]}, "case { id }")
        assert codes(payload) == [("VALIDATION", ["input", "title"])], title[:20]
    assert await table_counts(db) == before
    made = await case(api, acc["id"])
    payload = await api.mutate("updateCase", {"id": made["id"], "customerId": None}, "case { id }", as_="sales1")
    assert codes(payload) == [("VALIDATION", ["input", "customerId"])]


@pytest.mark.parametrize(("mutation", "state", "reason"), [
    ("resolveCase", "RESOLVED", "PROBLEM_SOLVED"), ("cancelCase", "CANCELED", "CANCELED"),
])
async def test_resolve_or_cancel_closes_a_case_for_good(api: Api, db: Database, mutation: str, state: str,
                                                        reason: str) -> None:
    acc = await account(api, "Import Sports")
    made = await case(api, acc["id"])
    done = await api.ok(mutation, {"id": made["id"]}, "case { state statusReason }", as_="sales1")
    assert done["case"] == {"state": state, "statusReason": reason}
    before = await table_counts(db)
    for name in ("resolveCase", "cancelCase"):
        again = await api.mutate(name, {"id": made["id"]}, "case { id }", as_="sales1")
        assert codes(again) == [("INVALID_STATE", ["input", "id"])]
    update = await api.mutate("updateCase", {"id": made["id"], "title": "Reopened?"}, "case { id }", as_="sales1")
    assert [c for c, _ in codes(update)] == ["DEACTIVATED"]
    assert await table_counts(db) == before
    assert (await record_row(db, made["id"]))["state"] == state
    listed = await api("{ cases { totalCount } all: cases(includeInactive: true) { totalCount } }")
    assert (listed["cases"]["totalCount"], listed["all"]["totalCount"]) == (0, 1)


async def test_r_tl_2_a_case_rolls_up_to_its_account(api: Api) -> None:
    acc = await account(api, "Import Sports")
    person = await contact(api, "Chris", "Preston", accountId=acc["id"])
    for_account = await case(api, acc["id"])
    for_person = await case(api, person["id"], title="Late delivery")
    first, second = await task(api, for_account["id"]), await task(api, for_person["id"])
    assert await timeline(api, for_account["id"]) == {first: "DIRECT"}
    assert await timeline(api, for_person["id"]) == {second: "DIRECT"}
    assert await timeline(api, person["id"]) == {second: "RELATED"}
    assert await timeline(api, acc["id"]) == {first: "RELATED", second: "RELATED"}


async def test_case_lists_filter_by_priority_origin_and_text(api: Api) -> None:
    acc = await account(api, "Import Sports")
    await case(api, acc["id"], title="Broken pedal", priority="HIGH", origin="PHONE")
    await case(api, acc["id"], title="Broken bell", priority="LOW", origin="WEB")
    await case(api, acc["id"], title="Invoice wrong", priority="HIGH", origin="WEB")
    query = "query($f: CaseFilter) { cases(filter: $f) { nodes { title } } }"
    assert [n["title"] for n in (await api(query, {"f": {"priorities": ["HIGH"]}}))["cases"]["nodes"]] == [
        "Broken pedal", "Invoice wrong"]
    assert [n["title"] for n in (await api(query, {"f": {"origins": ["WEB"], "text": "broken"}}))["cases"]["nodes"]] == [
        "Broken bell"]


# --- node, quick find, permissions, SQL per page --------------------------------------------


async def test_node_nodes_and_quick_find_return_opportunities_and_cases(api: Api) -> None:
    acc = await account(api, "Import Sports")
    made_deal = await deal(api, acc["id"], topic="Zanzibar bikes")
    made_case = await case(api, acc["id"], title="Zanzibar delivery")
    data = await api("query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }",
                     {"ids": [made_deal["id"], made_case["id"]]})
    assert data["nodes"] == [{"__typename": "Opportunity", "id": made_deal["id"]},
                             {"__typename": "Case", "id": made_case["id"]}]
    found = await api('{ quickFind(text: "zanzibar") { __typename name } }', as_="sales2")
    assert found["quickFind"] == [{"__typename": "Opportunity", "name": "Zanzibar bikes"},
                                  {"__typename": "Case", "name": "Zanzibar delivery"}]
    hidden = await api("query($id: ID!) { node(id: $id) { id } }", {"id": made_case["id"]}, as_="norole")
    assert hidden["node"] is None


async def test_r_sec_1_write_depths_for_opportunities_and_cases(api: Api) -> None:
    acc = await account(api, "Import Sports")
    mine = await deal(api, acc["id"], as_="sales1")
    west = await case(api, acc["id"], as_="sales3")
    refused = await api.mutate("closeOpportunity", {"id": mine["id"], "outcome": "LOST"}, "opportunity { id }",
                               as_="sales2")
    assert codes(refused) == [("FORBIDDEN", ["input", "id"])]
    refused = await api.mutate("resolveCase", {"id": west["id"]}, "case { id }", as_="service_manager")
    assert codes(refused) == [("FORBIDDEN", ["input", "id"])]
    refused = await api.mutate("updateCase", {"id": west["id"], "title": "X"}, "case { id }", as_="norole")
    assert codes(refused) == [("NOT_FOUND", ["input", "id"])]
    # The manager's unit (Sales) includes its child unit Sales West.
    done = await api.ok("resolveCase", {"id": west["id"]}, "case { state }", as_="manager")
    assert done["case"] == {"state": "RESOLVED"}
    nothing = await api("{ opportunities { totalCount } cases(includeInactive: true) { totalCount } }", as_="norole")
    assert nothing == {"opportunities": {"totalCount": 0}, "cases": {"totalCount": 0}}


@pytest.mark.parametrize("list_name", ["opportunities", "cases"])
async def test_r_tl_3_a_page_costs_the_same_statements_whatever_its_size(api: Api, sql: SqlCounter,
                                                                        list_name: str) -> None:
    extra = "originatingLead { id }" if list_name == "opportunities" else "origin"
    query = (f"{{ {list_name}(first: 50) {{ edges {{ node {{ id owner {{ ... on User {{ fullName }} }} "
             f"createdBy {{ ... on User {{ id }} }} customer {{ name }} {extra} }} }} }} }}")

    async def statements() -> int:
        with sql.count() as seen:
            await api(query)
        return len(seen)

    accounts = [await account(api, f"Account {i}") for i in range(3)]
    for i in range(2):
        await (deal(api, accounts[i]["id"]) if list_name == "opportunities" else case(api, accounts[i]["id"]))
    small = await statements()
    for i in range(10):
        customer = accounts[i % 3]["id"]
        await (deal(api, customer, as_="sales2") if list_name == "opportunities" else case(api, customer, as_="sales2"))
    assert await statements() == small
