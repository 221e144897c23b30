"""Shared fixtures: a real database per test (SQLite file; PostgreSQL when configured) and
a network guard that fails any test trying to leave 127.0.0.1."""

from __future__ import annotations

import asyncio
import functools
import os
import socket

import pytest
from sqlmodel import SQLModel

from storage.db import Database
from tests.fakes.telegram_server import FakeTelegram
from tests.helpers.harness import make_harness


def _worker_database(url: str | None) -> str | None:
    """Under pytest-xdist (`pytest -n 2`) each worker has a database of its own beside the
    configured one (`test_gw0`, …), made on first use: a worker emptying its database never
    pulls rows from under another's test."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    own = make_url(url).set(database=f"{make_url(url).database}_{worker}")

    async def create() -> None:
        engine = create_async_engine(own.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                found = await conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                           {"name": own.database})
                if not found.scalar():
                    await conn.exec_driver_sql(f'CREATE DATABASE "{own.database}"')
        finally:
            await engine.dispose()

    asyncio.run(create())
    return own.render_as_string(hide_password=False)


POSTGRES_URL = _worker_database(os.environ.get("HOTLINE_TEST_POSTGRES_URL"))
_LOCAL = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """Anything that tries to reach a real platform fails the test (loopback only)."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def check(sock, address):  # type: ignore[no-untyped-def]
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in _LOCAL:
            raise OSError(f"test tried to reach {address[0]}: the network is blocked in tests")

    def connect(sock, address):  # type: ignore[no-untyped-def]
        check(sock, address)
        return real_connect(sock, address)

    def connect_ex(sock, address):  # type: ignore[no-untyped-def]
        check(sock, address)
        return real_connect_ex(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


def _backends() -> list[str]:
    return ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


async def _empty_postgres(url: str, *, drop: bool) -> None:
    """Every row deleted and every id restarted when the schema is the newest migration's
    (0.04 s, where dropping and migrating again took 1.3 s, for every test); else, or with
    `drop`, nothing left at all."""
    import storage.models  # noqa: F401  (the tables, in the metadata)

    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            version = None
            if (await conn.exec_driver_sql("SELECT to_regclass('alembic_version')")).scalar():
                version = (await conn.exec_driver_sql(
                    "SELECT max(version_num) FROM alembic_version")).scalar()
            tables = {row[0] for row in await conn.exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
            ordered = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]  # children first
            if not drop and version == _head() and tables == {*ordered, "alembic_version"}:
                for table in ordered:
                    await conn.exec_driver_sql(f'DELETE FROM "{table}"')  # "user" is a keyword
                for (sequence,) in (await conn.exec_driver_sql(
                        "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")).all():
                    await conn.exec_driver_sql(f'ALTER SEQUENCE "{sequence}" RESTART')
                return
        await db.drop_all()
    finally:
        await db.close()


@functools.cache
def _head() -> str | None:
    from alembic.script import ScriptDirectory

    from storage import migrate

    return ScriptDirectory.from_config(migrate._config(None)).get_current_head()  # type: ignore[arg-type]


@pytest.fixture(params=_backends())
async def db_url(request, tmp_path):
    """A fresh database: a SQLite file, or the PostgreSQL test database emptied first (its
    tables kept; a test about migrations themselves asks for `empty_db_url`)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}"
        return
    await _empty_postgres(POSTGRES_URL, drop="empty_schema" in request.fixturenames)  # type: ignore[arg-type]
    yield POSTGRES_URL


@pytest.fixture
def empty_schema() -> None:
    """Requested beside `db_url`: the PostgreSQL database has no tables at all, not even
    the migrations' (as a new deployment finds it)."""


@pytest.fixture(scope="session")
def example_model(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The example config's router as `hotline routing train` saves it on a new database
    (seed examples only), trained once per worker: a bot started with it in `data/` loads it
    instead of awaiting a training of its own (seconds of CPU each start)."""
    from pathlib import Path

    from bot.config import load_config
    from handlers.intake import route_model

    areas = load_config(Path(__file__).resolve().parents[1] / "config.example.toml").settings().areas
    path = tmp_path_factory.mktemp("model") / "routing-model.pickle"
    route_model.save(route_model.train(areas, route_model.seed_examples(areas)), path)
    return path.read_bytes()


@pytest.fixture
async def server():
    """A fake Telegram Bot API on 127.0.0.1 (test_zalo.py overrides it with the Zalo one)."""
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def hx(db_url):
    """A handler harness over the real database; `hx.say(who, text)` is one message."""
    harness = await make_harness(db_url)
    yield harness
    await harness.db.close()
