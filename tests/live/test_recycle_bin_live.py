"""Live events of the recycle bin (R-QRY-4): deleting says REMOVED to the timelines that
showed the entry and to the record's own subscribers; restoring says ADDED again."""

from __future__ import annotations


import pytest

from tests.live.conftest import RECORD_SUB, TIMELINE_SUB, Connect, account_with_contact, live_cursor, task_on
from tests.support.client import Api
from tests.support.ws import StreamEnded

RESULTS = "results { ok error { code } }"


async def test_deleting_and_restoring_an_activity_and_a_contact_is_told_live(api: Api, connect: Connect) -> None:
    account, contact = await account_with_contact(api)
    task = await task_on(api, contact, "Call Chris")
    after = await live_cursor(api)
    async with connect("sales2") as ws:
        on_account = await ws.subscribe(TIMELINE_SUB, {"recordId": account, "after": after})
        on_contact = await ws.subscribe(RECORD_SUB, {"id": contact, "after": after})
        await api.ok("deleteActivities", {"ids": [task]}, RESULTS, as_="sales1")
        removed = (await ws.next(on_account))["timelineChanged"]
        await api.ok("restore", {"ids": [task]}, RESULTS, as_="sales1")
        added = (await ws.next(on_account))["timelineChanged"]
        await api.ok("deleteRecords", {"ids": [contact]}, RESULTS)
        gone_from_account = (await ws.next(on_account))["timelineChanged"]
        record_event = (await ws.next(on_contact))["recordChanged"]
        with pytest.raises(StreamEnded):
            await ws.next(on_contact)
    assert (removed["change"], removed["entryId"], removed["entry"]) == ("REMOVED", task, None)
    assert (added["change"], added["entryId"], added["entry"]["subject"]) == ("ADDED", task, "Call Chris")
    # The contact's history no longer rolls up into its account.
    assert (gone_from_account["change"], gone_from_account["entryId"]) == ("REMOVED", task)
    assert (record_event["change"], record_event["record"]) == ("REMOVED", None)
