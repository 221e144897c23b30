"""Engine and unit-of-work sessions for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
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
        # pre-ping: a connection dropped by a database restart is replaced, not handed out;
        # hide_parameters: an error's message (logged) never carries a user's text
        self.engine: AsyncEngine = create_async_engine(
            url, pool_pre_ping=True, hide_parameters=True
        )
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

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
        async with self._sessions() as session, session.begin():
            yield session

    async def close(self) -> None:
        await self.engine.dispose()


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
