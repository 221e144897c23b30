"""Runs the report jobs (/xuat, /bieudo) in the background, one at a time, and between
them retrains the router when enough new labels came (bot/route_learner.py).

Woken after every handled message (a job may have been recorded), and every POLL seconds
anyway, so a job left by a crash is taken up soon after start. The report process is kept
between jobs (imports and caches paid once, ~2.5 s a job) and replaced if it dies.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from bot.route_learner import RouteLearner
from bot.worker import Worker
from handlers.core import Hotline
from handlers.reports import jobs as report_jobs

log = logging.getLogger(__name__)

POLL = 60.0
LEARN_CHECK = 30.0  # counting the labelled tickets is a table scan: not after every message


class ReportWorker(Worker):
    name = "report-worker"

    def __init__(
        self, hotline: Hotline, on_done: Callable[[], None], learner: RouteLearner | None = None
    ):
        super().__init__()
        self.hotline = hotline  # its settings change when a group binds itself with /nhom
        self.learner = learner  # retrains the router in the report process, between reports
        self.on_done = on_done  # a file is queued in the outbox: wake the sender
        self._lock = asyncio.Lock()  # one runner at a time: the loop, or drain()
        self._pool: ProcessPoolExecutor | None = None  # started at the first job
        self._learn_checked = -LEARN_CHECK  # the first pass checks
        self._training: asyncio.Future[Any] | None = None  # a retraining under way

    async def stop(self, grace: float = 5.0) -> None:
        self._end_training()  # not waited for: the model in use stays good
        await super().stop(grace)  # a job cut off here is made again at the next start
        self._end_pool()

    def _end_pool(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            # The interpreter waits at exit for a pool's running job (minutes for a big export):
            # end the child now. Python < 3.14 has no public call for it.
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.terminate()
            pool.shutdown(wait=False, cancel_futures=True)

    def _end_training(self) -> None:
        """Give up a running training (seconds under load): a stop, or the reports of an
        ended console input, need not wait for it. It is tried again at the next check."""
        if self._training is not None and not self._training.done():
            self._training.cancel()
            self._end_pool()  # its child would go on training

    async def learn(self) -> None:
        """Retrain the router when enough new labels came (or never yet in this run)."""
        if self.learner is None:
            return
        async with self._lock:
            if not await self.learner.due():
                return
            for _ in range(2):
                self._pool = self._pool or report_jobs.new_pool()
                self._training = asyncio.ensure_future(self.learner.retrain(self._pool))
                try:
                    await self._training
                    return
                except BrokenProcessPool:
                    log.error("the report process died while training the router")
                    self._pool = None
                except asyncio.CancelledError:
                    task = asyncio.current_task()
                    if task is not None and task.cancelling():
                        raise  # this pass itself is cut off
                    return  # the training alone was given up (_end_training)
                finally:
                    self._training = None

    async def drain(self) -> None:
        """Make every waiting report now (the console's input ended: finish before exiting)."""
        self._end_training()
        async with self._lock:
            h = self.hotline
            while True:
                self._pool = self._pool or report_jobs.new_pool()
                try:
                    await report_jobs.run_pending(h.db, h.settings, h.deadlines, h.clock, self._pool)
                    break
                except BrokenProcessPool:  # its job counts as cut off: tried again, or given up
                    self._pool = None
            self.on_done()

    async def run_pass(self) -> float:
        try:
            await self.drain()
            if time.monotonic() - self._learn_checked >= LEARN_CHECK:
                self._learn_checked = time.monotonic()
                await self.learn()
        except Exception:  # the database away, say: try again at the next wake
            log.exception("report jobs failed")
        return POLL
