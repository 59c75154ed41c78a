"""workListChanged: the caller's own work-list events, with the record (R-LIVE-1, R-WL-1).

Work-list changes are written to the outbox by the work-list commands; here the events
are written directly, as those commands do, to check the delivery side on its own.
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
