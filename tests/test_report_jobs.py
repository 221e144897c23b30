"""/xuat and /bieudo as report jobs: made after the request, resumed after a crash, never silent."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal

from openpyxl import load_workbook
from sqlalchemy import select, update

from bot.report_worker import ReportWorker
from handlers.messages import Identity
from storage.models import ReportJob
from tests.helpers.harness import make_harness, texts_to
from tests.helpers.waiting import eventually
from tests.test_reports import RANGE, scenario


async def jobs(hx) -> list[ReportJob]:  # type: ignore[no-untyped-def]
    async with hx.db.session() as s:
        return list((await s.execute(select(ReportJob).order_by(ReportJob.id))).scalars())


async def test_request_is_recorded_and_answered_later(db_url, tmp_path):
    hx = await scenario(db_url, str(tmp_path / "exports"))
    ack = await hx.say("sep", f"/xuat {RANGE}")
    assert [m.file_path for _, m in ack] == [None]
    [job] = await jobs(hx)
    assert (job.kind, job.status, job.requester, job.areas) == ("xuat", "pending", "mem:sep", None)
    assert job.period_label == "từ 23/11/2026 đến 02/12/2026"

    hx.clock.advance(minutes=1)
    [(_, msg)] = await hx.reports()
    assert msg.chat.chat_id == "sep" and msg.file_path and msg.text.startswith("📄 Báo cáo")
    [job] = await jobs(hx)
    assert (job.status, job.attempts, job.finished_at) == ("done", 1, hx.clock.now())
    assert await hx.reports() == []  # done once
    await hx.db.close()


async def test_job_cut_off_by_a_crash_is_done_at_restart_then_given_up(db_url, tmp_path):
    hx = await scenario(db_url, str(tmp_path / "exports"))
    await hx.say("sep", f"/bieudo {RANGE}")
    await hx.say("sep", f"/xuat {RANGE}")
    async with hx.db.session() as s:  # as if the process died during each job's first attempt
        await s.execute(update(ReportJob).values(attempts=1))
        await s.execute(update(ReportJob).where(ReportJob.kind == "xuat").values(attempts=2))
    out = await hx.reports()
    assert [m.file_kind for _, m in out if m.file_path] == ["photo"]
    assert texts_to(out, "sep")[1] == (
        "⚠️ Không lập được báo cáo Excel từ 23/11/2026 đến 02/12/2026 do lỗi hệ thống. "
        "Xin thử lại sau; nếu vẫn lỗi, xin báo quản trị viên."
    )
    assert [(j.kind, j.status) for j in await jobs(hx)] == [("bieudo", "done"), ("xuat", "failed")]
    await hx.db.close()


async def test_report_process_killed_midway_is_redone_in_a_new_one(db_url, tmp_path):
    hx = await scenario(db_url, str(tmp_path / "exports"))
    await hx.say("sep", f"/xuat {RANGE}")
    before = {p.pid for p in multiprocessing.active_children()}
    worker = ReportWorker(hx.hotline, on_done=lambda: None)
    running = asyncio.create_task(worker.drain())
    [pid] = await eventually(
        lambda: [p.pid for p in multiprocessing.active_children() if p.pid not in before], "report process"
    )
    os.kill(pid, signal.SIGKILL)  # out of memory, say
    await running
    await hx.sender.deliver_due()
    [job] = await jobs(hx)
    assert (job.status, job.attempts) == ("done", 2)
    assert [m.file_kind for _, m in hx.channel.sent[-1:] if m.file_path] == ["document"]
    await worker.stop()
    await hx.db.close()


async def test_a_failing_report_gets_an_apology_and_the_bot_goes_on(db_url, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    hx = await scenario(db_url, str(blocker))  # the exports folder cannot be made
    await hx.say("sep", f"/xuat {RANGE}")
    out = await hx.reports()
    assert texts_to(out, "sep")[0].startswith("⚠️ Không lập được báo cáo Excel")
    assert all(m.file_path is None for _, m in out)
    assert [j.status for j in await jobs(hx)] == ["failed"]
    assert texts_to(await hx.say("sep", "/quahan"), "sep")[0].startswith("⏰ 2 phiếu quá hạn")
    await hx.db.close()


async def test_too_large_a_period_is_refused_with_the_server_command(db_url, tmp_path):
    hx = await scenario(db_url, str(tmp_path / "exports"), chat_export_limit=5)
    await hx.say("sep", f"/xuat {RANGE}")
    [text] = texts_to(await hx.reports(), "sep")
    assert text.startswith("Kỳ từ 23/11/2026 đến 02/12/2026 có 6 phiếu, quá nhiều để gửi qua tin nhắn.")
    assert "hotline report --period" in text
    await hx.db.close()


async def test_limited_supervisor_export_holds_only_their_areas(db_url, tmp_path):
    hx = await make_harness(
        db_url,
        supervisors=frozenset({Identity("mem", "land")}),
        supervisor_areas={Identity("mem", "land"): frozenset({"dat_dai"})},
        reports_folder=str(tmp_path / "exports"),
    )
    await hx.register("an")
    land = await hx.ask("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    await hx.ask("an", "Quyết toán ngân sách xã năm 2025 nộp khi nào?")
    await hx.say("land", "/xuat")
    [job] = await jobs(hx)
    assert job.areas == "dat_dai"
    [(_, msg)] = await hx.reports()
    rows = list(load_workbook(msg.file_path)["Phiếu"].iter_rows(values_only=True))[1:]
    assert [r[0] for r in rows] == [land]
    await hx.db.close()

