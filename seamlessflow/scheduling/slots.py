"""`-j N` as a pool of slots, where one instance may take several (`cores:`).

Waiters are served first come, first served, each woken only when its turn comes
and its slots are free: a Condition with notify_all would wake every waiting
instance on every release, which for a thousand queued instances costs more than
the commands themselves. FIFO also keeps an instance that wants many cores from
being starved by a stream of one-core instances.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Slots:
    def __init__(self, total: int):
        self.total = total
        self.free = total
        self._waiters: deque[tuple[int, asyncio.Future]] = deque()

    @asynccontextmanager
    async def hold(self, n: int) -> AsyncIterator[None]:
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
                    if entry in self._waiters:  # a release may have dropped it already
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
