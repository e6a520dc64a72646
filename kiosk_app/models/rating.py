"""The resident's rating (好差评, 民评) and the follow-up a poor one opens."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, str_enum, utcnow
from .staff import Staff
from .ticket import Ticket

# The five-level 好差评 scale, best first.
RATING_LABELS = {
    5: _l("Very satisfied"),
    4: _l("Satisfied"),
    3: _l("Basically satisfied"),
    2: _l("Dissatisfied"),
    1: _l("Very dissatisfied"),
}
POOR = (1, 2)


class Rating(db.Model):
    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    level: Mapped[int] = mapped_column(Integer)
    # Where the service was given when it was rated (the figures' daily summary counts it there).
    community_id: Mapped[int | None] = mapped_column(Integer)
    grid_id: Mapped[int | None] = mapped_column(Integer)
    service_id: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship()

    @property
    def label(self) -> str:
        return str(RATING_LABELS[self.level])

    @property
    def poor(self) -> bool:
        return self.level in POOR


class FollowUpState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class FollowUp(db.Model):
    """A poor rating to follow up: contact the resident, record what was found and done, close.  The
    rating is a ticket's, or a household's of how a consultation's matter was carried out (民评)."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultations.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    level: Mapped[int] = mapped_column(Integer)  # the rating that opened it
    due_date: Mapped[date] = mapped_column(Date)
    state: Mapped[FollowUpState] = mapped_column(str_enum(FollowUpState), default=FollowUpState.OPEN)
    findings: Mapped[str] = mapped_column(Text, default="")
    actions_taken: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    # "" when staff closed it with what they found and did; "rating_raised" when the resident changed
    # the rating to a good one before that (services/ratings.py).
    closed_reason: Mapped[str] = mapped_column(String(20), default="")

    ticket: Mapped[Ticket | None] = relationship()
    consultation: Mapped["Consultation | None"] = relationship()  # noqa: F821  (models/consultation.py)
    closed_by: Mapped[Staff | None] = relationship()

    @property
    def level_label(self) -> str:
        return str(RATING_LABELS[self.level])
