"""The grid's archive (一户一档 · 一楼一册): rooms, the households living in them, their members, tags,
the grid worker's visits, and the tickets linked to a household by hand.

Personal data is sealed at rest (models/sealed.py): members' names, mobiles, ID numbers and birth
dates, the sensitive tags (health, disability, 低保 …: a tag marked ``sensitive`` is never stored as a
row that names it, only inside the member's sealed list), visit findings and household notes.  A
member's mobile and ID number keep a keyed digest beside them, so a ticket from the same number finds
the household without the number being readable.  The birth year stays plain, for age figures and
filters (80 and over).

History is never overwritten: a household's rooms over time are ``Residence`` rows (moved in, moved
out), a member who leaves keeps their row with the day they left, a household that leaves the
community keeps its file (``active`` False).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (Boolean, Date, ForeignKey, Index, Integer, LargeBinary, PrimaryKeyConstraint, SmallInteger,
                        String, UniqueConstraint, false)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Bilingual, UTCDateTime, str_enum, utcnow
from .org import Area, Building, Grid  # noqa: F401  (named in relationships)
from .sealed import Sealed, SealedText
from .staff import GridLevel, Staff  # noqa: F401


class Tag(Bilingual, db.Model):
    """A label for members (独居老人, 高龄, 残疾, 低保 …); the list is the district's data.  A sensitive
    one (PIPL: health, disability, financial hardship, minors) is sealed wherever a member carries it."""

    __tablename__ = "archive_tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Room(db.Model):
    """A room (房号) of a building's unit (单元)."""

    __tablename__ = "rooms"
    __table_args__ = (UniqueConstraint("building_id", "unit", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    unit: Mapped[int] = mapped_column(SmallInteger, default=1)
    number: Mapped[str] = mapped_column(String(16))
    floor: Mapped[int | None] = mapped_column(SmallInteger)

    building: Mapped[Building] = relationship()

    @property
    def label(self) -> str:
        return f"{self.unit}-{self.number}"


class LawfulBasis(enum.StrEnum):
    """Why the community may hold this household's file (PIPL art. 13)."""

    CONSENT = "consent"  # written consent, collected on paper at a visit
    LEGAL_DUTY = "legal_duty"  # a duty the community carries by law (named in ``basis_detail``)

    @property
    def label(self) -> str:
        return str(BASIS_LABELS[self])


BASIS_LABELS = {LawfulBasis.CONSENT: _l("Written consent"), LawfulBasis.LEGAL_DUTY: _l("Legal duty")}


class Household(db.Model):
    """A household (户) and its file (一户一档).  Its community, grid and building are those of the room
    it lives in now, kept on the row so that scope rules are one condition."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False: moved out of the community
    basis: Mapped[LawfulBasis | None] = mapped_column(str_enum(LawfulBasis, 16))
    basis_detail: Mapped[str] = mapped_column(String(200), default="")
    basis_on: Mapped[date | None] = mapped_column(Date)
    basis_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    notes: Mapped[str] = mapped_column(SealedText("households.notes"), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    room: Mapped[Room | None] = relationship()
    building: Mapped[Building] = relationship()
    grid: Mapped[Grid] = relationship()
    members: Mapped[list[Member]] = relationship(back_populates="household", order_by="Member.position")
    residences: Mapped[list[Residence]] = relationship(order_by="Residence.moved_in")
    visits: Mapped[list[Visit]] = relationship(order_by="Visit.visited_on.desc()")


class Residence(db.Model):
    """A household's stay in a room: moving in and out is kept, never overwritten."""

    __tablename__ = "residences"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"), index=True)
    moved_in: Mapped[date] = mapped_column(Date)
    moved_out: Mapped[date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))

    room: Mapped[Room] = relationship()


class Member(db.Model):
    __tablename__ = "household_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger, default=0)  # the head first
    # (text: a 40-character name sealed is longer than a short column holds)
    name: Mapped[str] = mapped_column(SealedText("household_members.name"))
    relation: Mapped[str] = mapped_column(String(16), default="")  # to the head: 户主, 配偶, 子女 …
    birth_date: Mapped[str] = mapped_column(Sealed("household_members.birth_date"), default="")  # ISO date
    birth_year: Mapped[int | None] = mapped_column(SmallInteger)
    mobile: Mapped[str] = mapped_column(Sealed("household_members.mobile", lookup="mobile_lookup"), default="")
    mobile_lookup: Mapped[str | None] = mapped_column(String(32), index=True)
    id_number: Mapped[str] = mapped_column(Sealed("household_members.id_number", lookup="id_number_lookup"),
                                           default="")
    id_number_lookup: Mapped[str | None] = mapped_column(String(32), index=True)
    # The codes of the sensitive tags this member carries, as a sealed comma-separated list.
    sensitive_tags: Mapped[str] = mapped_column(SealedText("household_members.sensitive_tags"), default="")
    moved_in: Mapped[date | None] = mapped_column(Date)
    moved_out: Mapped[date | None] = mapped_column(Date)  # left the household (kept, not deleted)
    # Agreed (on paper, at a visit) to texts about residents' consultations: a vote opening, its result.
    consultation_texts: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    household: Mapped[Household] = relationship(back_populates="members")
    tags: Mapped[list[Tag]] = relationship(secondary="member_tags", order_by="Tag.position")


class MemberTag(db.Model):
    """A member's tag that is not sensitive (a sensitive one lives sealed in ``Member.sensitive_tags``)."""

    __tablename__ = "member_tags"
    __table_args__ = (PrimaryKeyConstraint("member_id", "tag_id"),)

    member_id: Mapped[int] = mapped_column(ForeignKey("household_members.id"))
    tag_id: Mapped[int] = mapped_column(ForeignKey("archive_tags.id"), index=True)


class Visit(db.Model):
    """走访记录: a visit to a household, what was found, and the follow-up it needs."""

    __tablename__ = "household_visits"
    __table_args__ = (Index("ix_household_visits_due", "follow_up_due"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    visited_on: Mapped[date] = mapped_column(Date)
    found: Mapped[str] = mapped_column(SealedText("household_visits.found"), default="")
    follow_up_due: Mapped[date | None] = mapped_column(Date)
    follow_up_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    staff: Mapped[Staff | None] = relationship()


class TicketLink(db.Model):
    """A ticket linked to a household by hand, or unlinked from it by hand (``linked`` False) where its
    mobile or ID number would otherwise link it."""

    __tablename__ = "household_ticket_links"
    __table_args__ = (PrimaryKeyConstraint("household_id", "ticket_id"),)

    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    linked: Mapped[bool] = mapped_column(Boolean, default=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffBuilding(db.Model):
    """A post for one building (楼栋长, the ladder's lowest rung): that building is the account's scope."""

    __tablename__ = "staff_buildings"
    __table_args__ = (PrimaryKeyConstraint("staff_id", "building_id"),)

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    level_id: Mapped[int] = mapped_column(ForeignKey("grid_levels.id"))

    building: Mapped[Building] = relationship()
    level: Mapped[GridLevel] = relationship()


class SitePlan(db.Model):
    """A grid's site plan (总平面图), drawn or photographed, behind the buildings on its plan: checked and
    encoded again on upload (services/site_plans.py), so nothing but pixels is kept."""

    __tablename__ = "grid_site_plans"

    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(16))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
