"""The Excel workbook supervisors get (XlsxWriter, streamed): /xuat and `hotline report`.

The workbook is written by XlsxWriter in `constant_memory` mode: ticket rows stream from the
database in batches and each row goes to the sheet's temporary file as the next begins, so
memory stays flat however long the period (openpyxl's per-cell objects cost about twice the
time; tests still read the files back with openpyxl). The long "Phiếu" sheet goes through
`RowSheet.append_row` (handlers/reports/rowsheet.py), a row of XML at a time, the same XML as
XlsxWriter's cell calls at a fraction of their cost. It is made in the report jobs' child
process (handlers/reports/jobs.py), off the bot's event loop and its write lock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.errors import HotlineError
from handlers.reports import figures, labels
from handlers.reports.figures import GroupRow, Summary
from handlers.reports.files import output_path
from handlers.reports.hours import percentile, working_hours_for
from handlers.reports.periods import Period
from handlers.settings import Deadlines, HotlineSettings
from handlers.texts import reports as t
from handlers.texts.format import STATUS_TEXT
from handlers.textutil import one_line
from storage import reports as db
from storage.models import TicketStatus
from storage.reports import Counts

# The moments of the first answer and the deadline are left out on purpose: the working
# hours and "Đúng hạn" carry what they say; /phieu N shows the full history.
TICKET_HEADERS = t.TICKET_HEADERS
TICKET_WIDTHS = (9, 16, 16, 22, 24, 60, 22, 30, 16, 12, 9, 12, 9)
QUESTION_CHARS = 1000  # a cell shows the start; /phieu N has the whole question
DATETIME, DATE = "dd/mm/yyyy hh:mm", "dd/mm/yyyy"  # as the bot writes dates
AREA_HEADERS = t.AREA_HEADERS
STILL_OPEN = frozenset((*TicketStatus.OPEN, TicketStatus.WAITING))


@dataclass(slots=True)
class _Cell:
    """Per (area, commune) and per group tallies gathered while the tickets stream by."""

    received: int = 0
    responded: int = 0
    on_time: int = 0
    late: int = 0
    open: int = 0
    overdue: int = 0
    response: list[float] = field(default_factory=list)

    def add(self, response: float | None, on_time: bool | None, still_open: bool, overdue: bool) -> None:
        self.received += 1
        if response is not None:
            self.responded += 1
            self.response.append(response)
        if on_time is True:
            self.on_time += 1
        elif on_time is False:
            self.late += 1
        self.open += still_open
        self.overdue += overdue


def _cell(cells: dict[Any, _Cell], key: object) -> _Cell:
    cell = cells.get(key)
    if cell is None:
        cell = cells[key] = _Cell()
    return cell


@dataclass
class ExportResult:
    path: Path
    rows: int
    summary: Summary


class _Sheet:
    """One worksheet written top to bottom (constant_memory: a row is final once the next
    begins). Headers are bold and wrap, so a narrow column still shows its whole title."""

    def __init__(self, wb, title: str, formats: dict[str, object]):  # type: ignore[no-untyped-def]
        from handlers.reports.rowsheet import RowSheet  # imports xlsxwriter: when a report is made

        self.ws: RowSheet = wb.add_worksheet(title, worksheet_class=RowSheet)
        self.formats = formats
        self.row = 0

    def widths(self, *widths: float) -> None:
        for col, width in enumerate(widths):
            self.ws.set_column(col, col, width)

    def header(self, values: Sequence[object]) -> None:
        self.ws.write_row(self.row, 0, values, self.formats["header"])
        self.row += 1

    def append(self, values: Sequence[object] = ()) -> None:
        cells: list[Any] = []
        formats: list[object] = []
        for v in values:
            if isinstance(v, datetime):
                cells.append(v)
                formats.append(self.formats["datetime"])
            elif isinstance(v, date):
                cells.append(datetime.combine(v, time()))
                formats.append(self.formats["date"])
            else:
                cells.append(v)
                formats.append(None)
        self.ws.append_row(self.row, cells, formats)
        self.row += 1


def _sheet_title(name: str, taken: set[str]) -> str:
    """Excel titles: at most 31 characters, none of []:*?/\\, unique."""
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in name).strip()[:31] or t.AREA_SHEET
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

    from handlers.reports.rowsheet import LocalSerials  # imports xlsxwriter too

    tz = settings.timezone
    hours = working_hours_for(deadlines, period, now, tz)
    names = labels.commune_names()
    area_label = {a.code: labels.short_area(settings, a.code) for a in settings.areas}
    group_label = {g.key: g.name for g in settings.groups}

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    formats = {
        "header": wb.add_format({"bold": True, "text_wrap": True, "valign": "top"}),
        "datetime": wb.add_format({"num_format": DATETIME}),
        "date": wb.add_format({"num_format": DATE}),
    }
    tickets = _Sheet(wb, t.TICKETS_SHEET, formats)
    overview = _Sheet(wb, t.OVERVIEW_SHEET, formats)
    taken = {t.TICKETS_SHEET.lower(), t.OVERVIEW_SHEET.lower()}
    area_sheets = {  # a supervisor limited to some areas gets theirs only
        a.code: _Sheet(wb, _sheet_title(area_label[a.code], taken), formats)
        for a in settings.areas if period.areas is None or a.code in period.areas
    }
    tickets.widths(*TICKET_WIDTHS)
    tickets.ws.freeze_panes(1, 0)
    tickets.header(TICKET_HEADERS)
    fdt = formats["datetime"]
    row_formats = (None, fdt, fdt, *[None] * 10)

    tallies: defaultdict[str, dict[int | None, _Cell]] = defaultdict(dict)
    by_group: dict[str | None, _Cell] = {}
    rows = 0
    status_text = dict(STATUS_TEXT)
    serial = LocalSerials(tz)
    async for part in db.export_rows(session, period, now, QUESTION_CHARS, batch):
        for number, created, first, closed, on_time, overdue, cid, asker, question, area, gkey, status, \
                rating in part:
            start = created / 1_000_000  # epoch seconds, as datetime.timestamp() gives them
            response = hours.hours(start, first / 1_000_000) if first is not None else None
            resolution = (
                hours.hours(start, closed / 1_000_000)
                if closed is not None and status == TicketStatus.CLOSED else None
            )
            if on_time is None and first is None and overdue:
                on_time = False
            tickets.ws.append_row(rows + 1, (
                number,
                serial(created),
                serial(closed) if closed is not None else None,
                names.get(cid) if cid is not None else None,
                asker or None,
                one_line(question or ""),
                area_label.get(area, area),
                group_label.get(gkey, gkey) if gkey is not None else None,
                status_text.get(status, status),
                round(response, 2) if response is not None else None,
                (t.YES if on_time else t.NO) if on_time is not None else None,
                round(resolution, 2) if resolution is not None else None,
                rating,
            ), row_formats)
            rows += 1
            still_open = status in STILL_OPEN
            _cell(tallies[area], cid).add(response, on_time, still_open, overdue)
            _cell(by_group, gkey).add(response, on_time, still_open, overdue)
    tickets.row = rows + 1
    tickets.ws.autofilter(0, 0, rows, len(TICKET_HEADERS) - 1)

    summary = await figures.summary(session, settings, deadlines, now, period, top=10)
    groups = figures.rank_groups(
        GroupRow(key, labels.group_name(settings, key),
                 Counts(received=c.received, on_time=c.on_time, late=c.late, overdue=c.overdue),
                 sorted(c.response))
        for key, c in by_group.items()
    )
    _write_overview(overview, summary, groups, settings)
    for code in tallies:
        if code not in area_sheets:  # an area no longer in the config still gets its sheet
            area_sheets[code] = _Sheet(wb, _sheet_title(code, taken), formats)
    for code, sheet in area_sheets.items():
        _write_area(sheet, labels.area_name(settings, code), period, tallies.get(code, {}), names)
    wb.close()
    return ExportResult(path, rows, summary)


async def export_file(
    url: str, settings: HotlineSettings, deadlines: Deadlines, now: datetime, period: Period, path: Path
) -> ExportResult:
    """The workbook from outside the bot's transactions (`hotline report`, report jobs)."""
    async with db.reading(url) as session:
        return await write_workbook(session, settings, deadlines, now, period, path)


async def make_export(
    url: str, settings: HotlineSettings, deadlines: Deadlines, now: datetime, period: Period
) -> tuple[str, tuple[str, str]]:
    """/xuat's answer: caption and (path, "document"); HotlineError when too large for a chat."""
    async with db.reading(url) as session:
        size = (await db.ticket_counts(session, now, period)).get(None)
        if size is not None and size.received > settings.chat_export_limit:
            raise HotlineError(t.TOO_LARGE, period=period.label, received=size.received)
        path = output_path(settings.reports_folder, "baocao", period, now, settings.timezone, ".xlsx")
        result = await write_workbook(session, settings, deadlines, now, period, path)
    return export_caption(result), (str(path), "document")


def _write_overview(ws: _Sheet, s: Summary, groups: Sequence[GroupRow], settings: HotlineSettings) -> None:
    c = s.counts
    first, last = s.period.days(settings.timezone)
    ws.widths(46, *[16] * 7)
    ws.header((t.OVERVIEW_SHEET, s.period.label))
    values = (
        first, last,  # dates, not text: Excel can filter and compute with them
        c.received, c.answered, c.closed, c.open, c.overdue, c.cancelled,
        _round(s.median), _round(s.p90), c.on_time, c.late, _pct(c),
        c.escalated, c.auto_escalated, _round(c.rating), c.rated,
    )
    for label, value in zip(t.OVERVIEW_ROWS, values, strict=True):
        ws.append((label, value))
    ws.append(())
    ws.header(t.BY_AREA_HEADERS)
    for code, a in s.by_area:
        ws.append((labels.area_name(settings, code), a.received, a.answered, a.open, a.overdue, _pct(a)))
    ws.append(())
    ws.header(t.LEAGUE_HEADERS)
    for g in groups:
        gc = g.counts
        ws.append((g.name, gc.received, gc.on_time, gc.decided, _pct(gc), _round(g.median), gc.overdue))
    ws.append(())
    ws.header((t.TOP_COMMUNES.format(count=len(s.top_communes)), t.QUESTIONS))
    names = labels.commune_names()
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
    speed = t.NO_RESPONSE_YET if median is None else t.MEDIAN_RESPONSE.format(hours=labels.num(median))
    return t.EXPORT_CAPTION.format(
        period=r.summary.period.label, rows=labels.count(r.rows),
        share=labels.share(c.on_time, c.decided), speed=speed,
    )
