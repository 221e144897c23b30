"""Shared fixtures: a real database per test (SQLite file; PostgreSQL when configured) and
a network guard that fails any test trying to leave 127.0.0.1."""

from __future__ import annotations

import os
import socket

import pytest

from storage.db import Database
from tests.fakes.telegram_server import FakeTelegram
from tests.helpers.harness import make_harness

POSTGRES_URL = os.environ.get("HOTLINE_TEST_POSTGRES_URL")
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


@pytest.fixture(params=_backends())
async def db_url(request, tmp_path):
    """A fresh database: a SQLite file, or the PostgreSQL test database emptied first."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}"
        return
    db = Database(POSTGRES_URL)  # type: ignore[arg-type]
    await db.drop_all()
    await db.close()
    yield POSTGRES_URL


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
