"""A sequence moves on however its step's activity is closed, and the work list and up
next agree on what is current (R-WL-1, R-WL-2, R-WL-3).

Checked against a lead with CALL → wait 2 days → EMAIL → TASK, as a seller sees it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from tests.support.client import Api
from tests.support.work_list_factories import connect, lead, make_sequence, up_next

CALL_WAIT_EMAIL_TASK: list[dict[str, Any]] = [
    {"kind": "PHONE_CALL", "subject": "First call"},
    {"kind": "WAIT", "waitDays": 2},
    {"kind": "EMAIL", "subject": "Follow-up mail"},
    {"kind": "TASK", "subject": "Send the offer"},
]
WORK_LIST = """
query { workList { totalCount edges { node { record { id } current {
  id subject isManual state activity { id state } } } } } }"""
BULK = "results { ok }"


async def call_first_lead(api: Api) -> tuple[str, dict[str, Any]]:
    sequence = await make_sequence(api, "Call first", CALL_WAIT_EMAIL_TASK)
    record = await lead(api)
    return record, await connect(api, sequence["id"], record)


async def work_list_current(api: Api) -> list[dict[str, Any]]:
    page = (await api(WORK_LIST, {}, as_="sales1"))["workList"]
    return [e["node"]["current"] for e in page["edges"]]


async def test_completing_the_steps_activity_with_complete_activities_moves_the_sequence_on(api: Api) -> None:
    record, shown = await call_first_lead(api)
    call = shown["current"]
    assert call["subject"] == "First call"
    await api.ok("completeActivities", {"ids": [call["id"]]}, BULK, as_="sales1")
    after = await up_next(api, record)
    assert after["current"]["subject"] == "Follow-up mail"
    assert after["current"]["state"] == "OPEN" and after["current"]["activity"]["state"] == "DRAFT"
    assert [(c["subject"], c["state"], c["activity"]["state"]) for c in after["completed"]] == [
        ("First call", "COMPLETED", "COMPLETED")]
    # The next step is due its wait after the call was closed.
    ended = datetime.fromisoformat(after["completed"][0]["endedOn"])
    assert datetime.fromisoformat(after["current"]["due"]) - ended == timedelta(days=2)
    assert [u["subject"] for u in after["upcoming"]] == ["Send the offer"]
    assert [c["id"] for c in await work_list_current(api)] == [after["current"]["id"]]
    # The step has ended: acting on it again is refused.
    again = await api.mutate("completeStep", {"id": call["id"]}, "step { id }", as_="sales1")
    assert [e["code"] for e in again["errors"]] == ["INVALID_STATE"]


async def test_canceling_the_steps_activity_skips_the_step(api: Api) -> None:
    record, shown = await call_first_lead(api)
    await api.ok("cancelActivities", {"ids": [shown["current"]["id"]]}, BULK, as_="sales1")
    after = await up_next(api, record)
    assert after["current"]["subject"] == "Follow-up mail"
    assert [(c["subject"], c["state"]) for c in after["completed"]] == [("First call", "SKIPPED")]


async def test_the_last_steps_activity_completed_anywhere_completes_the_sequence(api: Api) -> None:
    sequence = await make_sequence(api, "One task", [{"kind": "TASK", "subject": "Only"}])
    record = await lead(api)
    shown = await connect(api, sequence["id"], record)
    await api.ok("completeActivities", {"ids": [shown["current"]["id"]]}, BULK, as_="sales1")
    after = await up_next(api, record)
    assert after["sequenceState"] == "COMPLETED" and after["current"] is None
    assert await work_list_current(api) == []


async def test_the_work_list_and_up_next_name_the_same_current_item(api: Api) -> None:
    record, shown = await call_first_lead(api)
    await api.ok("completeStep", {"id": shown["current"]["id"]}, "step { id }", as_="sales1")
    soon = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    task = (await api.ok("createTask", {"subject": "Ring the assistant", "regardingId": record, "due": soon},
                         "task { id }", as_="sales1"))["task"]["id"]
    shown_next = await up_next(api, record)
    # The sequence's step is current; the manual task is listed beside it by due.
    assert shown_next["current"]["subject"] == "Follow-up mail"
    assert [m["id"] for m in shown_next["manual"]] == [task]
    assert [c["id"] for c in await work_list_current(api)] == [shown_next["current"]["id"]]


async def test_a_completed_activity_is_never_offered_as_up_next(api: Api) -> None:
    record, shown = await call_first_lead(api)
    await api.ok("completeActivities", {"ids": [shown["current"]["id"]]}, BULK, as_="sales1")
    after = await up_next(api, record)
    listed = await work_list_current(api)
    assert after["current"]["activity"]["state"] not in ("COMPLETED", "SENT", "CANCELED")
    assert all(c["activity"]["state"] in ("OPEN", "DRAFT", "SCHEDULED") for c in listed)
    assert shown["current"]["id"] not in {after["current"]["id"], *(c["id"] for c in listed)}


async def test_an_items_state_and_its_activitys_state_cannot_disagree(api: Api) -> None:
    record, shown = await call_first_lead(api)
    call = shown["current"]
    assert (call["state"], call["activity"]["state"]) == ("OPEN", "OPEN")
    await api.ok("completeActivities", {"ids": [call["id"]]}, BULK, as_="sales1")
    # Reopening the activity of an ended step would give an OPEN activity under a COMPLETED item.
    refused = await api.mutate("reopenActivity", {"id": call["id"]}, "activity { state }", as_="sales1")
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID_STATE", ["input", "id"])]
    after = await up_next(api, record)
    assert [(c["state"], c["activity"]["state"]) for c in after["completed"]] == [("COMPLETED", "COMPLETED")]
    assert (after["current"]["state"], after["current"]["activity"]["state"]) == ("OPEN", "DRAFT")


async def test_upcoming_and_position_agree_about_waits(api: Api) -> None:
    record, shown = await call_first_lead(api)
    listed = [(shown["current"]["position"], shown["current"]["kind"])]
    listed += [(u["position"], u["kind"]) for u in shown["upcoming"]]
    assert listed == [(1, "PHONE_CALL"), (2, "WAIT"), (3, "EMAIL"), (4, "TASK")]
    wait = shown["upcoming"][0]
    assert wait["subject"] is None and wait["owner"] is None
    assert datetime.fromisoformat(wait["expectedDue"]) - datetime.fromisoformat(shown["current"]["due"]) == \
        timedelta(days=2)
    assert datetime.fromisoformat(shown["upcoming"][1]["expectedDue"]) == datetime.fromisoformat(wait["expectedDue"])
