"""The `-j` slot pool when a run is aborted: cancelled holders and waiters give back what
they took and leave no trace, in whatever order the cancellations land."""

from __future__ import annotations

import asyncio

from seamlessflow.scheduling.slots import Slots


async def _hold(slots: Slots, entered: asyncio.Event | None) -> None:
    async with slots.hold(1):
        if entered is not None:
            entered.set()
        await asyncio.Event().wait()  # until cancelled


def test_cancelling_the_holder_and_its_waiter_together_raises_nothing_else() -> None:
    """One task holds the only slot, a second waits for it; an abort cancels both. The
    holder's release pops the waiter's (already cancelled) entry off the queue before the
    waiter's own cleanup runs: that cleanup must not fail on the missing entry."""

    async def scenario() -> tuple[list[BaseException | None], int, int]:
        slots = Slots(1)
        entered = asyncio.Event()
        holder = asyncio.create_task(_hold(slots, entered))
        await entered.wait()
        waiter = asyncio.create_task(_hold(slots, None))
        await asyncio.sleep(0)  # the waiter queues up behind the holder
        assert len(slots._waiters) == 1
        holder.cancel()
        waiter.cancel()
        results = await asyncio.gather(holder, waiter, return_exceptions=True)
        return [r if isinstance(r, BaseException) else None for r in results], slots.free, \
            len(slots._waiters)

    outcomes, free, queued = asyncio.run(scenario())
    assert all(isinstance(o, asyncio.CancelledError) for o in outcomes), outcomes
    assert free == 1
    assert queued == 0

