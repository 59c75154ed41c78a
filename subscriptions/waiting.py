"""Bounded waits that never swallow a cancellation.

Python 3.11's `asyncio.wait_for` loses a `cancel()` that arrives while the awaited thing is
completing (CPython gh-86296, fixed in 3.12): the waiter returns normally and the task goes
on as if nobody had asked it to stop. A worker loop of the form "wait for a wake-up or a
timeout, work, repeat" then ignores `stop()` and keeps its process's shutdown waiting for
ever — seen as a rare hang when an app stopped just after something woke its workers.
`asyncio.timeout` counts cancellations instead, so a stop always wins; every background
loop waits through these two functions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def within(awaitable: Awaitable[T], seconds: float) -> T:
    """Await `awaitable`, raising TimeoutError after `seconds`."""
    async with asyncio.timeout(seconds):
        return await awaitable


async def woken(event: asyncio.Event, seconds: float) -> bool:
    """Wait until `event` is set (True) or `seconds` have passed (False)."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True
