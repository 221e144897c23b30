"""The files supervisors get: an Excel workbook (XlsxWriter, streamed) and a weekly PNG chart.

The workbook is written by XlsxWriter in `constant_memory` mode: ticket rows stream from the
database in batches and each row goes to the sheet's temporary file as the next begins, so
memory stays flat however long the period (openpyxl's per-cell objects cost about twice the
time; tests still read the files back with openpyxl). The chart is drawn with matplotlib's
Agg canvas (no pyplot global state).
Both are made in the report jobs' child process (handlers/report_jobs.py), off the bot's
event loop and its write lock.
"""

from __future__ import annotations

import time as systime
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import reports
from handlers.errors import HotlineError
from handlers.reports import Counts, GroupRow, Period, Summary, WeeklySeries, percentile
from handlers.settings import Deadlines, HotlineSettings
from handlers.texts.format import STATUS_TEXT
from handlers.textutil import one_line
from storage.models import Ticket, TicketStatus, User

KEEP_DAYS = 7  # generated files older than this are removed when a new one is made
# The moments of the first answer and the deadline are left out on purpose: the working
# hours and "Đúng hạn" carry what they say; /phieu N shows the full history.
TICKET_HEADERS = (
    "Số phiếu", "Ngày hỏi", "Ngày đóng", "Xã/phường", "Người hỏi", "Câu hỏi", "Lĩnh vực",
    "Tổ công tác", "Trạng thái", "Phản hồi (giờ làm việc)", "Đúng hạn", "Giải quyết (giờ làm việc)",
    "Đánh giá",
)
TICKET_WIDTHS = (9, 16, 16, 22, 24, 60, 22, 30, 16, 12, 9, 12, 9)
QUESTION_CHARS = 1000  # a cell shows the start; /phieu N has the whole question
DATETIME, DATE = "dd/mm/yyyy hh:mm", "dd/mm/yyyy"  # as the bot writes dates
AREA_HEADERS = (
    "Xã/phường", "Số câu hỏi", "Đã phản hồi", "Đúng hạn", "Trễ hạn", "Tỉ lệ đúng hạn (%)",
    "Phản hồi trung vị (giờ làm việc)", "Còn mở", "Quá hạn",
)
WAITING = frozenset(TicketStatus.OPEN)
STILL_OPEN = frozenset((*TicketStatus.OPEN, TicketStatus.WAITING))


def output_path(
    folder: str | Path, stem: str, period: Period, now: datetime, tz: ZoneInfo, suffix: str
) -> Path:
    """A fresh file name in the exports folder (created), pruning files older than KEEP_DAYS."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    cutoff = systime.time() - KEEP_DAYS * 86400
    for old in target.glob("hotline-*"):
        try:
            if old.is_file() and old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass  # another export removed it, or it is in use: not worth failing a report
    stamp = now.astimezone(tz).strftime("%Y%m%d-%H%M%S")
    return target / f"hotline-{stem}-{period.slug}-{stamp}-{uuid.uuid4().hex[:6]}{suffix}"


# --- Excel ----------------------------------------------------------------------------------


@dataclass
class _Cell:
    """Per (area, commune) tallies gathered while the tickets stream by."""

    received: int = 0
    responded: int = 0
    on_time: int = 0
    late: int = 0
    open: int = 0
    overdue: int = 0
    response: list[float] = field(default_factory=list)


@dataclass
class ExportResult:
    path: Path
    rows: int
    summary: Summary


class _Sheet:
    """One worksheet written top to bottom (constant_memory: a row is final once the next
    begins). Headers are bold and wrap, so a narrow column still shows its whole title."""

    def __init__(self, wb, title: str, formats: dict[str, object]):  # type: ignore[no-untyped-def]
        self.ws = wb.add_worksheet(title)
        self.formats = formats
        self.row = 0

    def widths(self, *widths: float) -> None:
        for col, width in enumerate(widths):
            self.ws.set_column(col, col, width)

    def header(self, values: Sequence[object]) -> None:
        self.ws.write_row(self.row, 0, values, self.formats["header"])
        self.row += 1

    def append(self, values: Sequence[object] = ()) -> None:
        for col, v in enumerate(values):
            if v is None:
                continue
            if isinstance(v, datetime):
                self.ws.write_datetime(self.row, col, v, self.formats["datetime"])
            elif isinstance(v, date):
                self.ws.write_datetime(self.row, col, datetime.combine(v, time()), self.formats["date"])
            elif isinstance(v, str):
                self.ws.write_string(self.row, col, v)
            else:
                self.ws.write_number(self.row, col, v)
        self.row += 1


def _sheet_title(name: str, taken: set[str]) -> str:
    """Excel titles: at most 31 characters, none of []:*?/\\, unique."""
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in name).strip()[:31] or "Lĩnh vực"
    title, n = clean, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title, n = clean[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _pct(c: Counts) -> float | None:
    return None if c.on_time_share is None else round(100 * c.on_time_share, 1)


async def write_workbook(
    session: AsyncSession, settings: HotlineSettings, deadlines: Deadlines, now: datetime,
    period: Period, path: Path, batch: int = 5000,
) -> ExportResult:
    """Sheets "Phiếu" (one row per ticket received in the period), "Tổng hợp", and one per
    area (its communes, most questions first). Rows are streamed, never all in memory."""
    import xlsxwriter

    tz = settings.timezone
    hours = reports.working_hours_for(deadlines, period, now, tz)
    names = reports.commune_names()
    area_label = {a.code: reports.short_area(settings, a.code) for a in settings.areas}
    group_label = {g.key: g.name for g in settings.groups}

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    formats = {
        "header": wb.add_format({"bold": True, "text_wrap": True, "valign": "top"}),
        "datetime": wb.add_format({"num_format": DATETIME}),
        "date": wb.add_format({"num_format": DATE}),
    }
    tickets = _Sheet(wb, "Phiếu", formats)
    overview = _Sheet(wb, "Tổng hợp", formats)
    taken = {"phiếu", "tổng hợp"}
    area_sheets = {  # a supervisor limited to some areas gets theirs only
        a.code: _Sheet(wb, _sheet_title(area_label[a.code], taken), formats)
        for a in settings.areas if period.areas is None or a.code in period.areas
    }
    tickets.widths(*TICKET_WIDTHS)
    tickets.ws.freeze_panes(1, 0)
    tickets.header(TICKET_HEADERS)
    ws, fdt = tickets.ws, formats["datetime"]

    tallies: dict[str, dict[int | None, _Cell]] = {}
    by_group: dict[str | None, _Cell] = {}
    q = (
        select(
            Ticket.id, Ticket.created_at, Ticket.due_at, reports.response_due(), Ticket.first_response_at,
            Ticket.closed_at, Ticket.commune_id, User.name, func.substr(Ticket.question, 1, QUESTION_CHARS),
            Ticket.area_code, Ticket.group_key, Ticket.status, Ticket.rating,
        )
        .join(User, User.id == Ticket.asker_id, isouter=True)
        .where(reports.in_period(period))
        .order_by(Ticket.created_at, Ticket.id)
        .execution_options(yield_per=batch)
    )
    rows = 0
    status_text = dict(STATUS_TEXT)
    result = await session.stream(q)
    async for part in result.partitions():
        for number, created, due, response_due, first, closed, cid, asker, question, area, gkey, status, \
                rating in part:
            start = created.timestamp()
            response = hours.hours(start, first.timestamp()) if first is not None else None
            resolution = (
                hours.hours(start, closed.timestamp())
                if closed is not None and status == TicketStatus.CLOSED else None
            )
            overdue = status in WAITING and due is not None and due < now
            if first is not None and response_due is not None:
                on_time: bool | None = first <= response_due
            else:
                on_time = False if first is None and overdue else None
            # cell by cell with the typed calls: the generic write() costs a type test a cell
            r = rows + 1
            ws.write_number(r, 0, number)
            ws.write_datetime(r, 1, created.astimezone(tz).replace(tzinfo=None), fdt)
            if closed is not None:
                ws.write_datetime(r, 2, closed.astimezone(tz).replace(tzinfo=None), fdt)
            if cid is not None and cid in names:
                ws.write_string(r, 3, names[cid])
            if asker:
                ws.write_string(r, 4, asker)
            ws.write_string(r, 5, one_line(question or ""))
            ws.write_string(r, 6, area_label.get(area, area))
            if gkey is not None:
                ws.write_string(r, 7, group_label.get(gkey, gkey))
            ws.write_string(r, 8, status_text.get(status, status))
            if response is not None:
                ws.write_number(r, 9, round(response, 2))
            if on_time is not None:
                ws.write_string(r, 10, "Có" if on_time else "Không")
            if resolution is not None:
                ws.write_number(r, 11, round(resolution, 2))
            if rating is not None:
                ws.write_number(r, 12, rating)
            rows += 1
            for cell in (
                tallies.setdefault(area, {}).setdefault(cid, _Cell()),
                by_group.setdefault(gkey, _Cell()),
            ):
                cell.received += 1
                if response is not None:
                    cell.responded += 1
                    cell.response.append(response)
                if on_time is True:
                    cell.on_time += 1
                elif on_time is False:
                    cell.late += 1
                cell.open += status in STILL_OPEN
                cell.overdue += overdue
    tickets.row = rows + 1
    ws.autofilter(0, 0, rows, len(TICKET_HEADERS) - 1)

    summary = await reports.summary(session, settings, deadlines, now, period, top=10)
    groups = reports.rank_groups(
        GroupRow(key, reports.group_name(settings, key),
                 Counts(received=c.received, on_time=c.on_time, late=c.late, overdue=c.overdue),
                 sorted(c.response))
        for key, c in by_group.items()
    )
    _write_overview(overview, summary, groups, settings)
    for code in tallies:
        if code not in area_sheets:  # an area no longer in the config still gets its sheet
            area_sheets[code] = _Sheet(wb, _sheet_title(code, taken), formats)
    for code, sheet in area_sheets.items():
        _write_area(sheet, reports.area_name(settings, code), period, tallies.get(code, {}), names)
    wb.close()
    return ExportResult(path, rows, summary)


@asynccontextmanager
async def _reading(url: str) -> AsyncIterator[AsyncSession]:
    """A session on an engine of its own. The bot's engine begins every transaction with
    BEGIN IMMEDIATE on SQLite; a plain engine only reads, so a long report never holds the
    bot's write lock (in WAL mode readers and the writer do not block each other)."""
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, hide_parameters=True)  # no question text in errors
    try:
        async with AsyncSession(engine) as session:
            yield session
    finally:
        await engine.dispose()


async def export_file(
    url: str, settings: HotlineSettings, deadlines: Deadlines, now: datetime, period: Period, path: Path
) -> ExportResult:
    """The workbook from outside the bot's transactions (`hotline report`, report jobs)."""
    async with _reading(url) as session:
        return await write_workbook(session, settings, deadlines, now, period, path)


async def make_export(
    url: str, settings: HotlineSettings, deadlines: Deadlines, now: datetime, period: Period
) -> tuple[str, tuple[str, str]]:
    """/xuat's answer: caption and (path, "document"); HotlineError when too large for a chat."""
    async with _reading(url) as session:
        size = (await reports.grouped_counts(session, now, reports.in_period(period))).get(())
        if size is not None and size.received > settings.chat_export_limit:
            raise HotlineError(
                f"Kỳ {period.label} có {size.received} phiếu, quá nhiều để gửi qua tin nhắn. Xin chọn "
                "kỳ ngắn hơn, hoặc trên máy chủ chạy: hotline report --period … --out baocao.xlsx"
            )
        path = output_path(settings.reports_folder, "baocao", period, now, settings.timezone, ".xlsx")
        result = await write_workbook(session, settings, deadlines, now, period, path)
    return export_caption(result), (str(path), "document")


async def make_chart(
    url: str, settings: HotlineSettings, deadlines: Deadlines, now: datetime, period: Period
) -> tuple[str, tuple[str, str]]:
    """/bieudo's answer: caption and (path, "photo")."""
    async with _reading(url) as session:
        series = await reports.weekly(session, settings, now, period)
    path = output_path(settings.reports_folder, "bieudo", period, now, settings.timezone, ".png")
    render_chart(series, settings, period, path)
    return chart_caption(series, period), (str(path), "photo")


def _write_overview(ws: _Sheet, s: Summary, groups: Sequence[GroupRow], settings: HotlineSettings) -> None:
    c = s.counts
    first, last = s.period.days(settings.timezone)
    ws.widths(46, *[16] * 7)
    ws.header(("Tổng hợp", s.period.label))
    for label, value in (
        ("Từ ngày", first),  # dates, not text: Excel can filter and compute with them
        ("Đến ngày", last),
        ("Số câu hỏi nhận", c.received),
        ("Đã trả lời", c.answered),
        ("Đã đóng", c.closed),
        ("Còn mở", c.open),
        ("Quá hạn (chờ tổ trả lời, đã qua hạn)", c.overdue),
        ("Đã hủy", c.cancelled),
        ("Phản hồi trung vị (giờ làm việc)", _round(s.median)),
        ("Phản hồi phân vị 90% (giờ làm việc)", _round(s.p90)),
        ("Trả lời đúng hạn", c.on_time),
        ("Trả lời trễ hạn hoặc quá hạn chưa trả lời", c.late),
        ("Tỉ lệ trả lời đúng hạn (%)", _pct(c)),
        ("Vượt thẩm quyền, báo lãnh đạo", c.escalated),
        ("Quá hạn, tự động báo lãnh đạo", c.auto_escalated),
        ("Đánh giá trung bình (1–5)", _round(c.rating)),
        ("Số lượt đánh giá", c.rated),
    ):
        ws.append((label, value))
    ws.append(())
    ws.header(("Theo lĩnh vực", "Số câu hỏi", "Đã trả lời", "Còn mở", "Quá hạn", "Tỉ lệ đúng hạn (%)"))
    for code, a in s.by_area:
        ws.append((reports.area_name(settings, code), a.received, a.answered, a.open, a.overdue, _pct(a)))
    ws.append(())
    ws.header(("Xếp hạng tổ công tác", "Số câu hỏi", "Đúng hạn", "Đã đến hạn",
               "Tỉ lệ đúng hạn (%)", "Phản hồi trung vị (giờ làm việc)", "Quá hạn"))
    for g in groups:
        gc = g.counts
        ws.append((g.name, gc.received, gc.on_time, gc.decided, _pct(gc), _round(g.median), gc.overdue))
    ws.append(())
    ws.header((f"{len(s.top_communes)} xã/phường hỏi nhiều nhất", "Số câu hỏi"))
    names = reports.commune_names()
    for cid, n in s.top_communes:
        ws.append((names.get(cid, "—") if cid is not None else "—", n))


def _write_area(
    ws: _Sheet, title: str, period: Period, cells: dict[int | None, _Cell], names: dict[int, str]
) -> None:
    ws.widths(28, *[14] * 8)
    ws.header((title, period.label))
    ws.header(AREA_HEADERS)
    for cid, c in sorted(cells.items(), key=lambda kv: (-kv[1].received, names.get(kv[0] or 0, ""))):
        c.response.sort()
        decided = c.on_time + c.late
        ws.append((
            names.get(cid, "—") if cid is not None else "—",
            c.received, c.responded, c.on_time, c.late,
            round(100 * c.on_time / decided, 1) if decided else None,
            _round(percentile(c.response, 0.5)), c.open, c.overdue,
        ))


def export_caption(r: ExportResult) -> str:
    c = r.summary.counts
    median = r.summary.median
    speed = "chưa có phiếu được phản hồi" if median is None else (
        f"phản hồi trung vị {reports.num(median)} giờ làm việc")
    return (
        f"📄 Báo cáo {r.summary.period.label}: {r.rows} phiếu; đúng hạn "
        f"{reports.share(c.on_time, c.decided)}; {speed}. "
        "Trang “Phiếu”: từng phiếu; “Tổng hợp”: số liệu chung và xếp hạng tổ; "
        "mỗi lĩnh vực một trang theo xã/phường."
    )


# --- chart ----------------------------------------------------------------------------------


def render_chart(series: WeeklySeries, settings: HotlineSettings, period: Period, path: Path) -> None:
    """Stacked bars of questions per week by area, and the on-time share as a line (right axis)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    n = len(series.weeks)
    x = list(range(n))
    with matplotlib.rc_context({"font.family": "DejaVu Sans", "font.size": 10}):
        fig = Figure(figsize=(11, 6), dpi=100, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        colors = matplotlib.colormaps["tab20"]
        order = [a.code for a in settings.areas if a.code in series.by_area]
        order += sorted(code for code in series.by_area if code not in order)
        bottom = [0] * n
        for i, code in enumerate(order):
            values = series.by_area[code]
            ax.bar(x, values, bottom=bottom, width=0.8, color=colors(i % 20),
                   label=reports.short_area(settings, code))
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("Số câu hỏi")
        ax.set_xlabel("Tuần (bắt đầu từ thứ Hai)")
        ax.set_title(f"Câu hỏi theo tuần và lĩnh vực — {period.label}")
        step = max(1, n // 13)
        ax.set_xticks(x[::step], [f"{w:%d/%m}" for w in series.weeks[::step]])
        if n:
            ax.set_xlim(-0.6, n - 0.4)
        if not any(bottom):
            ax.text(0.5, 0.5, "Chưa có câu hỏi nào trong kỳ", transform=ax.transAxes,
                    ha="center", va="center", fontsize=14, color="gray")
        right = ax.twinx()
        shares = [100 * ok / d if d else float("nan") for ok, d in zip(series.on_time, series.decided,
                                                                      strict=True)]
        right.plot(x, shares, color="black", marker="o", linewidth=1.8, label="Tỉ lệ trả lời đúng hạn (%)")
        right.set_ylim(0, 105)
        right.set_ylabel("Trả lời đúng hạn (%)")
        handles, labels = ax.get_legend_handles_labels()
        line_handles, line_labels = right.get_legend_handles_labels()
        fig.legend(handles[::-1] + line_handles, labels[::-1] + line_labels, loc="outside right upper",
                   fontsize=8, frameon=False)
        fig.savefig(path, format="png")


def chart_caption(series: WeeklySeries, period: Period) -> str:
    total = sum(sum(v) for v in series.by_area.values())
    ok, decided = sum(series.on_time), sum(series.decided)
    return (
        f"📈 Câu hỏi theo tuần và lĩnh vực — {period.label}: {total} câu hỏi trong "
        f"{len(series.weeks)} tuần; "
        f"trả lời đúng hạn {reports.share(ok, decided)}."
    )


__all__ = [
    "ExportResult", "chart_caption", "export_caption", "export_file", "make_chart", "make_export",
    "output_path", "render_chart", "write_workbook",
]
