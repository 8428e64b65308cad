"""`-j N` as a pool of slots, where one instance may take several (`cores:`), and
`--resources mem=SIZE` as a pool of memory (`memory:`).

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
    """`total` slots and, with `memory` (bytes, `--resources mem=`), that much memory:
    an instance starts once both its slots and its memory are free."""

    def __init__(self, total: int, memory: int | None = None):
        self.total = total
        self.free = total
        self.memory = memory
        self.free_memory = memory or 0
        self._waiters: deque[tuple[int, int, asyncio.Future]] = deque()

    @asynccontextmanager
    async def hold(self, n: int, memory: int = 0) -> AsyncIterator[None]:
        """`memory` counts only when the run was given a limit; the run refuses an
        instance needing more than all of it before anything starts."""
        import asyncio

        n = min(n, self.total)  # an instance wanting more cores than -j still runs, alone
        memory = memory if self.memory is not None else 0
        if self._waiters or not self._fits(n, memory):
            waiter = asyncio.get_running_loop().create_future()
            entry = (n, memory, waiter)
            self._waiters.append(entry)
            try:
                await waiter  # its slots are taken for it by _wake
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._give_back(n, memory)  # granted just as it was cancelled
                else:
                    if entry in self._waiters:  # a release may have dropped it already
                        self._waiters.remove(entry)
                    self._wake()
                raise
        else:
            self._take(n, memory)
        try:
            yield
        finally:
            self._give_back(n, memory)

    def _fits(self, n: int, memory: int) -> bool:
        return n <= self.free and memory <= self.free_memory

    def _take(self, n: int, memory: int) -> None:
        self.free -= n
        self.free_memory -= memory

    def _give_back(self, n: int, memory: int) -> None:
        self.free += n
        self.free_memory += memory
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self._fits(*self._waiters[0][:2]):
            n, memory, waiter = self._waiters.popleft()
            if waiter.done():
                continue
            self._take(n, memory)
            waiter.set_result(None)
