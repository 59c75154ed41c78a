"""Sequences over HTTP (R-SEQ-1): define, list, connect, pause, resume, disconnect.

Also R-WL-2 (up next right after connecting) and R-SEC-1 (who may define and connect).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from graph.db import Database
from tests.support.activity_factories import raw
from tests.support.client import Api, gid
from tests.support.org import Org
from tests.support.record_factories import table_counts
from tests.support.work_list_factories import (
    STEPS,
    UP_NEXT,
    connect,
    connected_lead,
    lead,
    make_sequence,
    opportunity,
    up_next,
    work_list_events,
)


def codes(payload: dict[str, object]) -> list[str]:
    return [e["code"] for e in payload["errors"]]  # type: ignore[index, union-attr]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def test_a_manager_defines_a_sequence_of_steps_and_waits(api: Api) -> None:
    sequence = await make_sequence(api)
    assert sequence["name"] == "New lead outreach" and sequence["activityStepCount"] == 4
    assert [(s["position"], s["kind"], s["waitMinutes"]) for s in sequence["steps"]] == [
        (1, "EMAIL", None), (2, "WAIT", 2 * 24 * 60), (3, "PHONE_CALL", None), (4, "TASK", None),
        (5, "WAIT", 4 * 60), (6, "MEETING", None)]
    listed = (await api("{ sequences { id name steps { kind subject } } }", as_="sales1"))["sequences"]
    assert [s["id"] for s in listed] == [sequence["id"]]
    node = await api("query($id: ID!) { node(id: $id) { ... on Sequence { name } } }", {"id": sequence["id"]})
    assert node["node"] == {"name": "New lead outreach"}


async def test_only_managers_define_sequences_and_bad_steps_change_nothing(api: Api, db: Database) -> None:
    before = await table_counts(db)
    refused = await api.mutate("createSequence", {"name": "Mine", "steps": STEPS}, "sequence { id }", as_="sales1")
    assert codes(refused) == ["FORBIDDEN"]
    bad = await api.mutate("createSequence", {"name": " ", "steps": [
        {"kind": "TASK", "subject": "One"}, {"kind": "WAIT", "waitDays": 31}]}, "sequence { id }", as_="manager")
    assert codes(bad) == ["VALIDATION"]
    last = await api.mutate("createSequence", {"name": "Ends waiting", "steps": [
        {"kind": "TASK", "subject": "One"}, {"kind": "WAIT", "waitDays": 31}]}, "sequence { id }", as_="manager")
    assert sorted(tuple(e["field"]) for e in last["errors"]) == [("input", "steps", "1"),
                                                                ("input", "steps", "1", "wait")]
    assert {e["code"] for e in last["errors"]} == {"VALIDATION"}
    negative = await api.mutate("createSequence", {"name": "Neg", "steps": [
        {"kind": "WAIT", "waitDays": -1}, {"kind": "TASK", "subject": "x"}]}, "sequence { id }", as_="manager")
    assert negative["errors"][0]["field"] == ["input", "steps", "0", "wait"]
    assert await table_counts(db) == before
    await make_sequence(api, "Twice")
    again = await api.mutate("createSequence", {"name": "Twice", "steps": STEPS}, "sequence { id }", as_="admin")
    assert codes(again) == ["DUPLICATE"]


async def test_connecting_makes_the_first_steps_activity_for_the_records_owner(api: Api, db: Database,
                                                                               org: Org) -> None:
    record, shown = await connected_lead(api)
    assert shown["sequenceState"] == "ACTIVE" and shown["sequence"] == {"name": "New lead outreach"}
    current = shown["current"]
    assert (current["kind"], current["subject"], current["instructions"]) == (
        "EMAIL", "Introduce yourself", "Use the intro template")
    assert current["state"] == "OPEN" and current["position"] == 1 and not current["isManual"]
    assert current["owner"] == {"__typename": "User", "fullName": "Sam Seller"}
    assert current["record"]["id"] == record
    # The activity is a draft email about the lead, due now, on the lead's timeline.
    assert current["activity"]["__typename"] == "Email" and current["activity"]["state"] == "DRAFT"
    assert current["id"] == current["activity"]["id"]
    timeline = await api("query($id: ID!) { timeline(recordId: $id) { edges { node { ... on Activity { id } } } } }",
                         {"id": record}, as_="sales1")
    assert [e["node"]["id"] for e in timeline["timeline"]["edges"]] == [current["id"]]
    due = at(current["due"])
    # What comes after: two days' wait, the call, the task with it, 4 h wait, the demo.
    assert [(u["position"], u["kind"], at(u["expectedDue"]) - due) for u in shown["upcoming"]] == [
        (2, "WAIT", timedelta(days=2)), (3, "PHONE_CALL", timedelta(days=2)), (4, "TASK", timedelta(days=2)),
        (5, "WAIT", timedelta(days=2, hours=4)), (6, "MEETING", timedelta(days=2, hours=4))]
    assert shown["completed"] == [] and shown["manual"] == []
    assert await work_list_events(db, org.users["sales1"]) == [("NEW_STEP", str(raw(record)))]


async def test_a_meeting_step_books_half_an_hour_from_its_due(api: Api) -> None:
    sequence = await make_sequence(api, "Meet first", [{"kind": "MEETING", "subject": "Kick-off"}])
    record = await lead(api)
    shown = await connect(api, sequence["id"], record)
    meeting = shown["current"]["activity"]["id"]
    found = await api("query($id: ID!) { node(id: $id) { ... on Appointment { scheduledStart scheduledEnd state } } }",
                      {"id": meeting}, as_="sales1")
    start, end = at(found["node"]["scheduledStart"]), at(found["node"]["scheduledEnd"])
    assert end - start == timedelta(minutes=30) and found["node"]["state"] == "SCHEDULED"


async def test_one_connected_sequence_per_record(api: Api, db: Database) -> None:
    record, _ = await connected_lead(api)
    other = await make_sequence(api, "Other")
    before = await table_counts(db)
    again = await api.mutate("connectSequence", {"sequenceId": other["id"], "recordId": record}, UP_NEXT,
                             as_="sales1")
    assert codes(again) == ["CONFLICT"] and "New lead outreach" in again["errors"][0]["message"]
    assert again["errors"][0]["field"] == ["input", "recordId"]
    assert await table_counts(db) == before
    await api.ok("disconnectSequence", {"recordId": record}, UP_NEXT, as_="sales1")
    shown = await connect(api, other["id"], record)
    assert shown["sequence"] == {"name": "Other"} and shown["sequenceState"] == "ACTIVE"


async def test_sequences_connect_to_leads_and_opportunities_only_and_need_write(api: Api, org: Org) -> None:
    sequence = await make_sequence(api)
    deal = await opportunity(api, "Big deal")
    shown = await connect(api, sequence["id"], deal)
    assert shown["current"]["record"]["id"] == deal
    account = (await api.ok("createAccount", {"name": "Acme"}, "account { id }"))["account"]["id"]
    wrong = await api.mutate("connectSequence", {"sequenceId": sequence["id"], "recordId": account}, UP_NEXT)
    assert codes(wrong) == ["VALIDATION"] and wrong["errors"][0]["field"] == ["input", "recordId"]
    theirs = await lead(api, "Other", as_="sales2")
    forbidden = await api.mutate("connectSequence", {"sequenceId": sequence["id"], "recordId": theirs}, UP_NEXT,
                                 as_="sales1")
    assert codes(forbidden) == ["FORBIDDEN"]
    missing = await api.mutate("connectSequence", {"sequenceId": gid("Sequence", raw(deal)), "recordId": theirs},
                               UP_NEXT, as_="sales2")
    assert codes(missing) == ["NOT_FOUND"] and missing["errors"][0]["field"] == ["input", "sequenceId"]


async def test_a_closed_lead_cannot_get_a_sequence(api: Api) -> None:
    sequence = await make_sequence(api)
    record = await lead(api)
    await api.ok("disqualifyLead", {"leadId": record, "reason": "LOST"}, "lead { id }", as_="sales1")
    closed = await api.mutate("connectSequence", {"sequenceId": sequence["id"], "recordId": record}, UP_NEXT,
                              as_="sales1")
    assert codes(closed) == ["DEACTIVATED"]


async def test_pause_hides_the_step_from_the_work_list_and_resume_brings_it_back(api: Api, db: Database,
                                                                                 org: Org) -> None:
    record, _ = await connected_lead(api)
    query = "{ workList { totalCount edges { node { record { id } } } } }"
    assert (await api(query, as_="sales1"))["workList"]["totalCount"] == 1
    paused = (await api.ok("pauseSequence", {"recordId": record}, UP_NEXT, as_="sales1"))["upNext"]
    assert paused["sequenceState"] == "PAUSED" and paused["current"]["subject"] == "Introduce yourself"
    assert (await api(query, as_="sales1"))["workList"]["totalCount"] == 0
    again = await api.mutate("pauseSequence", {"recordId": record}, UP_NEXT, as_="sales1")
    assert codes(again) == ["INVALID_STATE"]
    acting = await api.mutate("completeStep", {"id": paused["current"]["id"]}, "step { id }", as_="sales1")
    assert codes(acting) == ["INVALID_STATE"] and "paused" in acting["errors"][0]["message"]
    resumed = (await api.ok("resumeSequence", {"recordId": record}, UP_NEXT, as_="sales1"))["upNext"]
    assert resumed["sequenceState"] == "ACTIVE"
    assert (await api(query, as_="sales1"))["workList"]["totalCount"] == 1
    changes = [c for c, _ in await work_list_events(db, org.users["sales1"])]
    assert changes == ["NEW_STEP", "PAUSED", "RESUMED"]


async def test_disconnect_cancels_the_current_step_and_its_activity(api: Api, db: Database, org: Org) -> None:
    record, shown = await connected_lead(api)
    ended = (await api.ok("disconnectSequence", {"recordId": record}, UP_NEXT, as_="sales1"))["upNext"]
    assert ended["sequenceState"] == "DISCONNECTED" and ended["current"] is None and ended["upcoming"] == []
    assert [(c["subject"], c["state"], c["activity"]["state"]) for c in ended["completed"]] == [
        ("Introduce yourself", "CANCELED", "CANCELED")]
    assert (await api("{ workList { totalCount } }", as_="sales1"))["workList"]["totalCount"] == 0
    none = await api.mutate("disconnectSequence", {"recordId": record}, UP_NEXT, as_="sales1")
    assert codes(none) == ["INVALID_STATE"]
    assert (await work_list_events(db, org.users["sales1"]))[-1] == ("DISCONNECTED", str(raw(record)))
    assert shown["current"]["id"] == ended["completed"][0]["id"]


async def test_up_next_of_an_unknown_record_is_not_found_and_a_bad_id_is_invalid(api: Api) -> None:
    body = await api.raw("query($id: ID!) { upNext(recordId: $id) { current { id } } }",
                         {"id": gid("Lead", uuid.UUID(int=1))}, as_="sales1")
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    bad = await api.raw("query { upNext(recordId: \"nope\") { current { id } } }", as_="sales1")
    assert bad["errors"][0]["extensions"]["code"] == "VALIDATION"


async def test_up_next_of_a_record_without_a_sequence_shows_its_open_activities(api: Api) -> None:
    record = await lead(api)
    await api.ok("createTask", {"subject": "Later", "regardingId": record, "due": "2031-05-02T09:00:00Z"},
                 "task { id }", as_="sales1")
    first = (await api.ok("createTask", {"subject": "Sooner", "regardingId": record, "due": "2031-05-01T09:00:00Z"},
                          "task { id }", as_="sales1"))["task"]["id"]
    shown = await up_next(api, record)
    assert shown["sequenceState"] is None and shown["current"]["id"] == first
    assert shown["current"]["isManual"] and shown["current"]["kind"] == "TASK"
    assert [m["subject"] for m in shown["manual"]] == ["Sooner", "Later"]
