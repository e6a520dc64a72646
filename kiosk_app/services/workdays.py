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


def working_hours_between(start: datetime, end: datetime, windows: list[tuple[time, time]],
                          calendar: tuple[tuple[date, bool], ...] | None = None) -> float:
    """Hours of office time (on working days, local time) between two moments; ``calendar`` the
    district's (``district_days()``, read once by a caller that asks for many tickets)."""
    if end <= start:
        return 0.0
    calendar = district_days() if calendar is None else calendar
    start, end = start.astimezone(LOCAL_TZ), end.astimezone(LOCAL_TZ)
    seconds = 0.0
    day = start.date()
    while day <= end.date():
        if _is_workday(day, calendar):
            for open_at, close_at in windows:
                lo = max(start, datetime.combine(day, open_at, LOCAL_TZ))
                hi = min(end, datetime.combine(day, close_at, LOCAL_TZ))
                if hi > lo:
                    seconds += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return seconds / 3600
