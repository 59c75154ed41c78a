"""Render once (subscriptions/render_once.py): one computation per key, shared; a subscriber
that goes away while computing never ends the others' streams."""

from __future__ import annotations

import asyncio

import pytest

from subscriptions.render_once import SingleFlight


async def test_concurrent_askers_share_one_computation() -> None:
    flight: SingleFlight[int] = SingleFlight(8)
    release = asyncio.Event()
    calls = 0

    async def compute() -> int:
        nonlocal calls
        calls += 1
        await release.wait()
        return 42

    askers = [asyncio.create_task(flight.run("k", compute)) for _ in range(5)]
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*askers) == [42] * 5
    assert (calls, flight.computed, flight.shared) == (1, 1, 4)


async def test_a_cancelled_computer_leaves_the_waiters_to_compute_it_themselves() -> None:
    flight: SingleFlight[str] = SingleFlight(8)
    started = asyncio.Event()

    async def never() -> str:
        started.set()
        await asyncio.Event().wait()
        return "never"

    async def quick() -> str:
        return "done"

    first = asyncio.create_task(flight.run("k", never))
    await started.wait()
    second = asyncio.create_task(flight.run("k", quick))
    await asyncio.sleep(0)
    first.cancel()
    assert await second == "done"
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_a_failure_is_not_kept() -> None:
    flight: SingleFlight[int] = SingleFlight(8)

    async def boom() -> int:
        raise RuntimeError("database down")

    async def fine() -> int:
        return 1

    with pytest.raises(RuntimeError):
        await flight.run("k", boom)
    assert await flight.run("k", fine) == 1


async def test_only_the_newest_keys_are_kept() -> None:
    flight: SingleFlight[int] = SingleFlight(2)
    for n in range(3):
        await flight.run(n, lambda n=n: asyncio.sleep(0, n))
    assert flight.get(0) is None and flight.get(2) is not None
