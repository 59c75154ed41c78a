"""workListChanged: the caller's own work-list events, with the record (R-LIVE-1, R-WL-1).

The first test writes work-list events directly, as the work-list commands do, to check
the delivery side on its own; the second goes end to end through connectSequence.
"""

from __future__ import annotations

from typing import Any

from graph.commands.outbox import publish
from graph.db import Database
from graph.events import WorkListChanged
from graph.models import utcnow
from resolvers.ids import parse_global_id
from tests.live.conftest import Connect, account_with_contact, live_cursor
from tests.support.client import Api
from tests.support.org import Org
from tests.support.work_list_factories import connect as connect_sequence
from tests.support.work_list_factories import lead, make_sequence

WORK_LIST_SUB = """
subscription($after: String) {
  workListChanged(after: $after) { cursor change reason record { __typename id name } }
}
"""


async def test_work_list_events_reach_only_their_user(api: Api, connect: Connect, db: Database, org: Org,
                                                      app: Any) -> None:
    account, _ = await account_with_contact(api)
    parsed = parse_global_id(account)
    assert parsed is not None
    after = await live_cursor(api)
    async with connect("sales2") as ws:
        op = await ws.subscribe(WORK_LIST_SUB, {"after": after})
        async with db.unit_of_work() as session:
            await publish(session, [
                WorkListChanged((org.users["sales1"],), parsed[1], "NEW_STEP"),
                WorkListChanged((org.users["sales2"], org.users["manager"]), parsed[1], "SNOOZED"),
                WorkListChanged((org.users["sales2"],), None, "REMOVED"),
            ], org.users["admin"], utcnow())
        app.state.live.relay.kick()  # written outside a mutation: no after-commit hook ran
        first = (await ws.next(op))["workListChanged"]
        second = (await ws.next(op))["workListChanged"]
    assert first["change"] == "CHANGED" and first["reason"] == "SNOOZED"
    assert first["record"] == {"__typename": "Account", "id": account, "name": "Import Sports"}
    assert second["change"] == "REMOVED" and second["record"] is None


async def test_connecting_a_sequence_is_pushed_to_the_owner_work_list(api: Api, connect: Connect) -> None:
    """R-LIVE-1, R-WL-1 end to end: connectSequence on sales1's lead reaches sales1, not sales2."""
    sequence = await make_sequence(api)
    record, other = await lead(api, as_="sales1"), await lead(api, "Other", as_="sales2")
    after = await live_cursor(api, as_="sales1")
    async with connect("sales1") as mine, connect("sales2") as theirs:
        mine_op = await mine.subscribe(WORK_LIST_SUB, {"after": after})
        theirs_op = await theirs.subscribe(WORK_LIST_SUB, {"after": after})
        await connect_sequence(api, sequence["id"], record, as_="sales1")
        await connect_sequence(api, sequence["id"], other, as_="sales2")
        event = (await mine.next(mine_op))["workListChanged"]
        # In order: sales2's first event being its own lead proves sales1's was not sent there.
        their_first = (await theirs.next(theirs_op))["workListChanged"]
    assert event["reason"] == "NEW_STEP"
    assert event["record"]["id"] == record and event["record"]["__typename"] == "Lead"
    assert their_first["record"]["id"] == other
