"""Flood guard, bans, database outages and property-based bad input."""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from handlers.commands import BY_NAME
from handlers.core import StorageUnavailable
from storage.db import Database
from storage.models import Ticket
from tests.helpers.harness import texts_to


async def test_flood_guard_answers_once_and_drops_the_rest(db_url):
    from tests.helpers.harness import make_harness

    hx = await make_harness(db_url, flood_per_minute=3)
    replies = []
    for i in range(6):
        replies += texts_to(await hx.say("spam", f"/trogiup {i}"), "spam")
    assert len(replies) == 4 and "quá nhiều tin" in replies[3]
    out = await hx.say("other", "/trogiup")  # others are served as usual
    assert texts_to(out, "other")
    hx.clock.advance(seconds=61)
    assert texts_to(await hx.say("spam", "/trogiup"), "spam")
    await hx.db.close()


async def test_supervisor_bans_and_unbans(hx):
    await hx.register("an")
    out = await hx.say("an", "/chan mem:bob")
    assert "chỉ dành cho lãnh đạo" in texts_to(out, "an")[0]
    out = await hx.say("sep", "/chan mem:bob quấy rối")
    assert "Đã chặn mem:bob" in texts_to(out, "sep")[0]
    assert await hx.say("bob", "/trogiup") == []
    await hx.say("sep", "/bochan mem:bob")
    assert texts_to(await hx.say("bob", "/trogiup"), "bob")
    out = await hx.say("sep", "/chan bob")
    assert "Cách dùng" in texts_to(out, "sep")[0]


async def test_database_busy_is_retried_then_reported(hx, monkeypatch):
    await hx.register("an")
    calls = {"n": 0}
    real = hx.hotline._handle_once

    async def flaky(item):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] <= 2:
            raise OperationalError("BEGIN", {}, Exception("database is locked"))
        await real(item)

    monkeypatch.setattr("handlers.core.DB_RETRY_DELAYS", (0, 0, 0))
    monkeypatch.setattr(hx.hotline, "_handle_once", flaky)
    await hx.ask("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    assert calls["n"] == 3

    async def down(item):  # type: ignore[no-untyped-def]
        raise OperationalError("BEGIN", {}, Exception("connection refused"))

    monkeypatch.setattr(hx.hotline, "_handle_once", down)
    with pytest.raises(StorageUnavailable):
        await hx.say("an", "Cấp sổ đỏ lần hai cần gì?")


command_names = st.sampled_from(sorted(BY_NAME))
garbage = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
commands = st.builds(
    lambda name, args: f"/{name} {args}", command_names,
    st.one_of(garbage, st.integers(-5, 10**12).map(str), st.text(string.digits + " #|", max_size=20)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(garbage, commands, st.just(""), st.just("x" * 10_000), st.just("\x00\x1b[2J")))
async def test_any_input_gets_a_short_vietnamese_answer(hx, text):
    hx.clock.advance(seconds=61)  # each example is a new minute for the flood guard
    await hx.register("reg")  # a registered cadre: questions open tickets, commands act
    for who in ("an", "reg", "dd"):
        out = await hx.say(who, text, group="g_dat" if who == "dd" else None)
        for _, msg in out:
            assert "Traceback" not in msg.text and "Xin lỗi, hệ thống gặp lỗi" not in msg.text
            assert len(msg.text) < 12_000
        if who != "dd":  # in a private chat every message gets an answer
            assert texts_to(out, who), (who, text)
    # the bot keeps serving others
    out = await hx.say("sep", "/quahan")
    assert texts_to(out, "sep")


async def test_tickets_of_another_cadre_stay_private(hx):
    await hx.register("an")
    await hx.register("bob", "Xã Vạn An")
    n = await hx.ask("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    for cmd in (f"/phieu {n}", f"/bosung {n} chen ngang", f"/xong {n}", f"/huy {n}", f"/chua {n}"):
        out = await hx.say("bob", cmd)
        assert f"Không tìm thấy phiếu #{n}" in texts_to(out, "bob")[0], cmd
    for cmd in (f"/tl {n} x", f"/nhan {n}", f"/dong {n}", f"/vuot {n} y"):
        out = await hx.say("bob", cmd)
        assert f"Không tìm thấy phiếu #{n}" in texts_to(out, "bob")[0], cmd
    async with hx.db.session() as s:
        assert (await s.get(Ticket, n)).status == "new"
        assert len((await s.execute(select(Ticket))).all()) == 1


async def test_briefly_locked_sqlite_waits_instead_of_failing(tmp_path):
    """Another process holds the write lock until the message's first transaction asks for it:
    the message is handled after it (no fixed hold: the order is what the test sets up)."""
    import sqlite3
    import threading

    from sqlalchemy import event

    from tests.helpers.harness import make_harness

    url = f"sqlite+aiosqlite:///{tmp_path / 'locked.db'}"
    hx = await make_harness(url)
    await hx.register("an")
    locked, writing, released = threading.Event(), threading.Event(), threading.Event()

    def issued(conn, cursor, statement, *_):  # type: ignore[no-untyped-def]
        if statement == "BEGIN IMMEDIATE":  # storage/db.py: every transaction takes the lock first
            writing.set()

    def hold_lock() -> None:
        conn = sqlite3.connect(tmp_path / "locked.db")
        conn.execute("BEGIN EXCLUSIVE")
        locked.set()
        writing.wait(600)  # a bound only
        conn.rollback()
        released.set()
        conn.close()

    event.listen(hx.db.engine.sync_engine, "before_cursor_execute", issued)
    worker = threading.Thread(target=hold_lock)
    worker.start()
    try:
        assert locked.wait(60)  # the other process holds the lock before we ask
        n = await hx.ask("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    finally:
        writing.set()
        worker.join()
    assert released.is_set() and n == 1
    await hx.db.close()


async def test_database_connections_dropped_are_replaced(db_url):
    """PostgreSQL restarting kills every connection; the next message still goes through."""
    from sqlalchemy import text

    from tests.helpers.harness import make_harness

    hx = await make_harness(db_url)
    await hx.register("an")
    if not hx.db.is_sqlite:
        from storage.db import Database

        admin = Database(db_url)
        async with admin.engine.connect() as conn:
            await conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ))
        await admin.close()
    else:  # the closest SQLite equivalent: every pooled connection closed under us
        await hx.db.engine.dispose()
    assert await hx.ask("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?") == 1
    await hx.db.close()


async def test_migrations_build_exactly_the_models(db_url, empty_schema):
    """A new revision is needed whenever storage/models.py changes: this fails until it exists."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    from storage.migrate import include_name

    db = Database(db_url)
    await db.upgrade()
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(lambda c: compare_metadata(
            MigrationContext.configure(c, opts={"include_name": include_name, "compare_type": True}),
            SQLModel.metadata,
        ))
    await db.close()
    assert diff == []


async def test_a_database_from_before_migrations_is_adopted(db_url, empty_schema):
    """create_all made such a database: the baseline schema less the report jobs (added
    later), and no alembic_version. It gets the missing table, is marked 0001, and upgraded."""
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from storage import migrate

    db = Database(db_url)
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda c: command.upgrade(migrate._config(c), migrate.BASELINE))
        await conn.execute(text("DROP TABLE alembic_version"))
        await conn.execute(text("DROP TABLE reportjob"))
        head = await conn.run_sync(
            lambda c: ScriptDirectory.from_config(migrate._config(c)).get_current_head())
    await db.upgrade()
    async with db.session() as s:
        assert (await s.execute(text("SELECT version_num FROM alembic_version"))).scalar_one() == head
        assert (await s.execute(text("SELECT count(*) FROM reportjob"))).scalar_one() == 0
        assert (await s.execute(text("SELECT count(response_due_at) FROM ticket"))).scalar_one() == 0
    await db.close()


async def test_numbers_past_a_database_integer_get_the_usage_line(hx):
    """Found by the property test on PostgreSQL: /sotay 2147483648 reached the database."""
    await hx.register("an")
    for text in ("/sotay 2147483648", "/sotay xem 99999999999", "/chonxa 2147483648", "/phieu 2147483648"):
        [answer] = texts_to(await hx.say("an", text), "an")
        assert "Xin lỗi, hệ thống gặp lỗi" not in answer, text
