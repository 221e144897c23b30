"""Working-time deadlines: weekends, lunch, Tết and other holidays, make-up days."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from handlers.worktime import WorkCalendar, parse_sessions

VN = ZoneInfo("Asia/Ho_Chi_Minh")
cal = WorkCalendar()


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


def test_friday_afternoon_is_due_monday_not_saturday():
    assert cal.add_hours(local(2026, 11, 20, 16, 30), 1) == local(2026, 11, 23, 7, 30)
    # 0.5 h on Friday + 7.5 h on Monday (a working day is 8 hours)
    assert cal.add_hours(local(2026, 11, 20, 16, 30), 8) == local(2026, 11, 23, 16, 30)


def test_lunch_break_and_evening_are_skipped():
    assert cal.add_hours(local(2026, 11, 25, 11, 0), 1) == local(2026, 11, 25, 14, 0)
    assert cal.add_hours(local(2026, 11, 25, 20, 0), 1) == local(2026, 11, 26, 8, 0)
    assert cal.hours_between(local(2026, 11, 25, 11, 0), local(2026, 11, 25, 14, 0)) == 1


def test_the_day_before_tet_is_due_after_the_holiday():
    tet = sorted(d for d, name in holidays.country_holidays("VN", years=2027).items()
                 if "Lunar New Year" in name)
    eve = tet[0] - timedelta(days=1)
    while not cal.is_working_day(eve):
        eve -= timedelta(days=1)
    due = cal.add_hours(datetime.combine(eve, datetime.min.time(), VN).replace(hour=15), 8)
    due_day = due.astimezone(VN).date()
    assert due_day > tet[-1] and cal.is_working_day(due_day)


@pytest.mark.parametrize("day", [date(2026, 9, 2), date(2026, 4, 30), date(2026, 5, 1)])
def test_public_holidays_are_not_working_days(day):
    assert not cal.is_working_day(day)


def test_extra_day_off_and_make_up_saturday():
    custom = WorkCalendar(extra_days_off=[date(2026, 11, 23)],
                          extra_working_days=[date(2026, 11, 21)])
    assert custom.add_hours(local(2026, 11, 20, 16, 30), 1) == local(2026, 11, 21, 7, 30)
    # Monday is the extra day off and Tuesday 24/11 is Vietnam Culture Day (from 2026)
    assert custom.add_hours(local(2026, 11, 21, 16, 30), 1) == local(2026, 11, 25, 7, 30)


def test_hours_between_inverts_add_hours():
    rng = random.Random(7)
    for _ in range(200):
        start = local(2026, 1, 1) + timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60))
        hours = rng.choice([0.01, 0.5, 3, 8, 40, 400])
        end = cal.add_hours(start, hours)
        assert end.tzinfo is UTC
        assert cal.hours_between(start, end) == pytest.approx(hours, abs=1e-6)


def test_two_year_span_counts_every_working_hour():
    start, end = local(2026, 1, 1), local(2028, 1, 1)
    days = sum(cal.is_working_day(start.date() + timedelta(days=i)) for i in range(730))
    assert cal.hours_between(start, end) == pytest.approx(days * 8)


def test_naive_datetimes_and_bad_sessions_are_refused():
    with pytest.raises(ValueError):
        cal.add_hours(datetime(2026, 11, 20, 9), 1)  # noqa: DTZ001
    for bad in (["17:00-07:00"], ["sáng"], [], ["07:00-12:00", "11:00-17:00"]):
        with pytest.raises(ValueError):
            parse_sessions(bad)
