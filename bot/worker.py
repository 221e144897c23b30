"""The app's background loops (outbox sender, report worker): woken by `wake()` and at least
every so often, and stopped between passes, not in the middle of one.

Cancelling a task while it waits on the database can leave its connection inside a
transaction (on SQLite: holding the write lock) until the connection is collected; `stop()`
lets the current pass finish, and cancels only if it takes longer than `grace` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib


class Worker:
    name = "worker"

    def __init__(self) -> None:
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self, grace: float = 5.0) -> None:
        """Idempotent: the app stops a leader's workers, then stops everything; a second call
        must not re-raise the first one's cancellation."""
        if self._task is None or self._task.done():
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def run_pass(self) -> float:
        """One pass of the work; returns how many seconds may pass before the next one."""
        raise NotImplementedError

    def resting(self) -> None:
        """Called when a pass ends with nothing new woken meanwhile."""

    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            delay = await self.run_pass()
            if self._stopping:
                return
            if self._wake.is_set():  # woken during the pass: something new may be due
                continue
            self.resting()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
