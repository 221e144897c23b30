"""`hotline status`: one screen for a person — the instances seen by their heartbeats, who
leads, the outbox per channel, and the sends given up in the last day."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.texts import ops as t
from storage import status
from storage.db import Database
from storage.models import Instance

ALIVE = timedelta(seconds=30)  # a heartbeat every 5 s: a row older than this is a lost process


def _ago(delta: timedelta) -> str:
    seconds = int(max(0, delta.total_seconds()))
    if seconds < 120:
        return t.SECONDS.format(n=seconds)
    if seconds < 7200:
        return t.MINUTES.format(n=seconds // 60)
    return t.HOURS.format(n=seconds // 3600)


def _instance_line(row: Instance, now: datetime, tz: ZoneInfo) -> str:
    assert row.seen_at is not None and row.started_at is not None
    alive = now - row.seen_at <= ALIVE
    role = (t.LEADER if row.leader else t.STANDBY) if alive else t.LOST
    started = row.started_at.astimezone(tz).strftime("%d/%m %H:%M")
    return t.INSTANCE.format(id=row.id, role=role, started=started, ago=_ago(now - row.seen_at))


async def report(db: Database, now: datetime, tz: ZoneInfo) -> tuple[str, bool]:
    """The screen, and whether a live leader was seen (the command's exit status)."""
    async with db.session() as session:
        rows = await status.instances(session)
        outbox = await status.outbox(session, now)
        failed = await status.failed_since(session, now - timedelta(days=1))
    leaders = [r for r in rows if r.leader and r.seen_at is not None and now - r.seen_at <= ALIVE]
    lines = [t.HEADING.format(now=now.astimezone(tz)), "", t.INSTANCES]
    lines += [_instance_line(r, now, tz) for r in rows] or [t.NO_INSTANCE]
    lines.append(t.LEADS.format(id=leaders[0].id) if leaders else t.NO_LEADER)
    lines += ["", t.OUTBOX]
    if not outbox:
        lines.append(t.OUTBOX_EMPTY)
    for row in outbox:
        oldest = t.OLDEST_DUE.format(ago=_ago(now - row.oldest_due)) if row.oldest_due else ""
        lines.append(t.OUTBOX_CHANNEL.format(channel=row.channel, pending=row.pending, due=row.due,
                                             oldest=oldest))
    total_failed = sum(failed.values())
    lines += ["", t.FAILED
              + (", ".join(f"{ch} {n}" for ch, n in sorted(failed.items())) if total_failed else t.NONE)]
    return "\n".join(lines), bool(leaders)
