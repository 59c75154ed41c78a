"""Merging two accounts (R-QRY-3) over the API, with live subscribers on their timelines:
every timeline and count afterwards equals a fresh recomputation by the roll-up rule, each
subscriber gets one event per entry that came or went, and a refused merge changes nothing."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from graph.db import Database
from tests.live.conftest import TIMELINE_SUB, Connect, live_cursor
from tests.support.client import Api
from tests.support.index_check import kept_and_recomputed
from tests.support.record_factories import table_counts

MERGE = "record { id name version ... on Account { website } }"
COUNTS = """query($id: ID!) { timeline(recordId: $id, first: 1) { counts { total } } }"""
ENTRIES = """query($id: ID!) { timeline(recordId: $id, first: 500) { edges { node { ... on Activity { id } ... on Note { id } } } } }"""
ACTIVITIES = 400


async def created(api: Api, mutation: str, values: dict[str, Any], key: str, as_: str = "sales1") -> str:
    return str((await api.ok(mutation, values, f"{key} {{ id }}", as_=as_))[key]["id"])


async def two_accounts(api: Api) -> dict[str, str]:
    """A (survivor) with a contact; B with two contacts, an opportunity and a case; 400
    activities spread over all of them, some naming B as a party; notes on B."""
    ids = {"A": await created(api, "createAccount", {"name": "Import Sports"}, "account"),
           "B": await created(api, "createAccount", {"name": "Import Sports Ltd", "website": "https://is.example"},
                              "account")}
    ids["a1"] = await created(api, "createContact", {"firstName": "Ann", "lastName": "A", "accountId": ids["A"]},
                              "contact")
    for key in ("b1", "b2"):
        ids[key] = await created(api, "createContact", {"firstName": key, "lastName": "B", "accountId": ids["B"]},
                                 "contact")
    ids["oB"] = await created(api, "createOpportunity", {"topic": "Bikes", "customerId": ids["B"]}, "opportunity")
    ids["cB"] = await created(api, "createCase", {"title": "Broken", "customerId": ids["b1"]}, "case")
    targets = ["B", "b1", "b2", "oB", "cB", "A", "a1", "B"]
    for n in range(ACTIVITIES):
        regarding = ids[targets[n % len(targets)]]
        extra = {"parties": [{"role": "REQUIRED_ATTENDEE", "partyId": ids["B"]}]} if n % 50 == 6 else {}
        await api.ok("createTask", {"subject": f"t{n}", "regardingId": regarding, **extra}, "task { id }")
    for n in range(3):
        await api.ok("addNote", {"recordId": ids["B"], "text": f"note {n}"}, "note { id }")
    return ids


async def collect(ws: Any, op: str, count: int) -> list[dict[str, Any]]:
    return [(await ws.next(op))["timelineChanged"] for _ in range(count)]


@pytest.mark.slow(60)
async def test_merging_two_accounts_recomputes_every_timeline_and_tells_each_subscriber(
        api: Api, connect: Connect, db: Database) -> None:
    ids = await two_accounts(api)
    entries = {key: {e["node"]["id"] for e in (await api(ENTRIES, {"id": ids[key]}))["timeline"]["edges"]}
               for key in ("A", "B")}
    on_b = len(entries["B"])
    both = entries["A"] & entries["B"]  # e.g. a task about Ann (of A) with B as an attendee
    assert on_b > 300 and len(entries["A"]) > 90 and both
    after = await live_cursor(api)
    async with connect("sales2") as ws_a, connect("sales2") as ws_b:
        op_a = await ws_a.subscribe(TIMELINE_SUB, {"recordId": ids["A"], "after": after})
        op_b = await ws_b.subscribe(TIMELINE_SUB, {"recordId": ids["B"], "after": after})
        merged = await api.ok("mergeRecords", {"survivorId": ids["A"], "otherId": ids["B"],
                                               "fieldChoices": ["website"]}, MERGE)
        to_a, from_b = await asyncio.gather(collect(ws_a, op_a, on_b), collect(ws_b, op_b, on_b))

    assert merged["record"]["id"] == ids["A"] and merged["record"]["website"] == "https://is.example"
    # Every entry of B came to A, and left B: one event each, on each timeline.
    assert Counter(e["change"] for e in to_a) == Counter({"ADDED": on_b - len(both), "CHANGED": len(both)})
    assert {e["entryId"] for e in to_a if e["change"] == "CHANGED"} == both
    assert Counter(e["change"] for e in from_b) == Counter({"REMOVED": on_b})
    assert {e["entryId"] for e in to_a} == {e["entryId"] for e in from_b} == entries["B"]
    total = len(entries["A"] | entries["B"])
    assert (await api(COUNTS, {"id": ids["A"]}))["timeline"]["counts"]["total"] == total
    assert (await api(COUNTS, {"id": ids["B"]}))["timeline"]["counts"]["total"] == 0

    other = await api("""query($id: ID!) { node(id: $id) { ... on Account { state mergedInto { id } } } }""",
                      {"id": ids["B"]})
    assert other["node"] == {"state": "INACTIVE", "mergedInto": {"id": ids["A"]}}
    contacts = await api("""query($id: ID!) { contacts(filter: {accountId: $id}) { totalCount } }""", {"id": ids["A"]})
    assert contacts["contacts"]["totalCount"] == 3
    kept, fresh = await kept_and_recomputed(db)
    assert kept == fresh


async def test_a_merge_needs_write_rights_on_both_and_changes_nothing_when_refused(api: Api, db: Database) -> None:
    mine = await created(api, "createAccount", {"name": "Mine"}, "account", as_="sales1")
    theirs = await created(api, "createAccount", {"name": "Theirs"}, "account", as_="sales2")
    contact = await created(api, "createContact", {"firstName": "C", "lastName": "T", "accountId": theirs}, "contact",
                            as_="sales2")
    before = await table_counts(db)
    refused = await api.mutate("mergeRecords", {"survivorId": mine, "otherId": theirs}, MERGE, as_="sales1")
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"] and refused["record"] is None
    wrong = await api.mutate("mergeRecords", {"survivorId": mine, "otherId": contact}, MERGE, as_="admin")
    assert [e["code"] for e in wrong["errors"]] == ["VALIDATION"]
    bad_field = await api.mutate("mergeRecords", {"survivorId": mine, "otherId": theirs, "fieldChoices": ["shoe"]},
                                 MERGE, as_="admin")
    assert [e["code"] for e in bad_field["errors"]] == ["VALIDATION"]
    assert await table_counts(db) == before
