"""workListChanged fires for each step action (R-LIVE-1, R-WL-3, R-WL-4): connect, complete,
skip, snooze, assign and an owner change each reach the work lists they change, live."""

from __future__ import annotations

from typing import Any

from tests.live.conftest import Connect, live_cursor
from tests.support.client import Api, gid
from tests.support.org import Org
from tests.support.work_list_factories import STEP, connect, lead, make_sequence

WORK_LIST_SUB = """
subscription($after: String) {
  workListChanged(after: $after) { cursor change reason record { __typename id } }
}
"""


async def test_each_step_action_reaches_the_work_list_live(api: Api, connect: Connect, org: Org,
                                                           app: Any) -> None:
    sequence = await make_sequence(api)
    record = await lead(api)
    after = await live_cursor(api, as_="sales1")
    async with connect("sales1") as mine, connect("sales2") as theirs:
        op = await mine.subscribe(WORK_LIST_SUB, {"after": after})
        other = await theirs.subscribe(WORK_LIST_SUB, {"after": after})
        shown = await connect_and_act(api, sequence["id"], record, org)
        reasons = [(await mine.next(op))["workListChanged"] for _ in range(len(EXPECTED))]
        assert [r["reason"] for r in reasons] == EXPECTED
        assert {r["record"]["id"] for r in reasons} == {record}
        assert all(r["change"] == "CHANGED" for r in reasons)
        # sales2 hears only of what reached its team: the step given to "Inside Sales".
        first = (await theirs.next(other))["workListChanged"]
        assert first["reason"] == "ASSIGNED" and first["record"]["id"] == record
    assert shown


EXPECTED = ["NEW_STEP", "COMPLETED", "NEW_STEP", "SNOOZED", "SKIPPED", "NEW_STEP", "ASSIGNED", "OWNER_CHANGED"]


async def connect_and_act(api: Api, sequence_id: str, record: str, org: Org) -> dict[str, Any]:
    shown = await connect(api, sequence_id, record)
    done = await api.ok("completeStep", {"id": shown["current"]["id"]}, STEP, as_="sales1")
    call = done["next"]["id"]
    await api.ok("snoozeStep", {"id": call, "until": "2031-09-01T09:00:00Z"}, "step { id }", as_="sales1")
    skipped = await api.ok("skipStep", {"id": call}, STEP, as_="sales1")
    await api.ok("assignStep", {"id": skipped["next"]["id"], "ownerId": gid("Team", org.team_id)}, "step { id }",
                 as_="sales1")
    await api.ok("changeOwner", {"id": record, "ownerId": gid("User", org.users["sales3"])}, "record { id }",
                 as_="sales1")
    return shown
