"""Back-office accounts.  Roles and scopes are widened by the back office; the seed creates one per role."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, str_enum, utcnow
from .org import Area


class Role(enum.StrEnum):
    VOLUNTEER = "volunteer"
    GRID_WORKER = "grid_worker"
    COMMUNITY_STAFF = "community_staff"
    COMMUNITY_ADMIN = "community_admin"
    DISTRICT_ADMIN = "district_admin"


class Staff(UserMixin, db.Model):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(str_enum(Role, 32))
    # The community (or, for a district admin, the district) whose work this account sees.
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    area: Mapped[Area] = relationship()
