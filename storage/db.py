"""Engine and unit-of-work sessions for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Hashable, Mapping
from contextlib import asynccontextmanager, nullcontext
from pathlib import Path

from sqlalchemy import Table, event, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.sql import Executable
from sqlmodel import SQLModel

from storage import (
    communes,
    handbook,
    migrate,
    models,  # noqa: F401  (registers the tables on SQLModel.metadata)
)

# PostgreSQL advisory lock keys of this application (one 64-bit key space per database)
STARTUP_LOCK = 0x686F746C_00000001  # migrations and seeding at start
LEADER_LOCK = 0x686F746C_00000002  # held by the leader (bot/leadership.py)
log = logging.getLogger(__name__)

SUPPORTED = ("sqlite+aiosqlite", "postgresql+asyncpg")
PING_TIMEOUT = 10.0  # one connection attempt; asyncpg's own default is 60 s
WRITES = "hotline_writes"  # connection.info: statements other than SELECT run on it so far
DEFERRED = "hotline_deferred"  # session.info: writes to run before the commit, by statement, in order
DEFERRED_COUNT = "hotline_deferred_count"  # session.info: rows deferred so far (never decreases)
DEFERRED_RUN = "hotline_deferred_run"  # session.info: statements flush_deferred has run
DEFERRED_KEYS = "hotline_deferred_keys"  # session.info: the keys of the rows deferred (`defer`)
_INSERTS: dict[Table, Executable] = {}  # one INSERT per table: deferred rows group by statement
# PostgreSQL session settings sent at connect (asyncpg `server_settings`): the server probes a
# silent client after 30 s idle and ends its session after 3 unanswered probes 10 s apart, or
# when data it sent stays unacknowledged for 60 s. So a leader whose network died silently
# loses its session, and the advisory lock with it, in about a minute instead of the system's
# keepalive default (~2 h); a dead instance's open transaction releases its locks as soon.
# Ignored over a Unix socket. tcp_user_timeout needs PostgreSQL 12 or newer.
KEEPALIVE = {
    "tcp_keepalives_idle": "30",
    "tcp_keepalives_interval": "10",
    "tcp_keepalives_count": "3",
    "tcp_user_timeout": "60000",  # milliseconds
}


class Unreachable(Exception):
    """The database did not answer: one line saying why, without the URL's password."""


def describe(err: BaseException) -> str:
    """One line for an error from the driver (SQLAlchemy appends a multi-line background)."""
    inner = getattr(err, "orig", None) or err
    first = (str(inner).strip().splitlines() or [""])[0]
    return f"{type(inner).__name__}: {first}"[:200] if first else type(inner).__name__


def transient(err: BaseException) -> bool:
    """Worth retrying: no answer yet (refused, timed out, host not found) or a server starting up."""
    if isinstance(err, OSError):
        return True
    return isinstance(err, DBAPIError) and (
        err.connection_invalidated or "starting up" in str(err) or "shutting down" in str(err)
    )


class Database:
    """Owns the engine; `session()` is one short transaction, committed on success."""

    def __init__(self, url: str):
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self.sqlite_file: str | None = None  # the database file, when it is one
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            self.sqlite_file = parsed.database
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # pre-ping (PostgreSQL): a connection dropped by a server restart is replaced, not
        # handed out; a SQLite file has no server to lose, and the ping is a round trip to
        # aiosqlite's thread on every transaction. hide_parameters: an error's message
        # (logged) never carries a user's text
        self.engine: AsyncEngine = create_async_engine(
            url, pool_pre_ping=not self.is_sqlite, hide_parameters=True,
            connect_args={} if self.is_sqlite else {"server_settings": KEEPALIVE},
        )
        # SQLite has one writer at a time and every session begins IMMEDIATE: this process's
        # transactions queue here instead of in SQLite's busy handler, which sleeps in steps
        # of up to 100 ms while another holds the lock. (Other processes still meet the busy
        # timeout.)
        self._write_lock: asyncio.Lock | None = None
        if self.is_sqlite:
            _configure_sqlite(self.engine)
            self._write_lock = asyncio.Lock()
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

        @event.listens_for(self.engine.sync_engine, "before_cursor_execute")
        def _count_writes(conn, _cursor, statement, *_):  # type: ignore[no-untyped-def]
            if not statement.startswith("SELECT"):
                conn.info[WRITES] = conn.info.get(WRITES, 0) + 1

    async def ping(self) -> None:
        """One round trip; Unreachable (one line) when the server does not answer."""
        await self.wait_until_reachable(0)

    async def wait_until_reachable(self, within: float, stopping: asyncio.Event | None = None) -> bool:
        """Ping until the database answers, for at most `within` seconds (a database that is
        restarting must not kill the bot). False when `stopping` was set meanwhile; Unreachable
        when the time ran out or the error will not pass by waiting (a database that does not
        exist, a wrong password)."""
        loop = asyncio.get_running_loop()
        deadline, delay = loop.time() + within, 0.5
        while True:
            try:
                async with asyncio.timeout(PING_TIMEOUT), self.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
                return True
            except (OSError, DBAPIError) as err:
                if not transient(err) or loop.time() + delay > deadline:
                    raise Unreachable(describe(err)) from None
                log.warning("the database does not answer yet (%s); trying again", describe(err))
            stopped = stopping or asyncio.Event()
            try:
                await asyncio.wait_for(stopped.wait(), delay)
                return False
            except TimeoutError:
                delay = min(delay * 2, 10.0)

    async def upgrade(self) -> None:
        """Bring the schema to the newest migration (storage/migrations), then the full-text
        index and the shipped communes. On PostgreSQL this runs under a transaction-level
        advisory lock: instances started at once on an empty database take turns (the later
        ones find the work done) instead of racing on CREATE TABLE and the commune ids."""
        async with self.engine.begin() as conn:
            if not self.is_sqlite:  # SQLite: BEGIN IMMEDIATE already serializes the writers
                await conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({STARTUP_LOCK})")
            await conn.run_sync(migrate.upgrade)
            await handbook.ensure_index(conn)
            await communes.seed_communes(conn)

    async def drop_all(self) -> None:
        async with self.engine.begin() as conn:
            if self.is_sqlite:
                await conn.exec_driver_sql("DROP TABLE IF EXISTS handbook_fts")
            await conn.run_sync(SQLModel.metadata.drop_all)
            await conn.run_sync(migrate.drop_version)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._write_lock or nullcontext(), self._sessions() as session, session.begin():
            yield session
            await flush_deferred(session)

    async def close(self) -> None:
        await self.engine.dispose()


def defer(
    session: AsyncSession, stmt: Executable, row: Mapping[str, object], key: Hashable | None = None
) -> None:
    """A write run later in this transaction, with the other rows of the same statement in one
    executemany: before the commit (`Database.session`), or at `flush_deferred` — which who
    reads what it writes calls first. For rows nobody reads back in the transaction that
    wrote them (outbox messages, ticket history, chat states: building an ORM object and
    flushing it cost ~600 Python calls a row, a statement ~3 round trips to aiosqlite's
    thread). `key` names the row, for `is_deferred`."""
    session.info.setdefault(DEFERRED, {}).setdefault(stmt, []).append(row)
    session.info[DEFERRED_COUNT] = session.info.get(DEFERRED_COUNT, 0) + 1
    if key is not None:
        session.info.setdefault(DEFERRED_KEYS, set()).add(key)


def defer_insert(session: AsyncSession, table: Table, row: Mapping[str, object]) -> None:
    """`defer` a row of `table` (every row of a table must give the same columns)."""
    stmt = _INSERTS.get(table)
    if stmt is None:
        stmt = _INSERTS[table] = insert(table)
    defer(session, stmt, row)


def is_deferred(session: AsyncSession, key: Hashable) -> bool:
    return key in session.info.get(DEFERRED_KEYS, ())


async def flush_deferred(session: AsyncSession) -> None:
    """Run the deferred writes now: one statement each, with its rows in the order deferred."""
    pending: dict[Executable, list[Mapping[str, object]]] | None = session.info.pop(DEFERRED, None)
    session.info.pop(DEFERRED_KEYS, None)
    for stmt, rows in (pending or {}).items():
        await session.execute(stmt, rows)
        session.info[DEFERRED_RUN] = session.info.get(DEFERRED_RUN, 0) + 1


async def writes(session: AsyncSession) -> int:
    """How many statements other than SELECT the session's connection has run — the rows
    deferred counted instead of the statements that wrote them —, its pending changes flushed
    first (a counter: compare two readings to learn whether anything was written in between)."""
    await session.flush()
    conn = await session.connection()
    ran = int(conn.sync_connection.info.get(WRITES, 0)) if conn.sync_connection else 0
    # a deferred row counts once, when deferred: the statement that writes it later (perhaps
    # for a read by a later message) is no new write
    return ran - int(session.info.get(DEFERRED_RUN, 0)) + int(session.info.get(DEFERRED_COUNT, 0))


def _configure_sqlite(engine: AsyncEngine) -> None:
    # WAL lets readers run beside the writer; the busy timeout waits for the lock instead of
    # failing; BEGIN IMMEDIATE takes the write lock up front so two transactions never
    # deadlock upgrading a read lock (SQLAlchemy's documented pysqlite recipe).
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")
