"""Deadlines in working days (工作日), respecting Chinese public holidays and adjusted weekends.

``chinese_calendar`` knows the State Council's holiday schedule up to the last year its release
covers.  For later years it raises; then Monday to Friday are taken as working days, which is
right for most of any year and errs by at most the few days of a holiday.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def is_workday(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself never counts).

    A request handed in on Friday evening with a 1-day deadline is due on Monday (or on the
    first working day after a holiday); 0 days means the next working day too, since nobody
    handles a request on the day it arrives at 23:00.
    """
    remaining = max(days, 1)
    day = start
    while remaining:
        day += timedelta(days=1)
        if is_workday(day):
            remaining -= 1
    return day


def due_date_for(submitted_at: datetime, days: int) -> date:
    return add_working_days(submitted_at.astimezone(LOCAL_TZ).date(), days)


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()
