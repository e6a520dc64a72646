"""Deadlines in working days, across holidays, adjusted weekends and unknown years."""

import statistics
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk_app.services import workdays


@pytest.mark.parametrize("start, days, due", [
    # An ordinary week: Monday + 3 working days = Thursday.
    (date(2025, 6, 9), 3, date(2025, 6, 12)),
    # Friday + 1 skips the weekend.
    (date(2025, 6, 13), 1, date(2025, 6, 16)),
    # National Day 2025: 1–8 October off; Sunday 28 September is a working day.
    (date(2025, 9, 26), 1, date(2025, 9, 28)),
    (date(2025, 9, 30), 1, date(2025, 10, 9)),
    # Saturday 11 October 2025 is an adjusted working day.
    (date(2025, 10, 10), 1, date(2025, 10, 11)),
    # Spring Festival 2026: 15–23 February off; Saturday 14 February worked.
    (date(2026, 2, 13), 2, date(2026, 2, 24)),
    # 0 days still means the next working day.
    (date(2025, 6, 13), 0, date(2025, 6, 16)),
])
def test_working_days_follow_the_official_calendar(start, days, due):
    assert workdays.add_working_days(start, days) == due


def test_years_the_calendar_does_not_know_fall_back_to_monday_to_friday():
    # 2031 is beyond chinese_calendar's data: Friday 3 January + 1 = Monday 6 January.
    assert workdays.add_working_days(date(2031, 1, 3), 1) == date(2031, 1, 6)
    assert workdays.is_workday(date(2031, 1, 4)) is False  # a Saturday


def test_a_deadline_crosses_from_a_known_year_into_an_unknown_one():
    # Wednesday 30 December 2026 + 3: Thursday 31, then (fallback) Friday 1 and Monday 4 January 2027.
    assert workdays.add_working_days(date(2026, 12, 30), 3) == date(2027, 1, 4)


def test_submissions_count_from_the_local_day_in_china():
    # 23:30 on Friday 13 June 2025 in Beijing is still Friday 15:30 UTC.
    late_friday = datetime(2025, 6, 13, 15, 30, tzinfo=timezone.utc)
    assert workdays.due_date_for(late_friday, 1) == date(2025, 6, 16)
    # 00:30 on Saturday in Beijing is Friday 16:30 UTC: counting starts from Saturday.
    early_saturday = datetime(2025, 6, 13, 16, 30, tzinfo=timezone.utc)
    assert workdays.local_date(early_saturday) == date(2025, 6, 14)
    assert workdays.due_date_for(early_saturday, 1) == date(2025, 6, 16)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=3000), min_size=1, max_size=60))
def test_the_median_of_counted_tenths_is_the_median_of_the_values(values):
    from collections import Counter

    from kiosk_app.services.figures import median_tenths

    assert median_tenths(Counter(values)) == round(statistics.median(values) / 10, 1)
    assert median_tenths({}) is None


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=400 * 86400), st.integers(min_value=-86400, max_value=30 * 86400),
       st.integers(min_value=0, max_value=999_999))
def test_the_office_clock_agrees_with_walking_the_calendar(start, length, micro):
    """A backfill's shortcut (one subtraction a ticket) gives the seconds walking the days gives."""
    windows = workdays.parse_office_hours("09:00-12:00,13:30-17:30")
    calendar = ((date(2025, 6, 9), False), (date(2025, 6, 14), True))  # a holiday Monday, a working Saturday
    clock = workdays.OfficeClock(windows, calendar)
    a = datetime(2025, 5, 1, tzinfo=timezone.utc) + timedelta(seconds=start, microseconds=micro)
    b = a + timedelta(seconds=length)
    assert abs(clock.seconds_between(a, b) - walked_seconds(a, b, windows, calendar)) <= 1


def walked_seconds(start, end, windows, calendar) -> float:
    """Office seconds between two moments the long way: every day between them, every window of it."""
    local = workdays.LOCAL_TZ
    start, end = start.astimezone(local), end.astimezone(local)
    seconds, day = 0.0, start.date()
    while day <= end.date():
        if workdays._is_workday(day, calendar):
            for open_at, close_at in windows:
                lo = max(start, datetime.combine(day, open_at, local))
                hi = min(end, datetime.combine(day, close_at, local))
                seconds += max((hi - lo).total_seconds(), 0)
        day += timedelta(days=1)
    return seconds
