"""Deadlines in working days (工作日), respecting Chinese public holidays and adjusted weekends.

``chinese_calendar`` knows the State Council's holiday schedule up to the last year its release
covers.  For later years it raises; then Monday to Friday are taken as working days, which is
right for most of any year and errs by at most the few days of a holiday.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar
from flask import has_app_context

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


@lru_cache(maxsize=8192)
def _national_workday(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def district_days() -> tuple[tuple[date, bool], ...]:
    """The district's own holidays and adjusted working days (``CalendarDay``), kept like reference
    data; none outside an application (a script that only counts days).  A caller asking about many
    days at once reads it once and passes it on."""
    if not has_app_context():
        return ()
    from ..extensions import db
    from ..models import CalendarDay
    from .cache import kept

    return kept(("calendar",), lambda: tuple(db.session.execute(
        db.select(CalendarDay.day, CalendarDay.workday).order_by(CalendarDay.day)).tuples()))


@lru_cache(maxsize=16)
def _as_dict(district_days: tuple) -> dict[date, bool]:
    return dict(district_days)


def is_workday(day: date) -> bool:
    return _is_workday(day, district_days())


@lru_cache(maxsize=8192)
def _is_workday(day: date, district_days: tuple) -> bool:
    found = _as_dict(district_days).get(day)
    return _national_workday(day) if found is None else found


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself never counts).

    A request handed in on Friday evening with a 1-day deadline is due on Monday (or on the
    first working day after a holiday); 0 days means the next working day too, since nobody
    handles a request on the day it arrives at 23:00.
    """
    return _add_working_days(start, days, district_days())


@lru_cache(maxsize=8192)
def _add_working_days(start: date, days: int, district_days: tuple) -> date:
    remaining = max(days, 1)
    day = start
    while remaining:
        day += timedelta(days=1)
        if _is_workday(day, district_days):
            remaining -= 1
    return day


def due_date_for(submitted_at: datetime, days: int) -> date:
    return add_working_days(submitted_at.astimezone(LOCAL_TZ).date(), days)


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def local_midnight(day: date) -> datetime:
    """The moment a local day begins (a timezone-aware bound for ``created_at`` columns)."""
    return datetime.combine(day, time.min, LOCAL_TZ)


def parse_office_hours(spec: str) -> list[tuple[time, time]]:
    """``"09:00-12:00,13:30-17:30"`` → [(09:00, 12:00), (13:30, 17:30)]."""
    windows = []
    for part in spec.split(","):
        start, end = (time.fromisoformat(p.strip()) for p in part.split("-"))
        if end <= start:
            raise ValueError(f"office hours window {part!r} ends before it starts")
        windows.append((start, end))
    return windows


class OfficeClock:
    """Office time (on working days, local time, within the office hours' windows) counted from a fixed
    day, so the office time between two moments is one subtraction: one clock serves many tickets at
    once (a backfill, a generated history) without walking the days between each one's two moments."""

    def __init__(self, windows: list[tuple[time, time]], calendar: tuple[tuple[date, bool], ...]):
        self.windows = [(_seconds(a), _seconds(b)) for a, b in windows]
        self.calendar = calendar
        self.before: dict[date, float] = {}  # office seconds from the first day asked to each day's start

    def _day(self, day: date) -> float:
        return sum(b - a for a, b in self.windows) if _is_workday(day, self.calendar) else 0.0

    def _start_of(self, day: date) -> float:
        if not self.before:
            self.before[day] = 0.0
        if day in self.before:
            return self.before[day]
        first, last = min(self.before), max(self.before)
        if day > last:
            while last < day:
                self.before[last + timedelta(days=1)] = self.before[last] + self._day(last)
                last += timedelta(days=1)
        else:
            while first > day:
                self.before[first - timedelta(days=1)] = self.before[first] - self._day(first - timedelta(days=1))
                first -= timedelta(days=1)
        return self.before[day]

    def at(self, moment: datetime) -> float:
        local = moment.astimezone(LOCAL_TZ)
        day = local.date()
        into = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
        today = sum(min(max(into - a, 0), b - a) for a, b in self.windows) if _is_workday(day, self.calendar) else 0
        return self._start_of(day) + today

    def seconds_between(self, start: datetime, end: datetime) -> int:
        return round(max(self.at(end) - self.at(start), 0.0)) if end > start else 0


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def office_seconds(start: datetime, end: datetime, office_hours: str) -> int:
    """Whole seconds of office time between two moments (a completed ticket keeps it: the figures'
    median of working hours reads it instead of walking the calendar for every ticket)."""
    return OfficeClock(parse_office_hours(office_hours), district_days()).seconds_between(start, end)
