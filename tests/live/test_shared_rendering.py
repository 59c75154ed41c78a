"""One rendered event for many subscribers (issue 22): the shared look-up and rendering may
neither leak an event to a subscriber who may not read it nor drop one from a subscriber
who may, whatever the mix of roles following the same timeline."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

from graph.db import Database
from tests.live.conftest import TIMELINE_SUB, Connect, account_with_contact, caught_up, live_cursor, task_on, until
from tests.live.test_live_permissions import give_own_activities_role
from tests.support.client import Api, gid
from tests.support.org import PEOPLE, Org
from tests.support.ws import GraphQLWs

SUBSCRIBERS = 50
USERS = [key for key, *_ in PEOPLE]  # every built-in role, and Nora with a custom restricted one


async def test_fifty_subscribers_of_every_role_see_exactly_what_they_may_read(
        api: Api, app: Any, connect: Connect, db: Database, org: Org) -> None:
    account, contact = await account_with_contact(api)
    await give_own_activities_role(db, org.users["norole"])  # USER read depth on activities
    after = await live_cursor(api)
    async with AsyncExitStack() as stack:
        sockets: list[tuple[str, GraphQLWs, str]] = []
        for i in range(SUBSCRIBERS):
            user = USERS[i % len(USERS)]
            ws = await stack.enter_async_context(connect(user))
            sockets.append((user, ws, await ws.subscribe(TIMELINE_SUB, {"recordId": account, "after": after})))
        live = app.state.live
        await until(lambda: live.dispatcher.subscriber_count == SUBSCRIBERS)
        norole = gid("User", org.users["norole"])
        created = [
            await task_on(api, contact, "Sam's call"),
            await task_on(api, contact, "Nora's first", as_="admin", ownerId=norole),
            await task_on(api, contact, "Sid's call", as_="service"),
            await task_on(api, contact, "Nora's second", as_="admin", ownerId=norole),
        ]
        await until(lambda: caught_up(live))
        everyone, nora_only = created, [created[1], created[3]]

        async def received(user: str, ws: GraphQLWs, op: str) -> tuple[str, list[str]]:
            expected = nora_only if user == "norole" else everyone
            return user, [(await ws.next(op))["timelineChanged"]["entryId"] for _ in expected]

        results = await asyncio.gather(*(received(*s) for s in sockets))
        # Nothing more is pending for anyone: one more event everybody may read comes next.
        last = await task_on(api, contact, "For everyone", as_="admin", ownerId=norole)
        finals = await asyncio.gather(*(ws.next(op) for _, ws, op in sockets))
    for user, entry_ids in results:
        assert entry_ids == (nora_only if user == "norole" else everyone), user
    assert all(f["timelineChanged"]["entryId"] == last for f in finals)
    stats = live.stats()
    deliveries = sum(len(ids) for _, ids in results) + len(finals)
    # Two visibility classes (reads everything; Nora's own), five events: a handful of
    # renders, each shared by the rest of its class, instead of one per delivery.
    assert stats["rendered"] + stats["renderedShared"] == deliveries
    # Each render is encoded to JSON once too; every other socket of its class gets that text.
    assert stats["encoded"] == stats["rendered"]
    assert stats["encoded"] + stats["encodedShared"] == deliveries
    assert stats["rendered"] <= 2 * 5
