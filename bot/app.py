"""Builds the whole bot from a config and runs it: `build_app(cfg)` then `await app.run()`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import TextIO

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.channels.base import Channel
from bot.channels.console import ConsoleChannel
from bot.channels.outage import Alert
from bot.config import Config
from bot.leadership import Leadership, instance_id
from bot.ops import Metrics, OpsServer
from bot.report_worker import ReportWorker
from bot.resend import resend_outage_failures
from bot.route_learner import RouteLearner
from bot.scheduler import Jobs, build_scheduler
from bot.sender import OutboxSender
from bot.single_instance import SingleInstance
from handlers.commands import menus
from handlers.core import Hotline
from handlers.settings import Clock, Deadlines
from storage.db import Database

log = logging.getLogger(__name__)


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def platform_channels(cfg: Config, alert: Alert | None = None) -> list[Channel]:
    """The Telegram and Zalo adapters the config enables (imported only when used);
    `alert` tells the supervisors of a platform outage."""
    channels: list[Channel] = []
    if cfg.telegram.enabled:
        from bot.channels.telegram import TelegramChannel

        channels.append(TelegramChannel(cfg.telegram, menus(), alert=alert))
    if cfg.zalo.enabled:
        from bot.channels.zalo import ZaloChannel

        channels.append(ZaloChannel(cfg.zalo, alert=alert))
    return channels


class App:
    def __init__(
        self,
        cfg: Config,
        clock: Clock | None = None,
        console_io: tuple[TextIO, TextIO] | None = None,
    ):
        self.cfg = cfg
        self.clock = clock or SystemClock()
        self.db = Database(cfg.database.url)
        self.single = SingleInstance(self.db.sqlite_file) if self.db.sqlite_file else None
        settings = cfg.settings()  # owned by the hotline from here on (bindings change it)
        self.channels: dict[str, Channel] = {}
        self.metrics = Metrics(
            [n for n in ("telegram", "zalo") if getattr(cfg, n).enabled]
            + (["console"] if cfg.console_enabled else [])
        )
        self.sender = OutboxSender(
            self.db, self.channels, self.clock,
            limits={"telegram": cfg.telegram.limits(), "zalo": cfg.zalo.limits()},
            # the sender reads only the supervisors, which do not change at runtime
            settings=settings, metrics=self.metrics, owner=instance_id(),
            lease=timedelta(seconds=cfg.outbox.claim_lease_seconds),
        )
        self.deadlines: Deadlines = cfg.schedule.deadlines()
        self.hotline = Hotline(
            self.db, settings, self.clock, self.deadlines, on_outbox=self._after_message
        )
        learner = None
        if cfg.routing.model_file:
            learner = RouteLearner(self.hotline, cfg.routing.model_file, cfg.routing.retrain_every)
        self.reports = ReportWorker(self.hotline, on_done=self.sender.wake, learner=learner)
        self.scheduler: AsyncIOScheduler | None = None  # the leader's (bot/leadership.py)
        self.leadership = Leadership(self.db, self._lead)
        self.running: set[str] = set()  # channels started
        self.ops = (
            OpsServer(cfg.ops.host, cfg.ops.port, self.db, self.metrics, self.readiness)
            if cfg.ops.port else None
        )
        # polling channels run on the leader only (two pollers get every update twice, and
        # Telegram answers the second with 409); a webhook or the console runs everywhere
        self.polled = {
            name for name in ("telegram", "zalo")
            if getattr(cfg, name).enabled and getattr(cfg, name).mode == "polling"
        }
        for channel in platform_channels(cfg, alert=self.hotline.alert_supervisors):
            self.channels[channel.name] = channel
            if (events := getattr(channel, "events", None)) is not None:  # Zalo's tally
                self.metrics.events.watch(channel.name, events)
        self.console: ConsoleChannel | None = None
        if cfg.console_enabled:
            stdin, stdout = console_io or (None, None)
            self.console = ConsoleChannel(stdin, stdout, settle=self.sender.drain)
            self.channels[self.console.name] = self.console
        self._stopping = asyncio.Event()
        self.jobs = Jobs(stopping=lambda: self.stopping, sent=self.sender.wake)  # running now

    def _after_message(self) -> None:
        self.sender.wake()
        self.reports.wake()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def start(self) -> bool:
        """Bring the database up to date and start everything; False when a stop was asked
        for while waiting on the database. Unreachable when it never answered."""
        if self.single is not None:
            self.single.acquire()  # raises AlreadyRunning: nothing else is started yet
        if self.ops is not None:
            await self.ops.start()  # first: /healthz answers during a long migration
        if not await self.db.wait_until_reachable(self.cfg.database.start_retry_seconds, self._stopping):
            return False
        await self.db.upgrade()
        await self.hotline.load_bindings()
        await resend_outage_failures(self.db, self.clock.now())
        learner = self.reports.learner
        if learner is not None and not await learner.load_saved():
            # no model yet: the first questions wait for it, not keywords; a stop asked for
            # meanwhile gives it up (stop() ends the training's child process)
            log.info("no routing model yet: training it before the channels start")
            await self._unless_stopped(self.reports.learn())
        if self.stopping:
            return False
        for name, channel in self.channels.items():
            if name not in self.polled:
                await channel.start(self.metrics.handler(self.hotline.handle))
                self.running.add(name)
                log.info("channel %s started", name)
        self.sender.start()  # on every instance: rows are claimed (storage/outbox.py claim)
        await self.leadership.run_pass()  # SQLite, or a free lock: lead before start() returns
        self.leadership.start()
        if not self.leadership.is_leader:
            log.info("instance %s standing by (another instance leads)", self.leadership.id)
        return True

    async def _lead(self, leader: bool) -> None:
        """Start or stop what only the leader runs."""
        if leader:
            self.reports.start()
            self.scheduler = build_scheduler(  # built now: catches up a digest missed
                self.hotline, self.jobs, self.cfg.schedule.tick_seconds, self.cfg.schedule.digest_time,
                counted=self.metrics.followups.inc,
            )
            self.scheduler.start()
            for name in self.polled:
                await self.channels[name].start(self.metrics.handler(self.hotline.handle))
                self.running.add(name)
                log.info("channel %s started (polling, leader)", name)
            self.metrics.leader.set(1)
            return
        self.metrics.leader.set(0)
        for name in self.polled:
            self.running.discard(name)
            with contextlib.suppress(Exception):
                await self.channels[name].stop()
        await self.jobs.finish()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.reports.stop()

    async def stop(self, grace: float = 5.0) -> None:
        """Stop within seconds whatever is running: jobs and workers get `grace` to finish
        their pass, then are cut off (their work is redone at the next start)."""
        self._stopping.set()
        await self.leadership.stop()
        if self.leadership.is_leader:
            await self._lead(False)
        await self.reports.stop(grace)
        await self.sender.stop()  # first: a send during shutdown would reopen a channel's client
        for channel in self.channels.values():
            with contextlib.suppress(Exception):
                await channel.stop()
        await self.leadership.release()  # after its work stopped: no overlap with the next
        if self.ops is not None:
            await self.ops.stop()
        await self.db.close()
        if self.single is not None:
            self.single.release()

    def readiness(self) -> tuple[bool, dict[str, object]]:
        """For /readyz (which adds the database): every channel this role runs is running."""
        leader = self.leadership.is_leader
        wanted = {n for n in self.channels if leader or n not in self.polled}
        return wanted <= self.running, {
            "role": "leader" if leader else "standby",
            "instance": self.leadership.id,
            "channels": {n: ("running" if n in self.running else "stopped") for n in sorted(self.channels)},
        }

    def request_stop(self) -> None:
        self._stopping.set()

    async def _unless_stopped(self, work: Awaitable[object]) -> None:
        """Await `work`, but give it up as soon as a stop is asked for."""
        task = asyncio.ensure_future(work)
        stop = asyncio.create_task(self._stopping.wait())
        await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        else:
            task.result()

    async def run(self) -> None:
        """Run until a signal, or until the console's input ends."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.request_stop)
        try:
            if not await self.start():
                return
            waits = [asyncio.create_task(self._stopping.wait())]
            if self.console is not None:
                waits.append(asyncio.create_task(self.console.finished.wait()))
            _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            if not self.stopping:  # piped console input ended: finish its reports
                await self._unless_stopped(self.reports.drain())
            if not self.stopping and self.sender.running:
                await self._unless_stopped(self.sender.drain())
        finally:
            await self.stop()


def build_app(cfg: Config, **kwargs) -> App:  # type: ignore[no-untyped-def]
    return App(cfg, **kwargs)
