"""Several `hotline run` processes on one database: PostgreSQL lets them cooperate, SQLite
lets only one run. Real processes, the fake Telegram server over real HTTP."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from storage.db import Database
from tests.conftest import POSTGRES_URL
from tests.fakes.telegram_server import FakeTelegram
from tests.helpers.instances import BotProcess, telegram_config
from tests.helpers.waiting import eventually, free_port

needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="needs HOTLINE_TEST_POSTGRES_URL")


@pytest.fixture
async def server():
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def empty_postgres() -> str:
    db = Database(POSTGRES_URL)  # type: ignore[arg-type]
    await db.drop_all()
    await db.close()
    return POSTGRES_URL  # type: ignore[return-value]


@needs_postgres
async def test_four_instances_start_at_once_on_an_empty_database(tmp_path, server, empty_postgres):
    bots = []
    for i in range(4):  # webhook mode: every instance runs its channel, so each says it started
        config = telegram_config(tmp_path / f"bot{i}.toml", server, empty_postgres,
                                 webhook_port=free_port())
        bots.append(BotProcess(config, tmp_path / f"bot{i}.log"))
    for bot in bots:
        bot.start()
    try:
        await eventually(
            lambda: all("channel telegram started" in b.output() or not b.running for b in bots),
            "all four started", timeout=120,
        )
        assert all(b.running for b in bots), [b.output()[-2000:] for b in bots if not b.running]
    finally:
        codes = [b.stop() for b in bots]
    assert codes == [0, 0, 0, 0]
    for bot in bots:
        assert "Traceback" not in bot.output()
    db = Database(empty_postgres)
    try:
        async with db.session() as session:
            communes = (await session.execute(
                text("select count(*) from commune"))).scalar_one()
    finally:
        await db.close()
    assert communes == 130


async def test_a_second_instance_on_one_sqlite_file_refuses_to_start(tmp_path, server):
    url = f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}"
    first = BotProcess(telegram_config(tmp_path / "a.toml", server, url), tmp_path / "a.log")
    second = BotProcess(telegram_config(tmp_path / "b.toml", server, url), tmp_path / "b.log")
    first.start()
    try:
        await eventually(lambda: "channel telegram started" in first.output(), "first started",
                         timeout=60)
        second.start()
        assert second.proc is not None
        await eventually(lambda: not second.running, "second exits", timeout=60)
        assert second.proc.returncode == 2
        lines = second.output().strip().splitlines()
        assert len(lines) == 1, lines
        assert "already runs on" in lines[0] and "PostgreSQL" in lines[0]
        assert first.running
    finally:
        assert first.stop() == 0
    # the lock dies with its process: the file is free again
    second.log.unlink()
    second.start()
    try:
        await eventually(lambda: "channel telegram started" in second.output(), "second started",
                         timeout=60)
    finally:
        assert second.stop() == 0
