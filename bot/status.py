"""`hotline status`: one screen for a person — the instances seen by their heartbeats, who
leads, the outbox per channel, and the sends given up in the last day."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from storage import status
from storage.db import Database
from storage.models import Instance

ALIVE = timedelta(seconds=30)  # a heartbeat every 5 s: a row older than this is a lost process


def _ago(delta: timedelta) -> str:
    seconds = int(max(0, delta.total_seconds()))
    if seconds < 120:
        return f"{seconds} giây"
    if seconds < 7200:
        return f"{seconds // 60} phút"
    return f"{seconds // 3600} giờ"


def _instance_line(row: Instance, now: datetime, tz: ZoneInfo) -> str:
    assert row.seen_at is not None and row.started_at is not None
    alive = now - row.seen_at <= ALIVE
    role = ("điều phối (leader)" if row.leader else "dự phòng (standby)") if alive else "mất tín hiệu"
    started = row.started_at.astimezone(tz).strftime("%d/%m %H:%M")
    return f"  {row.id:<28} {role:<20} chạy từ {started}, tín hiệu cuối cách đây {_ago(now - row.seen_at)}"


async def report(db: Database, now: datetime, tz: ZoneInfo) -> tuple[str, bool]:
    """The screen, and whether a live leader was seen (the command's exit status)."""
    async with db.session() as session:
        rows = await status.instances(session)
        outbox = await status.outbox(session, now)
        failed = await status.failed_since(session, now - timedelta(days=1))
    leaders = [r for r in rows if r.leader and r.seen_at is not None and now - r.seen_at <= ALIVE]
    lines = [f"Trạng thái đường dây hỗ trợ lúc {now.astimezone(tz):%d/%m/%Y %H:%M:%S}", "",
             "Phiên bản đang chạy:"]
    lines += [_instance_line(r, now, tz) for r in rows] or ["  (không thấy phiên bản nào)"]
    lines.append(
        f"Điều phối: {leaders[0].id}" if leaders
        else "Điều phối: KHÔNG CÓ — không phiên bản nào nhận tin từ nền tảng và chạy lịch nhắc"
    )
    lines += ["", "Hàng đợi gửi:"]
    if not outbox:
        lines.append("  không còn tin chờ gửi")
    for row in outbox:
        oldest = f", tin đến hạn lâu nhất đã chờ {_ago(now - row.oldest_due)}" if row.oldest_due else ""
        lines.append(f"  {row.channel}: {row.pending} tin chờ gửi, {row.due} đã đến hạn{oldest}")
    total_failed = sum(failed.values())
    lines += ["", "Gửi không được trong 24 giờ qua: "
              + (", ".join(f"{ch} {n}" for ch, n in sorted(failed.items())) if total_failed else "không có")]
    return "\n".join(lines), bool(leaders)
