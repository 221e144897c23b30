"""Supervisor reports: numbers against a hand-computed fixture in working time, the workbook
read back, the chart's PNG, refusals and usage text, the command-line export."""

from __future__ import annotations

import asyncio
import struct
import tempfile
import zipfile
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import select
from sqlmodel import col

from bot.cli import main
from handlers.errors import UsageError
from handlers.messages import Identity
from handlers.reports.excel import TICKET_HEADERS
from handlers.reports.figures import GroupRow, rank_groups
from handlers.reports.hours import WorkingHours, percentile
from handlers.reports.periods import parse_period
from handlers.reports.rowsheet import LocalSerials, RowSheet, excel_serial
from handlers.textutil import one_line
from handlers.worktime import ClockHours, WorkCalendar
from storage.db import Database
from storage.models import Ticket, User
from storage.reports import Counts, epoch_us
from tests.helpers.harness import FakeClock, make_harness, texts_to

VN = ZoneInfo("Asia/Ho_Chi_Minh")
RANGE = "23/11/2026-02/12/2026"


def local(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=VN).astimezone(UTC)


async def scenario(db_url: str, folder: str, **overrides):  # type: ignore[no-untyped-def]
    """Six tickets over two working weeks (Asia/Ho_Chi_Minh, 07:00–11:30 and 13:30–17:00).

    #1 an, land, Mon 23/11 09:00, answered 10:30 → 1.5 h, on time; closed, rated 5
    #2 an, finance, Mon 16:00, answered Wed 25/11 08:00 → 1 + 0 + 1 = 2.0 h (Tuesday 24/11 is
       Vietnam Cultural Day, a public holiday), on time; closed, rated 4
    #3 binh, land, Fri 27/11 15:00 (due Mon 30/11 15:00), answered Tue 01/12 09:00 → 2+8+2 = 12 h, late
    #4 binh, IT, Fri 27/11 15:00, due Mon 15:00, never answered: at Wed 10:00, 13 h late
    #5 binh, IT, Mon 30/11 09:00, due Tue 09:00, never answered: at Wed 10:00, 9 h late
    #6 an, finance, Wed 02/12 09:00, escalated by its group at 09:30, not yet due
    Now: Wed 02/12/2026 10:00, after one follow-up tick (which escalates #4 and #5).
    """
    clock = FakeClock(local("2026-11-23 09:00"))
    hx = await make_harness(
        db_url, clock=clock, deadlines=WorkCalendar(), reports_folder=folder, **overrides
    )
    await hx.register("an")
    await hx.register("binh", "Xã Hưng Nguyên Nam")
    assert await hx.ask("an", "Xin hỏi hồ sơ cấp sổ đỏ lần đầu gồm những gì?") == 1
    clock.moment = local("2026-11-23 10:30")
    await hx.say("dd", "/tl 1 Hồ sơ gồm đơn và giấy tờ về đất.", group="g_dat")
    clock.moment = local("2026-11-23 16:00")
    assert await hx.ask("an", "Quyết toán ngân sách xã năm 2025 nộp khi nào?") == 2
    clock.moment = local("2026-11-25 08:00")
    await hx.say("tc", "/tl 2 Trước ngày 31/3 năm sau.", group="g_tc")
    for text in ("/xong 1", "/danhgia 1 5", "/xong 2", "/danhgia 2 4"):
        await hx.say("an", text)
    clock.moment = local("2026-11-27 15:00")
    assert await hx.ask("binh", "Thủ tục tách thửa đất ở như thế nào?") == 3
    assert await hx.ask("binh", "Phần mềm một cửa bị lỗi không vào được") == 4
    clock.moment = local("2026-11-30 09:00")
    assert await hx.ask("binh", "Chữ ký số hết hạn thì gia hạn ở đâu?") == 5
    clock.moment = local("2026-12-01 09:00")
    await hx.say("dd", "/tl 3 Theo quy định của tỉnh về tách thửa.", group="g_dat")
    clock.moment = local("2026-12-02 09:00")
    assert await hx.ask("an", "Kinh phí sửa chữa nhỏ lấy từ ngân sách nào?") == 6
    clock.moment = local("2026-12-02 09:30")
    await hx.say("tc", "/vuot 6 Cần ý kiến của UBND tỉnh", group="g_tc")
    clock.moment = local("2026-12-02 10:00")
    await hx.tick()
    return hx


@pytest.fixture
async def wx(db_url, tmp_path):
    hx = await scenario(db_url, str(tmp_path / "exports"))
    yield hx
    await hx.db.close()


async def reply(hx, text: str) -> str:  # type: ignore[no-untyped-def]
    out = texts_to(await hx.say("sep", text), "sep")
    assert len(out) == 1, out
    return out[0]


# --- periods and arithmetic -----------------------------------------------------------------


def test_periods_in_local_time():
    now = local("2026-12-02 10:00")  # a Wednesday

    def days(text: str) -> tuple[date, date, str]:
        p = parse_period(text, now, VN, "homnay", "/tongket [kỳ]")
        first, last = p.days(VN)
        assert p.start == datetime.combine(first, datetime.min.time(), VN).astimezone(UTC)
        return first, last, p.label

    assert days("") == (date(2026, 12, 2), date(2026, 12, 2), "hôm nay (02/12/2026)")
    assert days("hôm nay")[:2] == days("homnay")[:2] == (date(2026, 12, 2), date(2026, 12, 2))
    assert days("homqua")[:2] == (date(2026, 12, 1), date(2026, 12, 1))
    assert days("tuần")[:2] == (date(2026, 11, 30), date(2026, 12, 6))
    assert days("thang") == (date(2026, 12, 1), date(2026, 12, 31), "tháng 12/2026")
    assert days("năm")[:2] == (date(2026, 1, 1), date(2026, 12, 31))
    assert days("2026-02")[:2] == (date(2026, 2, 1), date(2026, 2, 28))
    assert days("23/11/2026-02/12/2026")[:2] == (date(2026, 11, 23), date(2026, 12, 2))
    for bad in ("abc", "2026-13", "31/02/2026-01/03/2026", "05/12/2026-01/12/2026", "thang 13"):
        with pytest.raises(UsageError) as err:
            parse_period(bad, now, VN, "homnay", "/tongket [kỳ]")
        assert err.value.text.startswith("Cách dùng: /tongket [kỳ] — kỳ: homnay")
        assert "\n" not in err.value.text


def test_percentiles_interpolate_between_ranks():
    assert percentile([], 0.5) is None
    assert percentile([4.0], 0.9) == 4.0
    assert percentile([1.5, 2.0, 12.0], 0.5) == 2.0
    assert percentile([1.5, 2.0, 12.0], 0.9) == pytest.approx(10.0)  # 2 + (12 - 2) * 0.8
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5


def test_groups_rank_by_on_time_share_then_median():
    def row(name: str, on_time: int, late: int, times: list[float]) -> GroupRow:
        return GroupRow(name, name, Counts(received=on_time + late, on_time=on_time, late=late), times)

    ranked = rank_groups([
        row("slow", 3, 1, [5.0]), row("none", 0, 0, []), row("fast", 3, 1, [1.0]), row("best", 2, 0, [9.0]),
    ])
    assert [r.name for r in ranked] == ["best", "fast", "slow", "none"]


CALENDAR = WorkCalendar()
_moments = st.datetimes(
    min_value=datetime(2025, 12, 1), max_value=datetime(2026, 3, 1), timezones=st.just(UTC)  # noqa: DTZ001
)


@settings(max_examples=300, deadline=None)
@given(_moments, _moments)
def test_tabulated_working_hours_equal_the_calendar(a, b):
    """Across Tết 2026 and weekends the fast path gives exactly what hours_between gives."""
    fast = WorkingHours(CALENDAR, date(2025, 12, 1), date(2026, 3, 1))
    assert fast.hours(a.timestamp(), b.timestamp()) == pytest.approx(CALENDAR.hours_between(a, b), abs=1e-6)
    assert fast.hours_many([a.timestamp()], [b.timestamp()])[0] == pytest.approx(
        CALENDAR.hours_between(a, b), abs=1e-6
    )
    assert WorkingHours(ClockHours(), date(2025, 12, 1), date(2026, 3, 1)).hours(
        a.timestamp(), b.timestamp()
    ) == pytest.approx(ClockHours().hours_between(a, b) if b > a else 0.0)


_tricky = st.lists(st.sampled_from(
    ["_x0041_", "_xABCD_", "_x00G0_", "&", "<", ">", '"', "\x01", "\x1f", "\t", "\n", " ", "\u00a0",
     "\ufffe", "\uffff", "\u200b", "Đất đai", "x"]
), max_size=6).map("".join)
_cells = st.one_of(
    st.none(), _tricky, st.text(max_size=20), st.integers(-(10**9), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),  # noqa: DTZ001
)


def _sheet_xml(rows, append: bool) -> bytes:  # type: ignore[no-untyped-def]
    """The first sheet's XML after a header and `rows`, by RowSheet.append_row or by
    XlsxWriter's own worksheet and typed calls."""
    import xlsxwriter

    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/t.xlsx"
        wb = xlsxwriter.Workbook(path, {"constant_memory": True})
        bold, fdt = wb.add_format({"bold": True}), wb.add_format({"num_format": "dd/mm/yyyy hh:mm"})
        ws = wb.add_worksheet("Phiếu", worksheet_class=RowSheet if append else None)
        ws.write_row(0, 0, ["a", "b"], bold)
        for r, values in enumerate(rows, start=1):
            formats = [fdt if isinstance(v, datetime) else None for v in values]
            if append:
                ws.append_row(r, values, formats)
                continue
            for c, v in enumerate(values):
                if isinstance(v, str):
                    ws.write_string(r, c, v)
                elif isinstance(v, datetime):
                    ws.write_datetime(r, c, v, fdt)
                elif v is not None:
                    ws.write_number(r, c, v)
        ws.autofilter(0, 0, len(rows), 12)
        wb.close()
        with zipfile.ZipFile(path) as z:
            return z.read("xl/worksheets/sheet1.xml")


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(_cells, min_size=13, max_size=13), max_size=4))
def test_appended_rows_are_the_xml_xlsxwriter_writes(rows):
    """The export's fast row path writes exactly what XlsxWriter's typed calls write: numbers,
    dates, escapes (control characters, a literal _xHHHH_, & < >), kept leading spaces."""
    assert _sheet_xml(rows, append=True) == _sheet_xml(rows, append=False)


UNIX = datetime(1970, 1, 1, tzinfo=UTC)
ZONES = [VN, ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York"), ZoneInfo("Australia/Lord_Howe")]


def _micros(moment: datetime) -> int:
    return (moment - UNIX) // timedelta(microseconds=1)


@given(st.datetimes(min_value=datetime(1960, 1, 1), max_value=datetime(2100, 1, 1),  # noqa: DTZ001
                    timezones=st.just(UTC)), st.sampled_from(ZONES))
@example(datetime(2026, 3, 29, 0, 59, 59, 999_999, tzinfo=UTC), ZONES[1])  # Berlin's clocks change
@example(datetime(2026, 3, 29, 1, 0, tzinfo=UTC), ZONES[1])
@example(datetime(2026, 10, 3, 15, 30, tzinfo=UTC), ZONES[3])  # Lord Howe: half an hour forward
def test_local_serials_are_the_serials_of_local_datetimes(moment, tz):
    """The export's dates from microseconds are XlsxWriter's serials of the local datetime,
    to the last bit; one converter across days whose clocks change."""
    assert LocalSerials(tz)(_micros(moment)) == excel_serial(moment.astimezone(tz).replace(tzinfo=None))


@pytest.mark.parametrize("tz", ZONES)
def test_local_serials_across_a_change_of_clocks(tz):
    serial = LocalSerials(tz)
    for start in (datetime(2026, 3, 27, tzinfo=UTC), datetime(2026, 10, 2, tzinfo=UTC),
                  datetime(2026, 10, 23, tzinfo=UTC), datetime(2026, 11, 6, tzinfo=UTC)):
        for step in range(0, 4 * 86400, 433):
            moment = start + timedelta(seconds=step, microseconds=step * 997 % 1_000_000)
            assert serial(_micros(moment)) == excel_serial(moment.astimezone(tz).replace(tzinfo=None))


async def test_stored_moments_read_back_to_the_microsecond(db_url):
    """epoch_us on both databases: exact, where SQLite's date functions round to the
    millisecond (23:59:59.9999 would be the next day)."""
    moments = [
        datetime(2026, 11, 30, 23, 59, 59, 999_999, tzinfo=UTC), datetime(2026, 11, 2, 1, 0, tzinfo=UTC),
        datetime(2026, 11, 2, 1, 0, 0, 500_000, tzinfo=UTC), datetime(2024, 2, 29, 12, 0, 0, 1, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    ]
    db = Database(db_url)
    await db.upgrade()
    try:
        async with db.session() as s:
            user = User(identity="console:an", created_at=moments[0])
            s.add(user)
            await s.flush()
            for moment in moments:
                s.add(Ticket(asker_id=user.id, asker_chat="console:an", area_code="dat_dai",
                             created_at=moment, first_response_at=moment))
        async with db.session() as s:
            first, closed = col(Ticket.first_response_at), col(Ticket.closed_at)
            rows = (await s.execute(select(col(Ticket.created_at), epoch_us(first), epoch_us(closed)))).all()
    finally:
        await db.close()
    assert sorted(rows) == sorted((m, _micros(m), None) for m in moments)


@given(st.text())
def test_one_line_is_the_per_character_definition(text):
    expected = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    assert one_line(text) == expected


def test_moments_outside_the_table_fall_back_to_the_calendar():
    fast = WorkingHours(CALENDAR, date(2026, 11, 1), date(2026, 11, 30))
    a, b = local("2026-11-23 09:00"), local("2027-01-05 10:00")  # past the table, over New Year
    expected = CALENDAR.hours_between(a, b)
    assert fast.hours(a.timestamp(), b.timestamp()) == pytest.approx(expected)
    assert fast.hours_many([a.timestamp(), a.timestamp()], [b.timestamp(), a.timestamp()]) == pytest.approx(
        [expected, 0.0]
    )


# --- chat reports ---------------------------------------------------------------------------


async def test_summary_numbers_match_the_hand_computed_fixture(wx):
    async with wx.db.session() as s:
        tickets = [await s.get(Ticket, n) for n in range(1, 7)]
    cal = WorkCalendar()
    assert [cal.hours_between(t.created_at, t.first_response_at) for t in tickets if t.first_response_at] \
        == pytest.approx([1.5, 2.0, 12.0])

    text = await reply(wx, f"/tongket {RANGE}")
    assert text.startswith("📊 Tổng kết từ 23/11/2026 đến 02/12/2026: 6 câu hỏi mới.")
    assert "Đã trả lời: 3 · Đã đóng: 2 · Còn mở: 3 · Quá hạn: 2" in text
    assert "trung vị 2,0 giờ, 90% trong 10,0 giờ (3 phiếu đã phản hồi)" in text
    assert "Trả lời đúng hạn: 40% (2/5)." in text
    assert "Vượt thẩm quyền, báo lãnh đạo: 1 · Quá hạn, tự động báo lãnh đạo: 2." in text
    assert "Đánh giá trung bình: 4,5/5 (2 lượt)." in text
    assert "• Công nghệ thông tin: 2 (quá hạn 2)\n• Đất đai: 2\n• Tài chính: 2" in text
    assert "2 xã/phường hỏi nhiều nhất:" in text
    assert "• Xã Nam Đàn: 3" in text and "• Xã Hưng Nguyên Nam: 3" in text
    assert text.endswith("Đang quá hạn (mọi kỳ): 2 phiếu — xem /quahan.")

    today = await reply(wx, "/tongket")  # default: today, Wednesday 02/12
    assert today.startswith("📊 Tổng kết hôm nay (02/12/2026): 1 câu hỏi mới.")
    assert "Trả lời đúng hạn: — (chưa có phiếu đến hạn)." in today


async def test_groups_league_table(wx):
    text = await reply(wx, f"/xephang {RANGE}")
    lines = text.splitlines()
    assert lines[0] == "🏆 Xếp hạng tổ công tác từ 23/11/2026 đến 02/12/2026"
    assert lines[2] == "1. Tổ Tài chính: 100% đúng hạn (1/1); trung vị 2,0 giờ; 2 câu hỏi"
    assert lines[3] == "2. Tổ Đất đai: 50% đúng hạn (1/2); trung vị 6,8 giờ; 2 câu hỏi"
    assert lines[4] == "3. Tổ CNTT: 0% đúng hạn (0/2); chưa phản hồi phiếu nào; 2 câu hỏi; đang quá hạn 2"
    month = await reply(wx, "/xephang")  # default: this month, December: #6 only
    assert "tháng 12/2026" in month and "Tổ Tài chính" in month and "Tổ Đất đai" not in month


async def test_commune_view_by_area_and_period(wx):
    text = await reply(wx, f"/xa Nam Đàn {RANGE}")
    assert text.splitlines() == [
        "🏘️ Xã Nam Đàn — từ 23/11/2026 đến 02/12/2026: 3 câu hỏi.",
        "Trả lời đúng hạn: 100% (2/2) · Phản hồi trung vị 1,8 giờ làm việc · Còn mở: 1 · Quá hạn: 0.",
        "Theo lĩnh vực (hỏi nhiều nhất trước — nơi cần hướng dẫn, bồi dưỡng):",
        "• Tài chính: 2 (67%)",
        "• Đất đai: 1 (33%)",
    ]
    # "Nam" at the end of a name is not the period "năm"; a trailing period still works
    year = await reply(wx, "/xa Hưng Nguyên Nam")
    assert year.startswith("🏘️ Xã Hưng Nguyên Nam — năm 2026: 3 câu hỏi.")
    assert "• Công nghệ thông tin: 2 (67%, quá hạn 2)" in year
    december = await reply(wx, "/xa hung nguyen nam thang")
    assert december == "🏘️ Xã Hưng Nguyên Nam — tháng 12/2026: 0 câu hỏi."

    out = await wx.say("sep", "/xa Long Sơn tuan")
    [(_, msg)] = out
    assert "ứng với nhiều xã/phường" in msg.text
    assert any("Xã Yên Xuân" in c.label for c in msg.choices)
    assert all(c.command.startswith("/xa ") and c.command.endswith(" tuan") for c in msg.choices)
    assert "Không tìm thấy xã/phường" in await reply(wx, "/xa Khôngcótên")
    assert (await reply(wx, "/xa")).startswith("Cách dùng: /xa <tên xã/phường> [kỳ]")


async def test_overdue_lists_group_and_working_hours_late_oldest_first(wx):
    text = await reply(wx, "/quahan")
    lines = text.splitlines()
    assert lines[0] == "⏰ 2 phiếu quá hạn chưa trả lời, cũ nhất trước:"
    where = "Công nghệ thông tin — Xã Hưng Nguyên Nam — Tổ CNTT"
    assert lines[1].startswith(f"#4 {where} — trễ 13,0 giờ làm việc")
    assert lines[2].startswith(f"#5 {where} — trễ 9,0 giờ làm việc")
    assert lines[1].endswith("— chưa nhận, hạn 15:00 Thứ Hai 30/11/2026")


# --- files ----------------------------------------------------------------------------------


async def test_export_workbook_reads_back(wx, tmp_path):
    ack = texts_to(await wx.say("sep", f"/xuat {RANGE}"), "sep")
    assert ack == [
        "⏳ Đang lập báo cáo Excel từ 23/11/2026 đến 02/12/2026; tệp sẽ được gửi vào đây khi xong."
    ]
    out = await wx.reports()
    [(_, msg)] = out
    assert msg.file_kind == "document" and msg.file_path.endswith(".xlsx")
    assert msg.file_path.startswith(str(tmp_path / "exports"))
    assert "6 phiếu" in msg.text and "40% (2/5)" in msg.text

    wb = load_workbook(msg.file_path)
    assert wb.sheetnames == ["Phiếu", "Tổng hợp", "Đất đai", "Tài chính", "Công nghệ thông tin", "Khác"]
    rows = list(wb["Phiếu"].iter_rows(values_only=True))
    assert rows[0] == TICKET_HEADERS and len(rows) == 7
    by_number = {r[0]: dict(zip(TICKET_HEADERS, r, strict=True)) for r in rows[1:]}
    first = by_number[1]
    assert first["Ngày hỏi"] == datetime(2026, 11, 23, 9, 0)  # noqa: DTZ001  (Excel: local, naive)
    assert first["Ngày đóng"] == datetime(2026, 11, 25, 8, 0)  # noqa: DTZ001
    assert first["Xã/phường"] == "Xã Nam Đàn" and first["Người hỏi"] == "An Nguyễn"
    assert first["Lĩnh vực"] == "Đất đai" and first["Tổ công tác"] == "Tổ Đất đai"
    assert first["Trạng thái"] == "Đã đóng" and first["Đánh giá"] == 5 and first["Đúng hạn"] == "Có"
    assert first["Phản hồi (giờ làm việc)"] == 1.5
    assert first["Giải quyết (giờ làm việc)"] == 7.0  # Mon 09:00 → Wed 08:00: 6 + holiday + 1
    assert by_number[3]["Phản hồi (giờ làm việc)"] == 12.0 and by_number[3]["Đúng hạn"] == "Không"
    assert by_number[4]["Phản hồi (giờ làm việc)"] is None and by_number[4]["Đúng hạn"] == "Không"
    assert by_number[6]["Đúng hạn"] is None

    overview = {r[0]: r[1] for r in wb["Tổng hợp"].iter_rows(values_only=True) if r and r[0]}
    assert overview["Số câu hỏi nhận"] == 6 and overview["Quá hạn (chờ tổ trả lời, đã qua hạn)"] == 2
    assert overview["Phản hồi trung vị (giờ làm việc)"] == 2.0
    assert overview["Phản hồi phân vị 90% (giờ làm việc)"] == 10.0
    assert overview["Tỉ lệ trả lời đúng hạn (%)"] == 40.0
    assert overview["Đánh giá trung bình (1–5)"] == 4.5

    league = [r for r in wb["Tổng hợp"].iter_rows(values_only=True) if r and r[0] and r[0].startswith("Tổ ")]
    assert [r[:5] for r in league] == [
        ("Tổ Tài chính", 2, 1, 1, 100.0), ("Tổ Đất đai", 2, 1, 2, 50.0), ("Tổ CNTT", 2, 0, 2, 0.0)
    ]
    land = list(wb["Đất đai"].iter_rows(values_only=True))
    assert land[1][:3] == ("Xã/phường", "Số câu hỏi", "Đã phản hồi")
    assert sorted(r[0] for r in land[2:]) == ["Xã Hưng Nguyên Nam", "Xã Nam Đàn"]
    assert list(wb["Khác"].iter_rows(values_only=True))[2:] == []


def _png_size(path: str) -> tuple[int, int]:
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


async def test_chart_is_a_sensible_png(wx):
    assert texts_to(await wx.say("sep", f"/bieudo {RANGE}"), "sep")[0].startswith("⏳ Đang lập biểu đồ")
    out = await wx.reports()
    [(_, msg)] = out
    assert msg.file_kind == "photo"
    assert msg.text.startswith("📈 Câu hỏi theo tuần và lĩnh vực — từ 23/11/2026 đến 02/12/2026: 6 câu hỏi")
    assert "6 câu hỏi trong 2 tuần" in msg.text
    assert "trả lời đúng hạn 40% (2/5)" in msg.text
    assert _png_size(msg.file_path) == (1100, 600)
    await wx.say("sep", "/bieudo")  # default: this year, 49 weeks so far
    [(_, msg)] = await wx.reports()
    width, height = _png_size(msg.file_path)
    assert 800 <= width <= 2000 and 400 <= height <= 1200


async def test_weekly_series_by_area_and_on_time(wx):
    from handlers.reports.figures import weekly

    async with wx.db.session() as s:
        period = parse_period(RANGE, wx.clock.now(), VN, "", "")
        series = await weekly(s, wx.hotline.settings, wx.clock.now(), period)
    assert series.weeks == [date(2026, 11, 23), date(2026, 11, 30)]
    assert series.by_area == {"dat_dai": [2, 0], "tai_chinh": [1, 1], "cntt": [1, 1]}
    assert series.on_time == [2, 0] and series.decided == [4, 1]


# --- who may ask, and how ------------------------------------------------------------------


async def test_reports_are_for_supervisors_only(wx):
    for command in ("/tongket", "/xephang", "/xa Nam Đàn", "/quahan", "/xuat", "/bieudo"):
        out = await wx.say("an", command)
        assert texts_to(out, "an") == ["Lệnh này chỉ dành cho lãnh đạo, người giám sát."], command
        assert all(m.file_path is None for _, m in out)


async def test_bad_periods_get_one_line_of_usage(wx):
    for command, usage in (
        ("/tongket abc", "/tongket [kỳ]"),
        ("/xephang 2026-13", "/xephang [kỳ]"),
        ("/xuat 31/02/2026-01/03/2026", "/xuat [kỳ]"),
        ("/bieudo 05/12/2026-01/12/2026", "/bieudo [kỳ]"),
    ):
        text = await reply(wx, command)
        assert text.startswith(f"Cách dùng: {usage} — kỳ: homnay, homqua, tuan, thang, nam"), command
        assert "\n" not in text


async def test_command_line_report(db_url, tmp_path):
    hx = await scenario(db_url, str(tmp_path / "exports"))
    await hx.db.close()
    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "{db_url}"\n'
        '[[areas]]\ncode = "dat_dai"\nname = "Đất đai"\n'
        '[[areas]]\ncode = "tai_chinh"\nname = "Tài chính"\n'
        '[[areas]]\ncode = "cntt"\nname = "Công nghệ thông tin"\n',
        "utf-8",
    )
    out = tmp_path / "baocao.xlsx"
    args = ["report", "--config", str(config), "--period", RANGE, "--out", str(out)]
    assert await asyncio.to_thread(main, args) == 0
    wb = load_workbook(out)
    assert wb.sheetnames[:2] == ["Phiếu", "Tổng hợp"] and wb["Phiếu"].max_row == 7
    bad = ["report", "--config", str(config), "--period", "sai", "--out", str(out)]
    assert await asyncio.to_thread(main, bad) == 2


def test_export_file_name_is_fresh_and_old_files_pruned(tmp_path):
    import os
    import time

    from handlers.reports.files import output_path

    period = parse_period("2026-11", local("2026-12-02 10:00"), VN, "", "")
    old = tmp_path / "hotline-baocao-old.xlsx"
    old.write_bytes(b"x")
    long_ago = time.time() - 8 * 86400
    os.utime(old, (long_ago, long_ago))
    a = output_path(tmp_path, "baocao", period, local("2026-12-02 10:00"), VN, ".xlsx")
    b = output_path(tmp_path, "baocao", period, local("2026-12-02 10:00") + timedelta(0), VN, ".xlsx")
    assert a != b and a.name.startswith("hotline-baocao-2026-11-20261202-100000-")
    assert not old.exists()


async def test_supervisor_limited_to_areas_sees_only_those(db_url):
    hx = await make_harness(
        db_url,
        supervisors=frozenset({Identity("mem", "sep"), Identity("mem", "land")}),
        supervisor_areas={Identity("mem", "land"): frozenset({"dat_dai"})},
    )
    await hx.register("an")
    land = await hx.ask("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    money = await hx.ask("an", "Quyết toán ngân sách xã năm 2025 nộp khi nào?")
    hx.clock.advance(hours=9)
    overdue = texts_to(await hx.say("land", "/quahan"), "land")[0]
    assert f"#{land}" in overdue and f"#{money}" not in overdue
    summary = texts_to(await hx.say("land", "/tongket"), "land")[0]
    assert "Tài chính" not in summary and "Đất đai" in summary
    assert "Không tìm thấy phiếu" in texts_to(await hx.say("land", f"/phieu {money}"), "land")[0]
    assert "Lịch sử" in texts_to(await hx.say("land", f"/phieu {land}"), "land")[0]
    everything = texts_to(await hx.say("sep", "/quahan"), "sep")[0]
    assert f"#{land}" in everything and f"#{money}" in everything
    await hx.db.close()


async def test_a_supervisor_typing_a_question_is_pointed_to_their_commands(wx):
    text = await reply(wx, "Cho tôi xem tình hình tuần này")
    assert text.startswith("Lãnh đạo không gửi câu hỏi qua đường dây này.") and "/tongket" in text


async def test_a_late_answer_stays_late_after_the_ticket_is_reopened(db_url):
    hx = await make_harness(db_url)
    await hx.register("an")
    n = await hx.ask("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")  # due in 8 clock hours
    hx.clock.advance(hours=10)
    await hx.say("dd", f"/tl {n} Hồ sơ gồm đơn Mẫu 04/ĐK.", group="g_dat")  # two hours late
    await hx.say("an", f"/chua {n} còn vướng về tranh chấp")  # a new deadline for the rest
    text = texts_to(await hx.say("sep", "/tongket"), "sep")[0]
    assert "Trả lời đúng hạn: 0% (0/1)" in text
    await hx.db.close()


async def test_an_area_limited_supervisor_sees_no_other_area_in_any_output(db_url, tmp_path):
    """Every supervisor-facing output for `land` (limited to Đất đai: #1 answered in 1.5 h, #3
    in 12 h) is checked for the other areas' tickets (#2 finance 2 h, #4 #5 IT, #6 finance):
    their names, groups, ticket numbers, and every figure, response times included."""
    land = Identity("mem", "land")
    hx = await scenario(
        db_url, str(tmp_path / "exports"),
        supervisors=frozenset({Identity("mem", "sep"), land}),
        supervisor_areas={land: frozenset({"dat_dai"})},
    )
    foreign = ("Tài chính", "Tổ Tài chính", "Công nghệ thông tin", "Tổ CNTT", "#2", "#4", "#5", "#6")

    def clean(text: str) -> str:
        for word in foreign:
            assert word not in text, (word, text)
        return text

    said = {cmd: clean(texts_to(await hx.say("land", cmd), "land")[0]) for cmd in (
        f"/tongket {RANGE}", f"/xephang {RANGE}", f"/xa Xã Hưng Nguyên Nam {RANGE}", "/quahan",
    )}
    summary = said[f"/tongket {RANGE}"]
    assert "2 câu hỏi mới" in summary
    assert "trung vị 6,8 giờ, 90% trong 11,0 giờ (2 phiếu đã phản hồi)" in summary
    assert "50% (1/2)" in summary, summary
    assert "Tổ Đất đai" in said[f"/xephang {RANGE}"]
    assert "12,0 giờ" in said[f"/xa Xã Hưng Nguyên Nam {RANGE}"]

    await hx.say("land", f"/xuat {RANGE}")
    await hx.say("land", f"/bieudo {RANGE}")
    files = {m.file_kind: m for _, m in await hx.reports() if m.chat.chat_id == "land"}
    clean(files["document"].text)
    clean(files["photo"].text)
    assert "2 câu hỏi" in files["photo"].text
    wb = load_workbook(files["document"].file_path)
    assert wb.sheetnames == ["Phiếu", "Tổng hợp", "Đất đai"]
    for ws in wb:
        for row in ws.iter_rows(values_only=True):
            clean(" ".join(str(v) for v in row if v is not None))
    assert [r[0] for r in list(wb["Phiếu"].iter_rows(values_only=True))[1:]] == [1, 3]
    overview = {r[0]: r[1] for r in wb["Tổng hợp"].iter_rows(values_only=True) if r and r[0]}
    assert overview["Số câu hỏi nhận"] == 2
    assert overview["Phản hồi trung vị (giờ làm việc)"] == 6.75

    hx.clock.moment = local("2026-12-03 08:00")
    digest = [m.text for _, m in await hx.digest() if m.chat.chat_id == "land"]
    assert digest and clean(digest[0])
    await hx.db.close()


async def test_workbook_reads_as_the_bot_writes(wx):
    """Dates shown dd/mm/yyyy like the bot's messages, the question itself on "Phiếu", headers
    that wrap instead of spilling, period bounds as dates, a reopened ticket without its rating."""
    await wx.say("an", "/chua 1 còn vướng về tranh chấp")  # #1 was rated 5 before
    await wx.say("sep", f"/xuat {RANGE}")
    [(_, msg)] = await wx.reports()
    wb = load_workbook(msg.file_path)
    sheet = wb["Phiếu"]
    header = [c for c in next(sheet.iter_rows(max_row=1))]
    assert all(c.alignment.wrap_text and c.font.bold for c in header)
    column = {c.value: c.column_letter for c in header}
    first = {h: sheet[f"{column[h]}2"] for h in TICKET_HEADERS}
    assert first["Ngày hỏi"].number_format == "dd/mm/yyyy hh:mm"
    assert first["Câu hỏi"].value == "Xin hỏi hồ sơ cấp sổ đỏ lần đầu gồm những gì?"
    assert first["Đánh giá"].value is None and first["Trạng thái"].value != "Đã đóng"
    overview = {r[0].value: r[1] for r in wb["Tổng hợp"].iter_rows() if r[0].value}
    assert overview["Từ ngày"].value == datetime(2026, 11, 23)  # noqa: DTZ001  (Excel dates are naive)
    assert overview["Đến ngày"].number_format == "dd/mm/yyyy"


def test_large_counts_in_captions_have_thousands_dots_beside_the_decimal_commas():
    # "36525 phiếu; đúng hạn 74% (26.301/35.438)" was one caption with both kinds of numbers
    from pathlib import Path

    from handlers.reports import figures
    from handlers.reports.chart import chart_caption
    from handlers.reports.excel import ExportResult, export_caption
    from storage.reports import Counts

    period = parse_period("2026-11", datetime(2026, 12, 4, tzinfo=UTC), ZoneInfo("Asia/Ho_Chi_Minh"),
                          "thang", "usage")
    counts = Counts(received=36525, on_time=26301, late=9137)
    summary = figures.Summary(period, counts, [], [], [4.25], 0)
    caption = export_caption(ExportResult(Path("x.xlsx"), 36525, summary))
    assert "36.525 phiếu" in caption and "(26.301/35.438)" in caption, caption
    series = figures.WeeklySeries([date(2026, 11, 2)], {"dat_dai": [1234]}, [1000], [1200])
    assert ": 1.234 câu hỏi" in chart_caption(series, period)
