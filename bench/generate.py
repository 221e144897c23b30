"""Fill a database with realistic hotline history for the report benchmark.

130 communes (the shipped list), the config's 15 areas and groups, ~6 cadres per commune, and
N tickets over the two years before --end, each with a few history events. Questions come in
working hours on working days, more from some communes and areas than others; each group has
its own pace, answers are later when a question arrives before a weekend or holiday; a few
tickets are cancelled, a few forgotten (still open and overdue), the recent ones still open.

    .venv/bin/python bench/generate.py --tickets 1000000              # SQLite, data/bench.db
    .venv/bin/python bench/generate.py --url postgresql+asyncpg://postgres@127.0.0.1:5432/hotline_bench

Rows go in with executemany in batches of --batch tickets (one transaction each), through
the driver directly: the ORM's per-row work would dominate a million rows.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import sys
import time
from bisect import bisect_left, bisect_right
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, text  # noqa: E402

from bot.config import load_config  # noqa: E402
from handlers.worktime import WorkCalendar  # noqa: E402
from storage.communes import load_communes, seed_communes  # noqa: E402
from storage.db import Database  # noqa: E402

DEFAULT_URL = "sqlite+aiosqlite:///data/bench.db"
AREA_WEIGHTS = {
    "dat_dai": 18, "tai_chinh": 12, "to_chuc_can_bo": 10, "che_do_chinh_sach": 9, "tthc": 8,
    "xay_dung": 7, "cntt": 7, "dau_tu": 6, "tu_phap": 5, "nong_nghiep": 5, "luu_tru": 3,
    "y_te": 3, "giao_duc": 3, "van_hoa": 2, "khac": 2,
}
QUESTIONS = (
    "Hồ sơ cấp giấy chứng nhận quyền sử dụng đất lần đầu gồm những gì?",
    "Quyết toán ngân sách xã năm trước nộp hạn nào?",
    "Công chức biệt phái về xã hưởng phụ cấp thế nào?",
    "Phần mềm một cửa không đăng nhập được từ sáng nay.",
    "Thủ tục chứng thực bản sao tiếng nước ngoài xử lý ra sao?",
    "Trụ sở dôi dư sau sáp nhập bàn giao cho đơn vị nào?",
    "Chế độ nghỉ hưu trước tuổi theo Nghị định 178 tính thế nào?",
    "Giấy phép xây dựng nhà ở riêng lẻ nay do cấp nào cấp?",
)
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Võ", "Đặng", "Bùi", "Hồ")
GIVEN = ("Văn An", "Thị Bình", "Văn Cường", "Thị Dung", "Đức Hải", "Thị Hoa", "Quang Minh", "Thị Lan")
POSITIONS = ("Công chức địa chính", "Kế toán", "Phó Chủ tịch UBND", "Công chức tư pháp", "Văn phòng")

TICKET_COLUMNS = (
    "id", "commune_id", "asker_id", "asker_chat", "area_code", "group_key", "status", "question",
    "claimed_by", "created_at", "first_response_at", "answered_at", "closed_at", "due_at",
    "escalated_at", "escalation_reason", "resolution_due_at", "remind_at", "rating",
    "overdue_escalated_at",
)
EVENT_COLUMNS = ("ticket_id", "kind", "actor", "actor_name", "text", "at")
USER_COLUMNS = ("id", "identity", "name", "commune_id", "position", "status", "created_at")


class FastCalendar:
    """WorkCalendar arithmetic on epoch seconds through a per-day table (millions of calls)."""

    def __init__(self, cal: WorkCalendar, first: date, last: date):
        sessions = [(s.hour * 3600 + s.minute * 60, e.hour * 3600 + e.minute * 60) for s, e in cal.sessions]
        self.sessions = sessions
        day_seconds = sum(e - s for s, e in sessions)
        self.starts: list[float] = []
        self.cum: list[float] = []
        self.working: list[bool] = []
        total, day = 0.0, first
        while day <= last:
            self.starts.append(datetime(day.year, day.month, day.day, tzinfo=cal.tz).timestamp())
            self.cum.append(total)
            works = cal.is_working_day(day)
            self.working.append(works)
            total += day_seconds if works else 0
            day += timedelta(days=1)
        self.cum.append(total)

    def worked(self, t: float) -> float:
        i = bisect_right(self.starts, t) - 1
        total = self.cum[i]
        if self.working[i]:
            offset = t - self.starts[i]
            for s, e in self.sessions:
                if offset > s:
                    total += min(offset, e) - s
        return total

    def add(self, t: float, hours: float) -> float:
        """Like WorkCalendar.add_hours, on epoch seconds."""
        if hours <= 0:
            return t
        target = self.worked(t) + hours * 3600
        j = bisect_left(self.cum, target) - 1
        rest = target - self.cum[j]
        for s, e in self.sessions:
            if rest <= e - s:
                return self.starts[j] + s + rest
            rest -= e - s
        raise AssertionError("working-time table too short")


def _weights(rng: random.Random, n: int, sigma: float) -> list[float]:
    return [math.exp(rng.gauss(0, sigma)) for _ in range(n)]


class Generator:
    def __init__(self, args: argparse.Namespace):
        cfg = load_config(args.config)
        self.settings = cfg.settings()
        self.areas = [a.code for a in self.settings.areas]
        self.rng = random.Random(args.seed)
        tz = self.settings.timezone
        self.end = args.end.timestamp()
        self.start = (args.end - timedelta(days=730)).timestamp()
        first_day = (args.end - timedelta(days=731)).astimezone(tz).date()
        cal = cfg.schedule.deadlines()
        assert isinstance(cal, WorkCalendar), "the benchmark needs business_hours = true"
        self.cal = FastCalendar(cal, first_day, args.end.astimezone(tz).date() + timedelta(days=400))
        self._check(cal)
        days = [first_day + timedelta(days=i) for i in range(732)]
        self.day_starts = [datetime(d.year, d.month, d.day, tzinfo=tz).timestamp() for d in days]
        # questions come on working days; a little on weekends; more right after the reform
        self.day_weights = [
            (1.0 if cal.is_working_day(d) else 0.06) * (1.4 if i < 180 else 1.0) for i, d in enumerate(days)
        ]
        self.communes = [c.id for c in load_communes()]
        self.commune_weights = _weights(self.rng, len(self.communes), 0.7)
        self.area_weights = [AREA_WEIGHTS.get(code, 2) for code in self.areas]
        self.group_of = {}
        for code in self.areas:
            group = self.settings.group_for_area(code)
            self.group_of[code] = group.key if group else None
        keys = sorted({k for k in self.group_of.values() if k})
        # each group's median first response, in working hours (2 to 7)
        self.pace = {k: 2 + 5 * self.rng.random() for k in keys}
        self.users_per_commune = 6
        self.tickets = args.tickets

    def _check(self, cal: WorkCalendar) -> None:
        for _ in range(200):
            t = self.start + self.rng.random() * (self.end - self.start)
            h = self.rng.random() * 60
            exact = cal.add_hours(datetime.fromtimestamp(t, UTC), h).timestamp()
            assert abs(self.cal.add(t, h) - exact) < 1e-3, (t, h)

    def users(self) -> list[tuple]:
        rows, uid = [], 0
        created = datetime.fromtimestamp(self.start, UTC) - timedelta(days=1)
        for cid in self.communes:
            for _ in range(self.users_per_commune):
                uid += 1
                name = f"{self.rng.choice(SURNAMES)} {self.rng.choice(GIVEN)}"
                position = self.rng.choice(POSITIONS)
                rows.append((uid, f"zalo:bench-{uid}", name, cid, position, "active", created))
        return rows

    def arrivals(self) -> list[float]:
        """Every question's arrival, in order: ticket numbers grow with time, as in the bot.

        A weighted day (drawn all at once: `choices` per call rebuilds the cumulative weights),
        mostly inside the working sessions."""
        rng, sessions = self.rng, self.cal.sessions
        days = rng.choices(self.day_starts, self.day_weights, k=self.tickets)
        moments = []
        for day in days:
            if rng.random() < 0.85:
                s, e = rng.choice(sessions)
                offset = s + rng.random() * (e - s)
            else:
                offset = 6 * 3600 + rng.random() * 16 * 3600
            moments.append(min(max(day + offset, self.start), self.end - 1))
        moments.sort()
        return moments

    def batch(self, first_id: int, moments: list[float]) -> tuple[list[tuple], list[tuple]]:
        rng, cal, end = self.rng, self.cal, self.end
        tickets, events = [], []
        n = len(moments)
        communes = rng.choices(self.communes, self.commune_weights, k=n)
        areas = rng.choices(self.areas, self.area_weights, k=n)
        for k in range(n):
            tid = first_id + k
            cid, area = communes[k], areas[k]
            group = self.group_of[area]
            asker = (cid - 1) * self.users_per_commune + rng.randrange(self.users_per_commune) + 1
            created = moments[k]
            due = cal.add(created, 8)
            question = rng.choice(QUESTIONS)
            row = dict(
                id=tid, commune_id=cid, asker_id=asker, asker_chat=f"zalo:bench-{asker}", area_code=area,
                group_key=group, status="new", question=question, claimed_by=None, created_at=created,
                first_response_at=None, answered_at=None, closed_at=None, due_at=due, escalated_at=None,
                escalation_reason=None, resolution_due_at=cal.add(created, 40),
                remind_at=cal.add(created, 6), rating=None, overdue_escalated_at=None,
            )
            events.append((tid, "question", f"zalo:bench-{asker}", "", question, created))
            staff = f"zalo:staff-{rng.randrange(40)}"
            r = rng.random()
            if r < 0.03:  # cancelled by the cadre within a few hours
                at = min(cal.add(created, rng.random() * 3), end)
                row.update(status="cancelled", closed_at=None)
                events.append((tid, "cancel", f"zalo:bench-{asker}", "", "", at))
            elif r < 0.0303:  # forgotten: never answered, still waiting
                row["status"] = rng.choice(("new", "in_progress"))
            else:
                pace = self.pace.get(group or "", 4.0)
                first = cal.add(created, rng.lognormvariate(math.log(pace), 0.9))
                if rng.random() < 0.5:
                    claim = min(cal.add(created, rng.random() * 0.5), first)
                    if claim <= end:
                        row.update(claimed_by=staff, status="in_progress")
                        events.append((tid, "claim", staff, "", "", claim))
                if first <= end:
                    row.update(first_response_at=first, claimed_by=staff)
                    answered = first
                    if rng.random() < 0.05:  # a question back first, the answer later
                        events.append((tid, "ask_back", staff, "", "Xin gửi thêm hồ sơ.", first))
                        answered = cal.add(first, 4 + 12 * rng.random())
                        row["status"] = "waiting"
                    if answered <= end:
                        row.update(status="answered", answered_at=answered)
                        reply = "Trả lời theo quy định hiện hành."
                        events.append((tid, "answer", staff, "", reply, answered))
                        closed = cal.add(answered, rng.lognormvariate(math.log(8), 0.8))
                        if closed <= end:
                            row.update(status="closed", closed_at=closed)
                            events.append((tid, "close", f"zalo:bench-{asker}", "", "", closed))
                            if rng.random() < 0.4:
                                rating = rng.choices((1, 2, 3, 4, 5), (2, 5, 15, 38, 40))[0]
                                row["rating"] = rating
                                events.append((tid, "rating", f"zalo:bench-{asker}", "", str(rating), closed))
            if rng.random() < 0.02 and row["status"] != "cancelled":
                at = min(cal.add(created, 2 * rng.random()), end)
                row.update(escalated_at=at, escalation_reason="Vượt thẩm quyền của tổ")
                events.append((tid, "escalate", staff, "", "Vượt thẩm quyền của tổ", at))
            late_mark = cal.add(due, 4)
            responded = row["first_response_at"]
            unanswered = responded is None or responded > late_mark
            if late_mark <= end and unanswered and row["status"] != "cancelled":
                row["overdue_escalated_at"] = late_mark
                events.append((tid, "overdue", "bot", "", "", late_mark))
            tickets.append(tuple(row[c] for c in TICKET_COLUMNS))
        return tickets, events


def _as_db(value: object, sqlite: bool) -> object:
    """Epoch floats become the UTC datetimes the columns hold (SQLite: SQLAlchemy's text format,
    'YYYY-MM-DD HH:MM:SS.ffffff'; isoformat writes it several times faster than strftime)."""
    if isinstance(value, float):
        moment = datetime.fromtimestamp(value, UTC).replace(tzinfo=None)
        return moment.isoformat(" ", "microseconds") if sqlite else moment
    if isinstance(value, datetime):
        naive = value.astimezone(UTC).replace(tzinfo=None)
        return naive.isoformat(" ", "microseconds") if sqlite else naive
    return value


def _insert_sql(table: str, columns: tuple[str, ...], sqlite: bool) -> str:
    marks = ", ".join("?" if sqlite else f"${i}" for i in range(1, len(columns) + 1))
    quoted = ", ".join(f'"{c}"' for c in columns)
    return f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})'


async def run(args: argparse.Namespace) -> None:
    db = Database(args.url)
    sqlite = db.is_sqlite
    if sqlite:  # a generated database needs no crash safety while it loads
        event.listen(db.engine.sync_engine, "connect",
                     lambda conn, _: conn.cursor().execute("PRAGMA synchronous=OFF"))
    if args.reset:
        await db.drop_all()
    await db.upgrade()
    async with db.session() as session:
        await seed_communes(session)
        existing = (await session.execute(text("SELECT count(*) FROM ticket"))).scalar_one()
    if existing:
        raise SystemExit(f"{existing} tickets already there: use --reset to start again")
    gen = Generator(args)
    began = time.perf_counter()
    async with db.engine.begin() as conn:
        rows = [tuple(_as_db(v, sqlite) for v in r) for r in gen.users()]
        await conn.exec_driver_sql(_insert_sql("user", USER_COLUMNS, sqlite), rows)
    done, events_total = 0, 0
    ticket_sql = _insert_sql("ticket", TICKET_COLUMNS, sqlite)
    event_sql = _insert_sql("ticketevent", EVENT_COLUMNS, sqlite)
    arrivals = gen.arrivals()
    while done < gen.tickets:
        n = min(args.batch, gen.tickets - done)
        tickets, events = gen.batch(done + 1, arrivals[done:done + n])
        tickets = [tuple(_as_db(v, sqlite) for v in r) for r in tickets]
        events = [tuple(_as_db(v, sqlite) for v in r) for r in events]
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql(ticket_sql, tickets)
            await conn.exec_driver_sql(event_sql, events)
        done += n
        events_total += len(events)
        rate = done / (time.perf_counter() - began)
        print(f"\r{done:>9} tickets, {events_total:>9} events, {rate:,.0f} tickets/s", end="", flush=True)  # noqa: T201
    print()  # noqa: T201
    async with db.engine.begin() as conn:
        if not sqlite:  # explicit ids: move the sequences past them
            for table in ("ticket", "user", "ticketevent"):
                await conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM \"{table}\"))"
                )
        await conn.exec_driver_sql("ANALYZE")
    await db.close()
    print(f"done in {time.perf_counter() - began:.0f} s: {done} tickets, {events_total} events")  # noqa: T201


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default=DEFAULT_URL, help=f"database URL (default {DEFAULT_URL})")
    p.add_argument("--config", default="config.example.toml", help="areas and groups come from here")
    p.add_argument("--tickets", type=int, default=1_000_000)
    p.add_argument("--batch", type=int, default=50_000, help="tickets per transaction")
    p.add_argument("--end", type=lambda s: datetime.fromisoformat(s).astimezone(UTC),
                   default=datetime.now(UTC).replace(microsecond=0), help="last moment of the history (ISO)")
    p.add_argument("--seed", type=int, default=2025)
    p.add_argument("--reset", action="store_true", help="drop every table first")
    args = p.parse_args()
    if args.url.rstrip("/").endswith("/test"):
        raise SystemExit("refusing the 'test' database: the test suite drops its tables")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
