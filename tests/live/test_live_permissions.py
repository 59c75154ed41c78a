"""Every pushed event is checked for its subscriber, now (R-LIVE-4, R-SEC-1, SPEC §1)."""

from __future__ import annotations

import pytest

from graph.commands.setup import bump_security_stamp, set_user_active
from graph.commands.tokens import revoke_token
from graph.db import Database
from graph.models import Role, RolePrivilege, UserRole, utcnow
from tests.live.conftest import TIMELINE_SUB, Connect, account_with_contact, live_cursor, task_on
from tests.support.client import Api, gid
from tests.support.org import Org
from tests.support.ws import StreamEnded


async def give_own_activities_role(db: Database, user_id: object) -> None:
    """A custom role: read every account and contact, but only your own activities and notes."""
    async with db.unit_of_work() as session:
        role = Role(name="own_activities_reader")
        session.add(role)
        await session.flush()
        depths = {"account": "ORGANIZATION", "contact": "ORGANIZATION", "activity": "USER", "note": "USER"}
        session.add_all(RolePrivilege(role_id=role.id, record_type=t, action="read", depth=d) for t, d in depths.items())
        session.add(UserRole(user_id=user_id, role_id=role.id))
        await session.flush()
        await bump_security_stamp(session)


async def test_an_event_the_subscriber_may_not_read_is_not_pushed(api: Api, connect: Connect, db: Database, org: Org) -> None:
    """R-LIVE-4: with USER read depth on activities, someone else's task is not pushed; one's own is."""
    account, contact = await account_with_contact(api)
    await give_own_activities_role(db, org.users["norole"])
    after = await live_cursor(api, as_="norole")
    async with connect("norole") as restricted, connect("sales2") as everyone:
        hidden_op = await restricted.subscribe(TIMELINE_SUB, {"recordId": account, "after": after})
        all_op = await everyone.subscribe(TIMELINE_SUB, {"recordId": account, "after": after})
        hidden = await task_on(api, contact, "Sam's private call")
        mine = await task_on(api, contact, "For Nora", as_="admin", ownerId=gid("User", org.users["norole"]))
        pushed = (await restricted.next(hidden_op))["timelineChanged"]
        seen_by_all = [(await everyone.next(all_op))["timelineChanged"]["entryId"] for _ in range(2)]
    # Events arrive in order, so the first one Nora receives being her own proves the
    # earlier one was dropped, not delayed.
    assert pushed["entryId"] == mine and pushed["entry"]["subject"] == "For Nora"
    assert seen_by_all == [hidden, mine]


async def test_a_revoked_token_stops_receiving(api: Api, connect: Connect, db: Database, org: Org) -> None:
    """SPEC §1, R-LIVE-4: the token is checked again for every event."""
    account, contact = await account_with_contact(api)
    after = await live_cursor(api)
    async with connect("sales2") as ws:
        op = await ws.subscribe(TIMELINE_SUB, {"recordId": account, "after": after})
        await task_on(api, contact, "Seen")
        assert (await ws.next(op))["timelineChanged"]["entry"]["subject"] == "Seen"
        async with db.unit_of_work() as session:
            assert await revoke_token(session, org.tokens["sales2"], utcnow()) == 1
        await task_on(api, contact, "Not seen")
        with pytest.raises(StreamEnded) as ended:
            await ws.next(op)
    assert ended.value.codes == ["UNAUTHENTICATED"]


@pytest.mark.parametrize("how", ["directly", "deactivateUser"])
async def test_a_deactivated_user_stops_receiving(how: str, api: Api, connect: Connect, db: Database,
                                                  org: Org) -> None:
    """SPEC §1, R-ADM-2: a deactivated user's tokens stop working at once, websockets included:
    the next event ends the open subscription."""
    account, contact = await account_with_contact(api)
    after = await live_cursor(api)
    async with connect("sales3") as ws:
        op = await ws.subscribe(TIMELINE_SUB, {"recordId": account, "after": after})
        await task_on(api, contact, "Seen")
        assert (await ws.next(op))["timelineChanged"]["entry"]["subject"] == "Seen"
        if how == "deactivateUser":
            await api.ok("deactivateUser", {"id": gid("User", org.users["sales3"])}, "user { id }")
        else:
            async with db.unit_of_work() as session:
                await set_user_active(session, org.users["sales3"], False)
        await task_on(api, contact, "Not seen")
        with pytest.raises(StreamEnded) as ended:
            await ws.next(op)
    assert ended.value.codes == ["UNAUTHENTICATED"]
