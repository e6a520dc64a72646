"""The district's own working-day calendar: holidays and adjusted working days that the national
calendar library does not know (a local holiday, a year it does not cover yet)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class CalendarDay(db.Model):
    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    # False: a day off (holiday) although the library says working day; True: an adjusted working day.
    workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(100), default="")
