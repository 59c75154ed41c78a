"""timelineChanged over a real websocket: roll-up, resume, permissions (R-LIVE-1/2/4, R-TL-2)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.live.conftest import TIMELINE_SUB, Connect, account_with_contact, caught_up, live_cursor, task_on, until
from tests.support.client import Api
from tests.support.ws import LEGACY_WS, TRANSPORT_WS, StreamEnded


async def test_task_on_contact_is_pushed_to_the_account_timeline(api: Api, connect: Connect, app: Any) -> None:
    """R-LIVE-1, R-TL-2: a task on Chris shows up live on Import Sports, with the entry."""
    account, contact = await account_with_contact(api)
    after = await live_cursor(api)
    async with connect("sales2") as ws:
        op = await ws.subscribe(TIMELINE_SUB, {"recordId": account, "after": after})
        task = await task_on(api, contact, "Call Chris back")
        event = (await ws.next(op))["timelineChanged"]
    await until(lambda: app.state.live.dispatcher.subscriber_count == 0)  # closing the socket unsubscribes
    assert event["change"] == "ADDED"
    assert event["recordId"] == account and event["entryId"] == task
    assert event["entry"] == {"__typename": "Task", "id": task, "subject": "Call Chris back", "state": "OPEN",
                              "owner": {"fullName": "Sam Seller"}}
    assert event["cursor"] != after


async def test_without_after_the_stream_starts_now(api: Api, connect: Connect, app: Any) -> None:
    """R-LIVE-1: no cursor means live only: history already relayed is not replayed."""
    account, contact = await account_with_contact(api)
    await task_on(api, contact, "Before subscribing")
    await until(lambda: caught_up(app.state.live))
    async with connect("sales2") as ws:
        op = await ws.subscribe(TIMELINE_SUB, {"recordId": account})
        await until(lambda: app.state.live.dispatcher.subscriber_count == 1)
        await task_on(api, contact, "After subscribing")
        first = (await ws.next(op))["timelineChanged"]
    assert first["entry"]["subject"] == "After subscribing"


async def test_resume_replays_exactly_the_missed_events_in_order_then_live(api: Api, connect: Connect) -> None:
    """R-LIVE-2: reconnecting with `after` gives every missed event once, in order, then live ones."""
    account, contact = await account_with_contact(api)
    after = await live_cursor(api)
    async with connect("sales2") as ws:
        op = await ws.subscribe(TIMELINE_SUB, {"recordId": account, "after": after})
        await task_on(api, contact, "T1")
        first = (await ws.next(op))["timelineChanged"]
    assert first["entry"]["subject"] == "T1"

    missed = [await task_on(api, contact, f"T{n}") for n in range(2, 7)]  # two replay pages of 3
    async with connect("sales2") as ws:
        op = await ws.subscribe(TIMELINE_SUB, {"recordId": account, "after": first["cursor"]})
        replayed = [(await ws.next(op))["timelineChanged"] for _ in missed]
        live_task = await task_on(api, contact, "T7")
        live = (await ws.next(op))["timelineChanged"]
        after_live = await task_on(api, contact, "T8")
        next_one = (await ws.next(op))["timelineChanged"]

    assert [e["entryId"] for e in replayed] == missed
    assert [e["entry"]["subject"] for e in replayed] == ["T2", "T3", "T4", "T5", "T6"]
    assert live["entryId"] == live_task and next_one["entryId"] == after_live  # no duplicate in between
    cursors = [first["cursor"], *(e["cursor"] for e in replayed), live["cursor"], next_one["cursor"]]
    assert len(set(cursors)) == len(cursors)


async def test_legacy_graphql_ws_protocol(api: Api, connect: Connect) -> None:
    """R-LIVE-1: the legacy `graphql-ws` protocol delivers the same events."""
    account, contact = await account_with_contact(api)
    after = await live_cursor(api)
    async with connect("sales2", protocol=LEGACY_WS) as ws:
        op = await ws.subscribe(TIMELINE_SUB, {"recordId": account, "after": after})
        task = await task_on(api, contact, "Legacy")
        event = (await ws.next(op))["timelineChanged"]
    assert event["entryId"] == task and event["change"] == "ADDED"


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_replay_page_reaches_the_socket_as_one_message_per_event(
        api: Api, connect: Connect, app: Any, protocol: str) -> None:
    """A replay page is rendered as one and split on the socket: each event its own
    message, in order, with its own cursor, on either protocol."""
    account, contact = await account_with_contact(api)
    after = await live_cursor(api)
    missed = [await task_on(api, contact, f"R{n}") for n in range(3)]  # one replay page of 3
    await until(lambda: caught_up(app.state.live))
    pages = app.state.live.pages_sent
    async with connect("sales2", protocol=protocol) as ws:
        op = await ws.subscribe(TIMELINE_SUB, {"recordId": account, "after": after})
        replayed = [(await ws.next(op))["timelineChanged"] for _ in missed]
    assert [e["entryId"] for e in replayed] == missed
    assert [e["entry"]["subject"] for e in replayed] == ["R0", "R1", "R2"]
    assert len({e["cursor"] for e in replayed}) == 3
    assert app.state.live.pages_sent > pages


async def test_unknown_or_unreadable_record_and_bad_cursor_are_typed_errors(api: Api, connect: Connect) -> None:
    account, _ = await account_with_contact(api)
    async with connect("sales2") as ws:
        bad_cursor = await ws.subscribe(TIMELINE_SUB, {"recordId": account, "after": "not-a-cursor"})
        with pytest.raises(StreamEnded) as ended:
            await ws.next(bad_cursor)
        assert ended.value.codes == ["VALIDATION"]
        bad_id = await ws.subscribe(TIMELINE_SUB, {"recordId": "nonsense"})
        with pytest.raises(StreamEnded) as ended:
            await ws.next(bad_id)
        assert ended.value.codes == ["VALIDATION"]
    async with connect("norole") as ws:  # may read no accounts at all
        hidden = await ws.subscribe(TIMELINE_SUB, {"recordId": account})
        with pytest.raises(StreamEnded) as ended:
            await ws.next(hidden)
        assert ended.value.codes == ["NOT_FOUND"]


async def test_a_contact_moving_accounts_moves_its_entries_live(api: Api, connect: Connect) -> None:
    """R-TL-2, R-LIVE-1: the old account's timeline gets REMOVED, the new one's ADDED."""
    old_account, contact = await account_with_contact(api)
    new_account = (await api.ok("createAccount", {"name": "Export Sports"}, "account { id }"))["account"]["id"]
    task = await task_on(api, contact, "Follows Chris")
    after = await live_cursor(api)
    async with connect("sales2") as ws:
        on_old = await ws.subscribe(TIMELINE_SUB, {"recordId": old_account, "after": after})
        on_new = await ws.subscribe(TIMELINE_SUB, {"recordId": new_account, "after": after})
        await api.ok("updateContact", {"id": contact, "accountId": new_account}, "contact { id }")
        removed = (await ws.next(on_old))["timelineChanged"]
        added = (await ws.next(on_new))["timelineChanged"]
    assert (removed["change"], removed["entryId"], removed["recordId"]) == ("REMOVED", task, old_account)
    assert (added["change"], added["entryId"], added["recordId"]) == ("ADDED", task, new_account)
    assert added["entry"]["subject"] == "Follows Chris"


async def test_a_note_on_the_contact_is_pushed_as_a_note(api: Api, connect: Connect) -> None:
    account, contact = await account_with_contact(api)
    after = await live_cursor(api)
    async with connect("sales2") as ws:
        op = await ws.subscribe(TIMELINE_SUB, {"recordId": account, "after": after})
        note = (await api.ok("addNote", {"recordId": contact, "title": "Met at the fair"}, "note { id }"))["note"]["id"]
        event = (await ws.next(op))["timelineChanged"]
    assert event["entryId"] == note
    assert event["entry"] == {"__typename": "Note", "id": note, "title": "Met at the fair"}
