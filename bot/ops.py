"""Operators' endpoints on a small HTTP listener ([ops] host, port; off by default):
GET /healthz (the process answers), /readyz (database reachable, channels running, leader or
standby), /metrics (Prometheus text format, prometheus-client).

Counters of what this process did (messages received, sends, 429s, failures, follow-ups,
handler latency, the platforms' events by name) live in the app's own registry, never a
module global. What the database
knows (tickets per area, outbox depth and the age of its oldest due row) is read at each
scrape, so every instance reports the same figures for the shared state.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import text

from handlers.messages import Inbound
from storage import status
from storage.db import Database

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DB_TIMEOUT = 3.0  # seconds: a database slower than this is "not answering"


class Metrics:
    """This process's counters and the database figures of the last scrape."""

    def __init__(self, channels: Iterable[str] = ()) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.received = Counter("hotline_messages_received", "Messages (questions, commands, "
                                "answers) that reached the bot", ["channel"], registry=r)
        self.handler_seconds = Histogram("hotline_handler_seconds", "Time to store and handle "
                                         "one inbound message", registry=r)
        self.sends = Counter("hotline_sends", "Messages delivered to a platform", ["channel"],
                             registry=r)
        self.rate_limited = Counter("hotline_send_rate_limited", "Sends the platform refused "
                                    "with 429", ["channel"], registry=r)
        self.send_failures = Counter("hotline_send_failures", "Sends that failed (transient or "
                                     "permanent)", ["channel"], registry=r)
        self.followups = Counter("hotline_followups_sent", "Reminders, deadline notices, "
                                 "escalations, check-backs and auto-closes queued", registry=r)
        self.leader = Gauge("hotline_leader", "1 while this instance leads (polls, schedules)",
                            registry=r)
        self.database_up = Gauge("hotline_database_up", "1 when the last scrape could read the "
                                 "database figures", registry=r)
        self._db = _DatabaseFigures(tuple(channels))
        r.register(self._db)
        self.events = _PlatformEvents()
        r.register(self.events)

    def handler(self, handle: Callable[[Inbound], Awaitable[None]]) -> Callable[[Inbound], Awaitable[None]]:
        """The app's inbound callback, counted and timed."""
        async def timed(msg: Inbound) -> None:
            self.received.labels(msg.chat.channel).inc()
            with self.handler_seconds.time():
                await handle(msg)
        return timed

    async def render(self, db: Database) -> bytes:
        """The counters always; the database figures when the database answers."""
        try:
            self._db.snapshot = await asyncio.wait_for(_read_figures(db), DB_TIMEOUT)
            self.database_up.set(1)
        except Exception as err:
            log.warning("metrics: database figures unavailable (%s)", type(err).__name__)
            self._db.snapshot = None
            self.database_up.set(0)
        return generate_latest(self.registry)


class _DatabaseFigures(Collector):
    def __init__(self, channels: tuple[str, ...]) -> None:
        self.channels = channels  # reported at 0 when nothing waits for them
        self.snapshot: tuple[dict[str, int], list[status.OutboxState], datetime] | None = None

    def collect(self) -> Iterable[Metric]:
        tickets = CounterMetricFamily("hotline_tickets_opened", "Tickets opened, per area "
                                      "(all instances)", labels=["area"])
        depth = GaugeMetricFamily("hotline_outbox_depth", "Messages not sent yet, per channel",
                                  labels=["channel"])
        age = GaugeMetricFamily("hotline_outbox_oldest_due_seconds", "How long the oldest due "
                                "message has waited, per channel (0: none due)", labels=["channel"])
        if self.snapshot is not None:
            by_area, outbox, now = self.snapshot
            for area, n in sorted(by_area.items()):
                tickets.add_metric([area], n)
            rows = {row.channel: row for row in outbox}
            for channel in sorted({*self.channels, *rows}):
                row = rows.get(channel)
                oldest = row.oldest_due if row else None
                depth.add_metric([channel], row.pending if row else 0)
                age.add_metric([channel], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        return [tickets, depth, age]


class _PlatformEvents(Collector):
    """A channel's own tally of the events its platform sent (Zalo's, by event name), read at
    each scrape: the adapter keeps counting without knowing of Prometheus."""

    def __init__(self) -> None:
        self.tallies: dict[str, Mapping[str, int]] = {}

    def watch(self, channel: str, tally: Mapping[str, int]) -> None:
        self.tallies[channel] = tally

    def collect(self) -> Iterable[Metric]:
        events = CounterMetricFamily("hotline_platform_events", "Events a platform sent, by "
                                     "channel and event name", labels=["channel", "event"])
        for channel, tally in sorted(self.tallies.items()):
            for event, n in sorted(tally.items()):
                events.add_metric([channel, event], n)
        return [events]


async def _read_figures(db: Database) -> tuple[dict[str, int], list[status.OutboxState], datetime]:
    now = datetime.now(UTC)
    async with db.session() as session:
        return await status.tickets_by_area(session), await status.outbox(session, now), now


class OpsServer:
    """The listener. `ready()` is given by the app: (ready, details) besides the database."""

    def __init__(self, host: str, port: int, db: Database, metrics: Metrics,
                 ready: Callable[[], tuple[bool, dict[str, object]]]):
        self.host, self.port = host, port
        self.db, self.metrics, self.ready = db, metrics, ready
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        log.info("ops endpoints on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _readyz(self, request: web.Request) -> web.Response:
        ok, details = self.ready()
        started = time.monotonic()
        try:
            async with asyncio.timeout(DB_TIMEOUT):
                async with self.db.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            details["database"] = f"ok ({(time.monotonic() - started) * 1000:.0f} ms)"
        except Exception as err:  # the reason by type only: no URL, no password
            details["database"] = f"unreachable ({type(err).__name__})"
            ok = False
        return web.json_response({"ready": ok, **details}, status=200 if ok else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        body = await self.metrics.render(self.db)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})
