"""Back-office accounts, their roles, and the grids (网格) they answer for.

A role says what an account may do; its scope says whose tickets it sees.  Community staff and
admins see their community, a district admin the district's communities, a volunteer the
volunteer-eligible tickets of their community, and a grid worker the grids assigned to them.
The ladder of grid positions (网格指导员 → 网格长 → 网格员 → 居民小组长 → 楼栋长) is data:
a deployment names and orders its own levels in ``grid_levels``.
"""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Bilingual, UTCDateTime, str_enum, utcnow
from .org import Area, Grid  # noqa: F401  (Grid is named in a relationship)
from .sealed import Sealed


class Role(enum.StrEnum):
    VOLUNTEER = "volunteer"
    GRID_WORKER = "grid_worker"
    COMMUNITY_STAFF = "community_staff"
    COMMUNITY_ADMIN = "community_admin"
    DISTRICT_ADMIN = "district_admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])

    @property
    def is_admin(self) -> bool:
        return self in (Role.COMMUNITY_ADMIN, Role.DISTRICT_ADMIN)


ROLE_LABELS = {
    Role.VOLUNTEER: _l("Volunteer"),
    Role.GRID_WORKER: _l("Grid worker"),
    Role.COMMUNITY_STAFF: _l("Community staff"),
    Role.COMMUNITY_ADMIN: _l("Community admin"),
    Role.DISTRICT_ADMIN: _l("District admin"),
}


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
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of every session's identity: changing the password bumps it and ends all sessions.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    # Set with a one-time password from an administrator: every page asks for a new one first.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # Two-factor sign-in (TOTP, RFC 6238): the shared secret once confirmed, and the last time step a
    # code was taken for (a code is taken once).
    totp_secret: Mapped[str | None] = mapped_column(Sealed("staff.totp_secret"))  # models/sealed.py
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0)

    area: Mapped[Area] = relationship()
    grid_posts: Mapped[list[StaffGrid]] = relationship(
        back_populates="staff", cascade="all, delete-orphan"
    )

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"


class StaffSession(db.Model):
    """One signed-in browser of an account, checked on every request: ending it (signing out, a new
    password, a reset, disabling the account, "sign out everywhere", the idle limit) ends it at once,
    whatever copy of its cookie is still about.  The cookie holds a random token; the table its hash."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Written at most once a minute (a page that refreshes itself does not write each time).
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why it ended: signed_out, password, reset, disabled, role, ended (from another session), everywhere, idle.
    ended_reason: Mapped[str] = mapped_column(String(20), default="")
    address: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    # The authenticator secret shown while two-factor sign-in is being set up in this session: kept
    # here (sealed), not in the cookie, until a code made from it confirms it.
    two_factor_setup: Mapped[str | None] = mapped_column(Sealed("staff_sessions.two_factor_setup"))

    staff: Mapped[Staff] = relationship()


class GridLevel(Bilingual, db.Model):
    """One rung of the grid ladder, e.g. 网格长 (rank 2).  Lower rank = higher position."""

    __tablename__ = "grid_levels"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(50), default="")
    rank: Mapped[int] = mapped_column(Integer)


class StaffGrid(db.Model):
    """A staff member's post in a grid: the grid is part of their scope, the level is their position."""

    __tablename__ = "staff_grids"
    __table_args__ = (PrimaryKeyConstraint("staff_id", "grid_id"),)

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"), index=True)
    level_id: Mapped[int] = mapped_column(ForeignKey("grid_levels.id"))

    staff: Mapped[Staff] = relationship(back_populates="grid_posts")
    grid: Mapped["Grid"] = relationship()
    level: Mapped[GridLevel] = relationship()


class DataExport(db.Model):
    """A record of every queue export: who, when, which filters, how many rows, unmasked or not."""

    __tablename__ = "data_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    filters: Mapped[str] = mapped_column(String(500), default="")
    rows: Mapped[int] = mapped_column(Integer, default=0)
    unmasked: Mapped[bool] = mapped_column(Boolean, default=False)

    staff: Mapped[Staff] = relationship()
