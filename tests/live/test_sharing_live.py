"""Live events of a shared record (R-ADM-6, R-LIVE-4): the grantee receives them while the
grant lasts; a revoke ends their open subscription with a typed ACCESS_REVOKED error.

Rita ("reader", Sales West) reads only her unit's records; the account is owned in Service.
"""

from __future__ import annotations

import pytest

from graph.db import Database
from graph.rules.access import Depth
from tests.live.conftest import RECORD_SUB, TIMELINE_SUB, Connect, live_cursor, task_on
from tests.support.client import Api, gid
from tests.support.org import Org
from tests.support.record_factories import account, add_custom_role
from tests.support.ws import StreamEnded


async def service_account(api: Api, org: Org, db: Database) -> str:
    await add_custom_role(db, org, role="unit_reader", key="reader", unit="west",
                          depths={"read": Depth.BUSINESS_UNIT, "append_to": Depth.BUSINESS_UNIT})
    return str((await account(api, "Service Co", ownerId=gid("User", org.users["service"])))["id"])


async def test_a_grantee_follows_a_shared_timeline_until_the_grant_is_revoked(
        api: Api, connect: Connect, db: Database, org: Org) -> None:
    service_co = await service_account(api, org, db)
    reader = gid("User", org.users["reader"])
    after = await live_cursor(api, as_="reader")
    async with connect("reader") as ws:
        before_share = await ws.subscribe(TIMELINE_SUB, {"recordId": service_co, "after": after})
        with pytest.raises(StreamEnded) as hidden:
            await ws.next(before_share)
        assert hidden.value.codes == ["NOT_FOUND"]
        await api.ok("shareRecord", {"recordId": service_co, "principalId": reader}, "grant { rights }")
        op = await ws.subscribe(TIMELINE_SUB, {"recordId": service_co, "after": after})
        changes = await ws.subscribe(RECORD_SUB, {"id": service_co, "after": after})
        await task_on(api, service_co, "Seen by Rita", as_="service")
        pushed = (await ws.next(op))["timelineChanged"]
        assert pushed["entry"]["subject"] == "Seen by Rita"
        await api.ok("updateAccount", {"id": service_co, "name": "Service Co 2"}, "account { id }", as_="service")
        assert (await ws.next(changes))["recordChanged"]["record"]["name"] == "Service Co 2"
        await api.ok("unshareRecord", {"recordId": service_co, "principalId": reader}, "recordId")
        with pytest.raises(StreamEnded) as ended:
            await ws.next(op)
        with pytest.raises(StreamEnded) as record_ended:
            await ws.next(changes)
    assert ended.value.codes == ["ACCESS_REVOKED"] and record_ended.value.codes == ["ACCESS_REVOKED"]
