"""The message outbox: written in the same transaction as the change that causes a message."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, str_enum, utcnow
from .sealed import LOOKUP_LENGTH, Sealed
from .ticket import Ticket


class MessageState(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry; staff can see it


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "state", "next_attempt_at"),
                      Index("ix_notifications_mobile", "mobile_lookup", "created_at"))  # texts a number had lately

    id: Mapped[int] = mapped_column(primary_key=True)
    # About a ticket, or (a code to take part, a vote opening or closing) about a consultation.
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # issued, needs_info, pickup_ready, done, …, resident_code, vote_open
    to_mobile: Mapped[str] = mapped_column(Sealed("notifications.to_mobile", "mobile_lookup"))  # models/sealed.py
    mobile_lookup: Mapped[str] = mapped_column(String(LOOKUP_LENGTH), default="")  # its keyed digest
    body: Mapped[str] = mapped_column(Text)
    params: Mapped[str] = mapped_column(Text, default="{}")  # JSON, for gateways with template ids
    # Sent with every try: a gateway recognises a retry after a lost answer as the same message.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[MessageState] = mapped_column(str_enum(MessageState), default=MessageState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ticket: Mapped[Ticket | None] = relationship()
