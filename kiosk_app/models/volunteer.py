"""志愿云: residents who volunteer, the tasks they sign up for, and the hours they give.

A volunteer registers with a mobile proved by a texted code; their name and number are sealed like a
resident's.  A shift is a volunteer's part in a task: signed up, checked in and out on the spot (the
task's QR), and the minutes a member of staff confirms — the volunteer's ledger (time bank) counts
those.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .sealed import LOOKUP_LENGTH, Sealed, SealedText


class Volunteer(db.Model):
    __tablename__ = "volunteers"
    __table_args__ = (UniqueConstraint("community_id", "mobile_lookup"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    name: Mapped[str] = mapped_column(SealedText("volunteers.name"))
    mobile: Mapped[str] = mapped_column(Sealed("volunteers.mobile", lookup="mobile_lookup"))
    mobile_lookup: Mapped[str] = mapped_column(String(LOOKUP_LENGTH))
    skills: Mapped[str] = mapped_column(String(200), default="")
    available: Mapped[str] = mapped_column(String(200), default="")  # when they are free, in their words
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: the code not yet confirmed
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


MINUTES_MOST = 24 * 60  # a shift's minutes, as staff confirm them


class Shift(db.Model):
    __tablename__ = "volunteer_shifts"
    __table_args__ = (UniqueConstraint("task_id", "volunteer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("consultation_tasks.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    signed_up_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    minutes_confirmed: Mapped[int | None] = mapped_column(Integer)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    volunteer: Mapped[Volunteer] = relationship()

    @property
    def minutes_on_site(self) -> int | None:
        if self.checked_in_at is None or self.checked_out_at is None:
            return None
        return max(int((self.checked_out_at - self.checked_in_at).total_seconds() // 60), 0)

    @property
    def begun(self) -> bool:
        """Checked in, or minutes confirmed without a check-in: evidence that stays (services/volunteers.py
        NOT_BEGUN is the same in SQL)."""
        return self.checked_in_at is not None or self.minutes_confirmed is not None

    @property
    def minutes_suggested(self) -> int | None:
        """What staff are offered to confirm: the minutes on the spot, at most a day's (a volunteer who
        forgot to check out is on the spot for days)."""
        on_site = self.minutes_on_site
        return None if on_site is None else min(on_site, MINUTES_MOST)
