"""The audit trail of administration: who changed what, when, from what to what.  Rows are only ever
added (no page, command or service edits or deletes one)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .staff import Staff


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # The account that made the change; none for the command line (``actor_label`` says "cli").
    actor_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    actor_label: Mapped[str] = mapped_column(String(64), default="")
    # What was changed: a kind of record ("staff", "service", …), its id, and a readable name.
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    entity_name: Mapped[str] = mapped_column(String(200), default="")
    # What was done ("create", "update", "disable", …: ``services.admin.audit.AuditAction``).
    action: Mapped[str] = mapped_column(String(32))
    # The area (district or community) the change belongs to, for filtering.
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    # The fields that changed, as JSON objects of their values before and after ({} when none).
    before: Mapped[str] = mapped_column(Text, default="{}")
    after: Mapped[str] = mapped_column(Text, default="{}")

    actor: Mapped[Staff | None] = relationship()
