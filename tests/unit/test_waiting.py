"""Background loops stop when told, even when the stop meets a wake-up (subscriptions/waiting.py)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

import pytest

from subscriptions.waiting import within, woken


async def wait_for_wake(event: asyncio.Event, seconds: float) -> bool:
    """The pattern the loops used before: asyncio.wait_for around Event.wait()."""
    try:
        await asyncio.wait_for(event.wait(), seconds)
    except TimeoutError:
        return False
    return True


async def stop_meeting_a_wake_up(wait: Callable[[asyncio.Event, float], Awaitable[bool]]) -> asyncio.Task[None]:
    """A worker loop woken and cancelled in the same breath, as an app stopping just after
    a commit woke its workers."""
    event = asyncio.Event()

    async def worker() -> None:
        while True:
            await wait(event, 3600)
            event.clear()

    task = asyncio.create_task(worker())
    await asyncio.sleep(0)  # the worker is now waiting
    event.set()
    task.cancel()
    await asyncio.wait([task], timeout=1)
    return task


async def test_a_stop_that_meets_a_wake_up_still_stops_the_loop() -> None:
    task = await stop_meeting_a_wake_up(woken)
    assert task.cancelled()


async def test_the_pattern_it_replaces_lost_that_stop_on_this_python() -> None:
    """Documents why `woken` exists: on Python 3.11 wait_for swallows this cancellation."""
    task = await stop_meeting_a_wake_up(wait_for_wake)
    try:
        if sys.version_info >= (3, 12):
            assert task.cancelled()  # fixed upstream
        else:
            assert not task.done()  # still looping: the stop was lost
    finally:
        task.cancel()
        await asyncio.wait([task], timeout=1)


async def test_woken_tells_a_wake_up_from_a_timeout() -> None:
    event = asyncio.Event()
    assert await woken(event, 0.01) is False
    event.set()
    assert await woken(event, 3600) is True


async def test_within_returns_the_result_or_times_out() -> None:
    assert await within(asyncio.sleep(0, result=7), 5) == 7
    with pytest.raises(TimeoutError):
        await within(asyncio.Event().wait(), 0.01)
