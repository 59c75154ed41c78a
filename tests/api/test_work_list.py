"""The work list and step actions over HTTP (R-WL-1…4), with their work-list events.

R-WL-1: one entry per record, its current item, by due then priority, filters.
R-WL-2: up next after each action. R-WL-3: complete (note), skip, snooze, assign.
R-WL-4: owner change. §7: a `worklist.changed` event for each change, to whom it concerns.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from graph.db import Database
from tests.support.activity_factories import notes_on, raw
from tests.support.client import Api, gid
from tests.support.org import Org
from tests.support.record_factories import table_counts
from tests.support.sql_counter import SqlCounter
from tests.support.work_list_factories import (
    STEP,
    connect,
    connected_lead,
    last_event_id,
    lead,
    make_sequence,
    up_next,
    work_list_events,
)

WORK_LIST = """
query($filter: WorkListFilter, $first: Int, $after: String) {
  workList(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { record { id name } current { id kind subject due priority isManual
      owner { ... on User { fullName } } sequence { name } activity { id state } } } }
  }
}"""


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


async def work_list(api: Api, as_: str = "sales1", **variables: Any) -> dict[str, Any]:
    return (await api(WORK_LIST, variables, as_=as_))["workList"]  # type: ignore[no-any-return]


async def task_on(api: Api, record: str, subject: str, due: str | None, *, as_: str = "sales1",
                  **fields: Any) -> str:
    values = {"subject": subject, "regardingId": record, "due": due, **fields}
    return (await api.ok("createTask", values, "task { id }", as_=as_))["task"]["id"]


# --- R-WL-1: the list --------------------------------------------------------------------

async def test_one_entry_per_record_with_its_soonest_item_by_due_then_priority(api: Api) -> None:
    a, b, c = [await lead(api, name) for name in ("Alpha", "Bravo", "Charlie")]
    await task_on(api, a, "A later", "2031-01-03T09:00:00Z")
    a_first = await task_on(api, a, "A first", "2031-01-02T09:00:00Z")
    b_normal = await task_on(api, b, "B normal", "2031-01-02T09:00:00Z")
    c_high = await task_on(api, c, "C high", "2031-01-02T09:00:00Z", priority="HIGH")
    await task_on(api, c, "No due date", None)
    personal = await api.ok("createTask", {"subject": "Personal", "due": "2031-01-01T09:00:00Z"}, "task { id }",
                            as_="sales1")
    page = await work_list(api)
    assert page["totalCount"] == 3
    # Same due: HIGH before NORMAL; the tie between A and B broken by id (stable).
    current = [e["node"]["current"]["id"] for e in page["edges"]]
    assert current[0] == c_high and set(current[1:]) == {a_first, b_normal}
    assert personal["task"]["id"] not in current
    assert all(e["node"]["current"]["isManual"] for e in page["edges"])
    assert [e["node"]["record"]["id"] for e in page["edges"]][0] == c


async def test_pages_walk_the_list_without_gaps_or_repeats(api: Api) -> None:
    for i in range(5):
        await task_on(api, await lead(api, f"L{i}"), f"Task {i}", f"2031-02-0{i + 1}T09:00:00Z")
    seen: list[str] = []
    after = None
    while True:
        page = await work_list(api, first=2, after=after)
        seen += [e["node"]["current"]["subject"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"Task {i}" for i in range(5)]
    bad = await api.raw("{ workList(after: \"bogus\") { totalCount } }", as_="sales1")
    assert bad["errors"][0]["extensions"]["code"] == "VALIDATION"


async def test_filters_by_kind_due_range_record_type_and_owner(api: Api, org: Org) -> None:
    record, shown = await connected_lead(api)  # an EMAIL step due now
    account = (await api.ok("createAccount", {"name": "Acme"}, "account { id }", as_="sales1"))["account"]["id"]
    await task_on(api, account, "Account task", "2031-06-01T09:00:00Z")
    await task_on(api, await lead(api, "Team"), "Team task", "2031-06-01T09:00:00Z",
                  ownerId=gid("Team", org.team_id))

    async def subjects(**flt: Any) -> list[str]:
        page = await work_list(api, filter=flt)
        return sorted(e["node"]["current"]["subject"] for e in page["edges"])

    assert await subjects() == ["Account task", "Introduce yourself"]
    assert await subjects(kinds=["EMAIL"]) == ["Introduce yourself"]
    assert await subjects(kinds=["TASK"]) == ["Account task"]
    assert await subjects(recordTypes=["ACCOUNT"]) == ["Account task"]
    assert await subjects(dueAfter="2031-01-01T00:00:00Z") == ["Account task"]
    assert await subjects(dueBefore="2031-01-01T00:00:00Z") == ["Introduce yourself"]
    assert await subjects(owner="MY_TEAMS") == ["Account task", "Introduce yourself", "Team task"]
    assert shown["current"]["subject"] == "Introduce yourself" and record
    bad = await api.raw("{ workList(filter: {kinds: [WAIT]}) { totalCount } }", as_="sales1")
    assert bad["errors"][0]["extensions"]["code"] == "VALIDATION"
    backwards = await api.raw('{ workList(filter: {dueAfter: "2031-01-02T00:00:00Z", '
                              'dueBefore: "2031-01-01T00:00:00Z"}) { totalCount } }', as_="sales1")
    assert backwards["errors"][0]["extensions"]["code"] == "VALIDATION"


async def test_a_page_costs_the_same_statements_whatever_its_size(api: Api, sql: SqlCounter) -> None:
    sequence = await make_sequence(api)
    for i in range(6):
        record = await lead(api, f"Lead {i}")
        await connect(api, sequence["id"], record)
        await task_on(api, record, f"Manual {i}", "2031-01-01T09:00:00Z")
    with sql.count() as small:
        assert len((await work_list(api, first=1))["edges"]) == 1
    with sql.count() as large:
        assert len((await work_list(api, first=6))["edges"]) == 6
    assert len(large) == len(small), large


# --- R-WL-3: step actions ------------------------------------------------------------------

async def test_complete_with_a_note_makes_the_next_step_current(api: Api, db: Database, org: Org) -> None:
    record, shown = await connected_lead(api)
    email = shown["current"]
    before = await last_event_id(db)
    done = await api.ok("completeStep", {"id": email["id"], "note": {"text": "Sent from my phone"}}, STEP,
                        as_="sales1")
    assert done["step"]["state"] == "COMPLETED" and done["step"]["activity"]["state"] == "SENT"
    call = done["next"]
    assert (call["kind"], call["subject"], call["priority"], call["position"]) == (
        "PHONE_CALL", "Discovery call", "HIGH", 3)
    # Due two days after the email was completed.
    assert datetime.fromisoformat(call["due"]) - datetime.fromisoformat(done["step"]["endedOn"]) == timedelta(days=2)
    after = done["upNext"]
    assert after["current"]["id"] == call["id"]
    assert [c["subject"] for c in after["completed"]] == ["Introduce yourself"]
    assert [u["subject"] for u in after["upcoming"]] == ["Send the brochure", None, "Product demo"]
    assert [n.text for n in await notes_on(db, email["id"])] == ["Sent from my phone"]
    assert await work_list_events(db, org.users["sales1"], before) == [
        ("COMPLETED", str(raw(record))), ("NEW_STEP", str(raw(record)))]
    again = await api.mutate("completeStep", {"id": email["id"]}, "step { id }", as_="sales1")
    assert codes(again) == ["INVALID_STATE"] and again["errors"][0]["field"] == ["input", "id"]


async def test_skip_moves_the_step_to_completed_and_the_next_becomes_current(api: Api, db: Database,
                                                                            org: Org) -> None:
    record, shown = await connected_lead(api)
    before = await last_event_id(db)
    skipped = await api.ok("skipStep", {"id": shown["current"]["id"]}, STEP, as_="sales1")
    assert skipped["step"]["state"] == "SKIPPED" and skipped["step"]["activity"]["state"] == "CANCELED"
    assert skipped["upNext"]["current"]["subject"] == "Discovery call"
    assert [(c["subject"], c["state"]) for c in skipped["upNext"]["completed"]] == [("Introduce yourself", "SKIPPED")]
    page = await work_list(api)
    assert [e["node"]["current"]["subject"] for e in page["edges"]] == ["Discovery call"]
    assert [c for c, _ in await work_list_events(db, org.users["sales1"], before)] == ["SKIPPED", "NEW_STEP"]


async def test_the_last_step_done_completes_the_sequence(api: Api) -> None:
    sequence = await make_sequence(api, "Short", [{"kind": "TASK", "subject": "Only"}])
    record = await lead(api)
    shown = await connect(api, sequence["id"], record)
    done = await api.ok("completeStep", {"id": shown["current"]["id"]}, STEP, as_="sales1")
    assert done["next"] is None and done["upNext"]["sequenceState"] == "COMPLETED"
    assert done["upNext"]["current"] is None
    assert (await work_list(api))["totalCount"] == 0


async def test_skipping_a_manual_task_cancels_it(api: Api, db: Database, org: Org) -> None:
    record = await lead(api)
    task = await task_on(api, record, "Ring back", "2031-01-01T09:00:00Z")
    skipped = await api.ok("skipStep", {"id": task}, STEP, as_="sales1")
    assert skipped["step"]["state"] == "CANCELED" and skipped["step"]["activity"]["state"] == "CANCELED"
    assert skipped["step"]["isManual"] and skipped["next"] is None
    assert (await work_list(api))["totalCount"] == 0
    assert (await work_list_events(db, org.users["sales1"]))[-1] == ("CANCELED", str(raw(record)))


async def test_snoozing_a_step_moves_its_due_and_a_manual_task_cannot_be_snoozed(api: Api, db: Database,
                                                                                org: Org) -> None:
    record, shown = await connected_lead(api)
    until = "2031-04-01T15:00:00+00:00"
    snoozed = await api.ok("snoozeStep", {"id": shown["current"]["id"], "until": until}, STEP, as_="sales1")
    assert snoozed["step"]["due"] == until and snoozed["step"]["snoozeCount"] == 1
    assert snoozed["step"]["state"] == "OPEN"
    assert (await work_list_events(db, org.users["sales1"]))[-1] == ("SNOOZED", str(raw(record)))
    past = await api.mutate("snoozeStep", {"id": shown["current"]["id"], "until": "2001-01-01T00:00:00Z"},
                            "step { id }", as_="sales1")
    assert codes(past) == ["VALIDATION"] and past["errors"][0]["field"] == ["input", "until"]
    manual = await task_on(api, record, "Manual", "2031-01-01T09:00:00Z")
    before = await table_counts(db)
    refused = await api.mutate("snoozeStep", {"id": manual, "until": until}, "step { id }", as_="sales1")
    assert codes(refused) == ["NOT_SUPPORTED"] and refused["errors"][0]["field"] == ["input", "id"]
    assert await table_counts(db) == before


async def test_snoozing_a_meeting_moves_it_and_keeps_its_length(api: Api) -> None:
    sequence = await make_sequence(api, "Meet", [{"kind": "MEETING", "subject": "Demo"}])
    record = await lead(api)
    shown = await connect(api, sequence["id"], record)
    await api.ok("snoozeStep", {"id": shown["current"]["id"], "until": "2031-04-01T15:00:00Z"}, STEP, as_="sales1")
    meeting = await api("query($id: ID!) { node(id: $id) { ... on Appointment { due scheduledStart scheduledEnd } } }",
                        {"id": shown["current"]["id"]}, as_="sales1")
    assert meeting["node"] == {"due": "2031-04-01T15:00:00+00:00", "scheduledStart": "2031-04-01T15:00:00+00:00",
                               "scheduledEnd": "2031-04-01T15:30:00+00:00"}


async def test_assign_a_step_to_a_team_or_a_user(api: Api, db: Database, org: Org) -> None:
    record, shown = await connected_lead(api)
    step = shown["current"]["id"]
    to_team = await api.ok("assignStep", {"id": step, "ownerId": gid("Team", org.team_id)}, STEP, as_="sales1")
    assert to_team["step"]["owner"] == {"__typename": "Team", "name": "Inside Sales"}
    # The team's members hear of it: sales2 through the team, sales1 as the previous owner too.
    assert (await work_list_events(db, org.users["sales2"]))[-1] == ("ASSIGNED", str(raw(record)))
    assert (await work_list(api, filter={"owner": "MY_TEAMS"}, as_="sales2"))["totalCount"] == 1
    assert (await work_list(api))["totalCount"] == 0
    # Assigning needs `assign` on the item: sales3 is neither its owner nor in its team.
    refused = await api.mutate("assignStep", {"id": step, "ownerId": gid("User", org.users["sales3"])},
                               "step { id }", as_="sales3")
    assert codes(refused) == ["FORBIDDEN"] and refused["errors"][0]["field"] == ["input", "id"]
    nobody = await api.mutate("assignStep", {"id": step, "ownerId": gid("User", uuid.UUID(int=7))},
                              "step { id }", as_="sales1")
    assert codes(nobody) == ["NOT_FOUND"] and nobody["errors"][0]["field"] == ["input", "ownerId"]
    to_user = await api.ok("assignStep", {"id": step, "ownerId": gid("User", org.users["sales2"])}, STEP,
                           as_="manager")
    assert to_user["step"]["owner"] == {"__typename": "User", "fullName": "Sasha Seller"}
    assert (await work_list(api, as_="sales2"))["totalCount"] == 1


async def test_step_actions_need_write_on_the_item(api: Api, db: Database) -> None:
    _, shown = await connected_lead(api)
    before = await table_counts(db)
    for name, extra in (("completeStep", {}), ("skipStep", {}), ("snoozeStep", {"until": "2031-05-01T00:00:00Z"})):
        refused = await api.mutate(name, {"id": shown["current"]["id"], **extra}, "step { id }", as_="sales2")
        assert codes(refused) == ["FORBIDDEN"], name
    wrong = await api.mutate("completeStep", {"id": gid("Lead", raw(shown["current"]["id"]))}, "step { id }",
                             as_="sales1")
    assert codes(wrong) == ["VALIDATION"]
    assert await table_counts(db) == before


async def test_a_step_whose_activity_was_completed_elsewhere_has_already_advanced(api: Api) -> None:
    _, shown = await connected_lead(api)
    done = await api.ok("completeActivities", {"ids": [shown["current"]["id"]]}, "results { ok }", as_="sales1")
    assert done["results"] == [{"ok": True}]
    again = await api.mutate("completeStep", {"id": shown["current"]["id"], "note": {"title": "Done in the mail app"}},
                             STEP, as_="sales1")
    assert codes(again) == ["INVALID_STATE"] and "completed" in again["errors"][0]["message"]


# --- R-WL-4: owner change --------------------------------------------------------------------

async def test_after_an_owner_change_the_current_step_stays_and_the_next_goes_to_the_new_owner(
        api: Api, db: Database, org: Org) -> None:
    record, shown = await connected_lead(api)
    before = await last_event_id(db)
    await api.ok("changeOwner", {"id": record, "ownerId": gid("User", org.users["sales2"])}, "record { id }",
                 as_="sales1")
    after = await up_next(api, record, as_="sales2")
    assert after["current"]["id"] == shown["current"]["id"]
    assert after["current"]["owner"] == {"__typename": "User", "fullName": "Sam Seller"}
    assert {u["owner"]["fullName"] for u in after["upcoming"] if u["kind"] != "WAIT"} == {"Sasha Seller"}
    assert (await work_list_events(db, org.users["sales1"], before)) == [("OWNER_CHANGED", str(raw(record)))]
    assert (await work_list_events(db, org.users["sales2"], before)) == [("OWNER_CHANGED", str(raw(record)))]
    # The old owner finishes the current step; the next step is the new owner's.
    done = await api.ok("completeStep", {"id": shown["current"]["id"]}, STEP, as_="sales1")
    assert done["next"]["owner"] == {"__typename": "User", "fullName": "Sasha Seller"}
    assert [e["node"]["current"]["id"] for e in (await work_list(api, as_="sales2"))["edges"]] == [done["next"]["id"]]
    assert (await work_list(api))["totalCount"] == 0
