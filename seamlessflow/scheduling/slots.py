"""`-j N` as a pool of slots, where one instance may take several (`cores:`).

Waiters are served first come, first served, each woken only when its turn comes
and its slots are free: a Condition with notify_all would wake every waiting
instance on every release, which for a thousand queued instances costs more than
the commands themselves. FIFO also keeps an instance that wants many cores from
being starved by a stream of one-core instances.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # asyncio only once something executes: `slot_count` is wanted before
    import asyncio

    from seamlessflow.graph.model import Instance


def slot_count(inst: Instance, jobs: int) -> int:
    """The slots an instance holds: its `cores:`, at most `-j` (it then runs alone).
    The command is told this number ($SEAMLESSFLOW_CORES)."""
    return min(inst.cores, max(jobs, 1))


class Slots:
    def __init__(self, total: int):
        self.total = total
        self.free = total
        self._waiters: deque[tuple[int, asyncio.Future]] = deque()

    @asynccontextmanager
    async def hold(self, n: int) -> AsyncIterator[None]:
        import asyncio

        n = min(n, self.total)  # an instance wanting more cores than -j still runs, alone
        if self._waiters or self.free < n:
            waiter = asyncio.get_running_loop().create_future()
            entry = (n, waiter)
            self._waiters.append(entry)
            try:
                await waiter  # its slots are taken for it by _wake
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._give_back(n)  # granted just as it was cancelled
                else:
                    self._waiters.remove(entry)
                    self._wake()
                raise
        else:
            self.free -= n
        try:
            yield
        finally:
            self._give_back(n)

    def _give_back(self, n: int) -> None:
        self.free += n
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self._waiters[0][0] <= self.free:
            n, waiter = self._waiters.popleft()
            if waiter.done():
                continue
            self.free -= n
            waiter.set_result(None)
