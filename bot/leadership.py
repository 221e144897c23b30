"""Which instance leads: polls the platforms, runs the scheduler, makes the report files.

On PostgreSQL the leader is whoever holds a session-level advisory lock on a connection kept
for that alone. PostgreSQL releases the lock when that session ends — a crash, a SIGKILL, a
cut network (a silent one within about a minute: storage/db.py's KEEPALIVE) — so a standby's
next try (every CHECK_EVERY seconds) takes over. The leader
checks its connection as often; a check that fails or hangs means leadership is lost and
everything that needs it stops, before anyone else can have taken it over for long.
SQLite runs one instance (bot/single_instance.py), which always leads.

Every pass also refreshes this instance's heartbeat row, what `hotline status` shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col

from bot.worker import Worker
from storage.db import LEADER_LOCK, Database
from storage.models import Instance

log = logging.getLogger(__name__)

CHECK_EVERY = 5.0  # seconds between checks: a standby takes over within about this long
CHECK_TIMEOUT = 10.0  # a check that hangs this long counts as a lost connection
FORGET_AFTER = timedelta(days=1)  # heartbeat rows of instances gone this long are removed


def instance_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Leadership(Worker):
    name = "leadership"

    def __init__(
        self, db: Database, on_change: Callable[[bool], Awaitable[None]],
        every: float = CHECK_EVERY,
    ):
        super().__init__()
        self.db = db
        self.on_change = on_change  # called with True when gained, False when lost
        self.every = every
        self.id = instance_id()
        self.is_leader = False
        self.started_at = datetime.now(UTC)
        self._conn: AsyncConnection | None = None

    async def run_pass(self) -> float:
        leader = await self._check()
        if leader != self.is_leader:
            self.is_leader = leader
            log.info("leadership %s by %s", "taken" if leader else "lost", self.id)
            try:
                await self.on_change(leader)
            except Exception:
                log.exception("changing to %s failed", "leader" if leader else "standby")
        try:
            await self._heartbeat()
        except Exception as err:  # the database away: the check above already reacted
            log.warning("heartbeat failed (%s)", type(err).__name__)
        return self.every

    async def release(self) -> None:
        """After stop(): give the lock up at once (a standby need not wait for a timeout) and
        remove this instance's heartbeat row."""
        await self._drop()
        self.is_leader = False
        with contextlib.suppress(Exception):
            async with self.db.session() as session:
                await session.execute(delete(Instance).where(col(Instance.id) == self.id))

    async def _check(self) -> bool:
        if self.db.is_sqlite:
            return True
        try:
            return await asyncio.wait_for(self._hold(), CHECK_TIMEOUT)
        except Exception as err:
            log.warning("leadership check failed (%s): standing by", type(err).__name__)
            await self._drop()
            return False

    async def _hold(self) -> bool:
        if self._conn is None:
            self._conn = await self.db.engine.connect()
        if self.is_leader:  # the lock lives exactly as long as this connection's session
            await self._conn.exec_driver_sql("SELECT 1")
            held = True
        else:
            result = await self._conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({LEADER_LOCK})")
            held = bool(result.scalar())
        await self._conn.commit()  # never leave the lock's connection idle in a transaction
        return held

    async def _drop(self) -> None:
        """Close the lock's connection for good: returned to the pool it would keep the lock."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.invalidate()
            with contextlib.suppress(Exception):
                await conn.close()

    async def _heartbeat(self) -> None:
        now = datetime.now(UTC)
        async with self.db.session() as session:
            row = await session.get(Instance, self.id)
            if row is None:
                host, _, pid = self.id.rpartition(":")
                row = Instance(id=self.id, host=host, pid=int(pid), started_at=self.started_at,
                               seen_at=now)
                session.add(row)
            row.seen_at = now
            row.leader = self.is_leader
            await session.execute(delete(Instance).where(col(Instance.seen_at) < now - FORGET_AFTER))
