"""Several `hotline run` processes on one database: PostgreSQL lets them cooperate, SQLite
lets only one run. Real processes, the fake Telegram server over real HTTP."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from sqlalchemy import text

from bot.single_instance import SingleInstance
from storage.db import Database
from tests.conftest import POSTGRES_URL
from tests.fakes.telegram_server import FakeTelegram
from tests.helpers.instances import (
    BOSS,
    SECRET,
    BotProcess,
    area_word,
    group_chat,
    telegram_config,
)
from tests.helpers.waiting import eventually, eventually_async, free_port

CADRE = 30_000
needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="needs HOTLINE_TEST_POSTGRES_URL")



@pytest.fixture
async def empty_postgres() -> str:
    db = Database(POSTGRES_URL)  # type: ignore[arg-type]
    await db.drop_all()
    await db.close()
    return POSTGRES_URL  # type: ignore[return-value]


@needs_postgres
async def test_the_leaders_lock_connection_has_a_server_side_keepalive_of_about_a_minute(
    empty_postgres,
):
    """A silently dead network must end the leader's session (and free the lock) in about a
    minute: the server itself probes the lock's connection (PostgreSQL's default is the
    system's, ~2 h)."""
    from bot.leadership import Leadership

    db = Database(empty_postgres)
    await db.upgrade()
    changes: list[bool] = []

    async def on_change(leader: bool) -> None:
        changes.append(leader)

    leadership = Leadership(db, on_change)
    try:
        await leadership.run_pass()
        assert changes == [True]
        conn = leadership._conn
        assert conn is not None
        rows = await conn.exec_driver_sql(  # in base units: seconds, a count, milliseconds
            "SELECT name, setting::int FROM pg_settings WHERE name LIKE 'tcp_%'"
        )
        settings = {name: value for name, value in rows}
        await conn.commit()
    finally:
        await leadership.release()
        await db.close()
    # reads 0 over a Unix socket: the test database is reached over TCP (127.0.0.1)
    silent_for = (settings["tcp_keepalives_idle"]
                  + settings["tcp_keepalives_interval"] * settings["tcp_keepalives_count"])
    assert 0 < silent_for <= 60, settings  # an idle, silent client: its session ends by then
    assert 0 < settings["tcp_user_timeout"] <= 60_000, settings  # data sent, never acknowledged


@needs_postgres
async def test_a_standby_takes_over_at_its_next_check_once_the_leaders_session_ends(
    empty_postgres,
):
    """The leader's process dies (its session ends, as on SIGKILL): the standby's very next
    check takes the lock, and the old leader, if it lives on, knows it lost at its next."""
    from bot.leadership import Leadership

    db = Database(empty_postgres)
    await db.upgrade()
    changes: dict[str, list[bool]] = {"a": [], "b": []}

    def on_change(name: str):  # type: ignore[no-untyped-def]
        async def record(leader: bool) -> None:
            changes[name].append(leader)
        return record

    first, second = Leadership(db, on_change("a")), Leadership(db, on_change("b"))
    first.id, second.id = "host:1", "host:2"  # one process plays both instances
    try:
        await first.run_pass()
        await second.run_pass()
        assert changes == {"a": [True], "b": []}
        assert first._conn is not None
        pid = (await first._conn.exec_driver_sql("SELECT pg_backend_pid()")).scalar()
        await first._conn.commit()
        async with db.engine.connect() as conn:  # the session ends, as its process died
            assert (await conn.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")).scalar()
        await second.run_pass()
        assert changes == {"a": [True], "b": [True]}
        await first.run_pass()
        assert changes == {"a": [True, False], "b": [True]}
    finally:
        await first.release()
        await second.release()
        await db.close()


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
            "all four started", timeout=600,  # four start-ups at once: 300 s ran out at load 15
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
                         timeout=600)
        second.start()
        assert second.proc is not None
        await eventually(lambda: not second.running, "second exits", timeout=600)
        assert second.proc.returncode == 2
        lines = second.output().strip().splitlines()
        assert len(lines) == 1, lines
        assert "already runs on" in lines[0] and "PostgreSQL" in lines[0]
        assert first.running
    finally:
        assert first.stop() == 0
    # the lock dies with its process: the file is free again (taking it here proves that
    # without paying a third bot start-up)
    lock = SingleInstance(str(tmp_path / "hotline.db"))
    lock.acquire()
    lock.release()


def acks_and_cards(server: FakeTelegram, cadres: list[int], areas: int) -> tuple[list[int], list[int]]:
    """Ticket numbers in every acknowledgement sent to a cadre and every card sent to a group."""
    acks = [int(n) for c in cadres for t in server.texts_to(c) for n in re.findall(r"số phiếu #(\d+)", t)]
    cards = [int(n) for i in range(areas) for t in server.texts_to(group_chat(i))
             for n in re.findall(r"📩 Phiếu #(\d+)", t)]
    return acks, cards


async def count(url: str, sql: str, **params: object) -> int:
    db = Database(url)
    try:
        async with db.session() as session:
            return int((await session.execute(text(sql), params)).scalar_one())
    finally:
        await db.close()


async def register_all(server: FakeTelegram, cadres: list[int]) -> None:
    for uid in cadres:
        server.message(uid, f"/dangky Cán bộ {uid} | Xã Nam Đàn | Công chức địa chính")
    await eventually(
        lambda: all(any("Đăng ký xong" in t for t in server.texts_to(u)) for u in cadres),
        "every registration confirmed",
    )


def question(k: int, uid: int, area: int) -> str:
    return f"Câu hỏi {k} của cán bộ {uid} về {area_word(area)}: hồ sơ cần những giấy tờ gì?"


@needs_postgres
async def test_two_instances_80_questions_and_the_leader_killed_mid_burst(
    tmp_path, server, empty_postgres
):
    # 20 cadres in 20 areas, 4 questions each: half before the kill (80 sends, the kill after
    # 16 of them, as 40 of 200 before), half after it, for the standby alone. The rows the
    # leader had claimed wait out its lease: 20 s instead of the default minute, still far
    # longer than a pass takes here (a pass outliving it would send twice while both live)
    areas, each = 20, 4
    cadres = [10_000 + i for i in range(20)]
    bots = [BotProcess(telegram_config(tmp_path / f"bot{i}.toml", server, empty_postgres, areas=areas,
                                       lease=20),
                       tmp_path / f"bot{i}.log") for i in range(2)]
    leader, standby = bots
    leader.start()
    try:
        await eventually(lambda: "leadership taken" in leader.output(), "the first leads", timeout=600)
        standby.start()
        await eventually(lambda: "standing by" in standby.output(), "the second stands by", timeout=600)
        await register_all(server, cadres)

        for k in range(each // 2):
            for i, uid in enumerate(cadres):
                server.message(uid, question(k, uid, i % areas))
        before = len(server.sent)
        await eventually(lambda: len(server.sent) >= before + 16, "sends before the kill", timeout=600)
        leader.kill()
        for k in range(each // 2, each):
            for i, uid in enumerate(cadres):
                server.message(uid, question(k, uid, i % areas))
        # that the next check after the session ends takes over (no lease waited out) is
        # test_a_standby_takes_over_at_its_next_check_once_the_leaders_session_ends; this
        # bound only reports a failure
        await eventually(lambda: "channel telegram started (polling, leader)" in standby.output(),
                         "the standby takes over", timeout=600)

        total = len(cadres) * each
        await eventually(
            lambda: all(len(set(found)) == total for found in acks_and_cards(server, cadres, areas)),
            "an ack and a card for every question",
        )
        acks, cards = acks_and_cards(server, cadres, areas)
    finally:
        for bot in bots:
            bot.stop()
    assert await count(empty_postgres, "select count(*) from ticket") == total
    assert await count(empty_postgres, "select count(*) from outboxmessage where status != 'sent'") == 0
    # at least once: only the sends in flight at the kill (the sender sends to many chats at
    # once, one message per chat) may go out a second time, and only once
    repeats = (len(acks) - total) + (len(cards) - total)
    assert max(Counter(acks).values()) <= 2 and max(Counter(cards).values()) <= 2
    print(f"two instances: {total} tickets, {len(acks)} acks, {len(cards)} cards, "  # noqa: T201
          f"{repeats} repeated")
    assert repeats <= len(cadres) + areas, repeats
    assert "Traceback" not in standby.output()


async def deliver_to_all(ports: list[int], update: dict) -> None:
    """A balancer that sends every update to every instance: each must answer 200."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

    async def post(port: int) -> int:
        async with aiohttp.ClientSession() as session, session.post(
            f"http://127.0.0.1:{port}/telegram", json=update, headers=headers,
            timeout=aiohttp.ClientTimeout(total=600),
        ) as resp:
            return resp.status

    assert await asyncio.gather(*(post(p) for p in ports)) == [200] * len(ports)


@needs_postgres
async def test_webhook_posted_to_both_instances_is_handled_once(tmp_path, server, empty_postgres):
    areas, each = 30, 3
    cadres = [20_000 + i for i in range(30)]
    ports = [free_port(), free_port()]
    bots = [BotProcess(telegram_config(tmp_path / f"bot{i}.toml", server, empty_postgres, areas=areas,
                                       webhook_port=port), tmp_path / f"bot{i}.log")
            for i, port in enumerate(ports)]
    for bot in bots:
        bot.start()
    try:
        await eventually(lambda: all("channel telegram started" in b.output() for b in bots),
                         "both listening", timeout=600)

        async def one_cadre(i: int, uid: int) -> None:
            texts = [f"/dangky Cán bộ {uid} | Xã Nam Đàn | Công chức địa chính"]
            texts += [question(k, uid, i % areas) for k in range(each)]
            for t in texts:  # the fake makes the update (and keeps it unread); we deliver it
                await deliver_to_all(ports, server.message(uid, t))

        await asyncio.gather(*(one_cadre(i, uid) for i, uid in enumerate(cadres)))
        total = len(cadres) * each
        await eventually(
            lambda: all(len(set(found)) == total for found in acks_and_cards(server, cadres, areas)),
            "an ack and a card for every question",
        )
        acks, cards = acks_and_cards(server, cadres, areas)
        registrations = sum("Đăng ký xong" in t for c in cadres for t in server.texts_to(c))
    finally:
        for bot in bots:
            bot.stop()
    assert await count(empty_postgres, "select count(*) from ticket") == total
    assert registrations == len(cadres)
    assert len(acks) == total and len(cards) == total
    for bot in bots:
        assert "Traceback" not in bot.output()


@needs_postgres
async def test_follow_ups_with_two_instances_go_out_once(tmp_path, server, empty_postgres):
    schedule = "reminder_fraction = 0.5\nescalate_after_hours = 0.0003"
    bots = [BotProcess(telegram_config(tmp_path / f"bot{i}.toml", server, empty_postgres,
                                       tick_seconds=0.5, response_hours=0.003, schedule=schedule),
                       tmp_path / f"bot{i}.log") for i in range(2)]
    bots[0].start()
    try:
        await eventually(lambda: "leadership taken" in bots[0].output(), "the first leads", timeout=600)
        bots[1].start()
        await eventually(lambda: "standing by" in bots[1].output(), "the second stands by", timeout=600)
        await register_all(server, [CADRE])
        server.message(CADRE, question(0, CADRE, 0))
        [number] = await eventually(
            lambda: [int(n) for t in server.texts_to(CADRE) for n in re.findall(r"số phiếu #(\d+)", t)],
            "the ack")

        def escalations() -> list[str]:
            return [t for t in server.texts_to(BOSS) if f"#{number}" in t and "quá hạn" in t]

        await eventually(escalations, "the escalation", timeout=600)
        # both instances keep running several more ticks (0.5 s) before we look: wait for both
        # heartbeats (every 5 s) to be newer than the escalation, so nothing may come again
        since = (datetime.now(UTC) + timedelta(seconds=2)).replace(tzinfo=None)  # stored naive UTC
        sql = "select count(*) from instance where seen_at > :since"

        async def both_beat() -> bool:
            return await count(empty_postgres, sql, since=since) == 2

        await eventually_async(both_beat, "both heartbeats after the escalation")
    finally:
        for bot in bots:
            bot.stop()
    group = server.texts_to(group_chat(0))
    assert len([t for t in group if "sắp đến hạn" in t]) == 1, group
    assert len([t for t in group if "Đã đến hạn" in t]) == 1, group
    assert len(escalations()) == 1
