"""Residents deciding together (五民工作法): a matter put to the households of a building, a courtyard, a
grid or the community (民议 · 民决).

A consultation is drafted by staff (from a proposal, or on its own), published with its timetable
— discussion, then the vote — and closed, when the rule it was published with is applied to the votes.
One household, one vote: a vote is a row keyed by the household, so a later vote replaces an earlier
one.  Its choice is sealed (models/sealed.py) until the vote is counted: nobody reading the database
during the vote learns how a household voted.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (Boolean, Date, ForeignKey, Index, Integer, PrimaryKeyConstraint, SmallInteger, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, in_reader_language, str_enum, utcnow
from .org import Building
from .sealed import LOOKUP_LENGTH, Sealed


class ConsultationScope(enum.StrEnum):
    BUILDINGS = "buildings"  # one building, or several (a courtyard)
    GRID = "grid"
    COMMUNITY = "community"

    @property
    def label(self) -> str:
        return str(SCOPE_LABELS[self])


SCOPE_LABELS = {ConsultationScope.BUILDINGS: _l("Buildings"), ConsultationScope.GRID: _l("A grid"),
                ConsultationScope.COMMUNITY: _l("The whole community")}


class ConsultationState(enum.StrEnum):
    DRAFT = "draft"  # staff are writing it: nobody else sees it
    OPEN = "open"  # published: its phase (announced, discussion, vote) follows its timetable
    CLOSED = "closed"  # the votes are counted and the result published

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self])


STATE_LABELS = {ConsultationState.DRAFT: _l("Draft"), ConsultationState.OPEN: _l("Published"),
                ConsultationState.CLOSED: _l("Closed")}


class OptionKind(enum.StrEnum):
    FOR = "for"  # agrees (to the matter, or to one of its alternatives)
    AGAINST = "against"
    ABSTAIN = "abstain"


KIND_LABELS = {OptionKind.FOR: _l("Agree"), OptionKind.AGAINST: _l("Against"), OptionKind.ABSTAIN: _l("Abstain")}
AGREE_WORDS = {"同意", "agree"}  # an agreeing choice written as just this is the translated "Agree"


class VoteChannel(enum.StrEnum):
    PHONE = "phone"  # verified by a code texted to a member's mobile
    KIOSK = "kiosk"  # at an enrolled kiosk, by a member's ID number
    PAPER = "paper"  # collected at a meeting, entered by staff

    @property
    def label(self) -> str:
        return str(CHANNEL_LABELS[self])


CHANNEL_LABELS = {VoteChannel.PHONE: _l("Phone"), VoteChannel.KIOSK: _l("Kiosk"), VoteChannel.PAPER: _l("Paper")}


class Consultation(db.Model):
    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)  # its public address, /c/<token>
    community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    scope: Mapped[ConsultationScope] = mapped_column(str_enum(ConsultationScope, 16))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"))  # for a grid's
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)  # the proposal (民事民提)
    title: Mapped[str] = mapped_column(String(100))
    matter: Mapped[str] = mapped_column(Text)
    state: Mapped[ConsultationState] = mapped_column(str_enum(ConsultationState, 16), default=ConsultationState.DRAFT)
    discussion_from: Mapped[datetime] = mapped_column(UTCDateTime)
    discussion_to: Mapped[datetime] = mapped_column(UTCDateTime)
    vote_from: Mapped[datetime] = mapped_column(UTCDateTime)
    vote_to: Mapped[datetime] = mapped_column(UTCDateTime)
    meeting_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    meeting_place: Mapped[str] = mapped_column(String(200), default="")
    # The rule that decides it, as data: turnout of the households in scope ≥ turnout_num/turnout_den,
    # and the agreeing share of the votes cast ≥ agree_num/agree_den (> when ``agree_strict``: 过半数).
    # Fractions, not percentages: two-thirds is exactly 2/3, and 66.6 % of the households is not.
    turnout_num: Mapped[int] = mapped_column(SmallInteger)
    turnout_den: Mapped[int] = mapped_column(SmallInteger)
    agree_num: Mapped[int] = mapped_column(SmallInteger)
    agree_den: Mapped[int] = mapped_column(SmallInteger)
    agree_strict: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when it closes: the households in scope then, and the result as JSON (counts, turnout, outcome).
    households_in_scope: Mapped[int | None] = mapped_column(Integer)
    adopted_option_id: Mapped[int | None] = mapped_column(Integer)
    adopted: Mapped[bool | None] = mapped_column(Boolean)
    result: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the households that agreed to texts were told the vote opened, and its result (services/notices.py)
    vote_texted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result_texted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    options: Mapped[list[ConsultationOption]] = relationship(order_by="ConsultationOption.position",
                                                             cascade="all, delete-orphan")
    buildings: Mapped[list[Building]] = relationship(secondary="consultation_buildings", order_by="Building.position")


class ConsultationOption(db.Model):
    __tablename__ = "consultation_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    label: Mapped[str] = mapped_column(String(100))
    kind: Mapped[OptionKind] = mapped_column(str_enum(OptionKind, 16), default=OptionKind.FOR)

    @property
    def shown(self) -> str:
        """Its label as written, or (against, abstain, and an agreeing choice written as the plain word
        同意 or Agree) in the reader's language."""
        if not self.label or (self.kind == OptionKind.FOR and self.label.casefold() in AGREE_WORDS):
            return str(KIND_LABELS[self.kind])
        return self.label


class ConsultationBuilding(db.Model):
    __tablename__ = "consultation_buildings"
    __table_args__ = (PrimaryKeyConstraint("consultation_id", "building_id"),)

    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"))
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)


class Comment(db.Model):
    """A resident's say in the discussion (民议), or a member of staff's answer; hidden, never deleted."""

    __tablename__ = "consultation_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    # As shown, fixed when written: "3号楼 张*" (a resident) or "社区工作人员" (staff).
    author_label: Mapped[str] = mapped_column(String(60))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str] = mapped_column(String(200), default="")
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


class Vote(db.Model):
    """A household's vote (民决): one row per household, replaced by a later vote until the vote closes."""

    __tablename__ = "consultation_votes"
    __table_args__ = (UniqueConstraint("consultation_id", "household_id"),)  # one household, one vote

    id: Mapped[int] = mapped_column(primary_key=True)  # (a sealed column's rows are sealed again by id)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    choice: Mapped[str] = mapped_column(Sealed("consultation_votes.choice"))  # the option's id, sealed
    channel: Mapped[VoteChannel] = mapped_column(str_enum(VoteChannel, 16))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("household_members.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))  # who entered a paper vote
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    times: Mapped[int] = mapped_column(Integer, default=1)  # how often the household voted (the last counts)


class ResidentCode(db.Model):
    """A one-time code texted to a resident's mobile, for a purpose (services/codes.py)."""

    __tablename__ = "resident_codes"
    __table_args__ = (Index("ix_resident_codes_purpose_number", "purpose", "mobile_lookup"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(40))  # "consultation:12", "volunteer:3"
    mobile_lookup: Mapped[str] = mapped_column(String(LOOKUP_LENGTH))
    # The member the code speaks for, in a consultation; None for any other number (a row all the same)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("household_members.id"))
    subject_id: Mapped[int | None] = mapped_column(Integer)  # what else it proves (a volunteer's registration)
    texted: Mapped[bool] = mapped_column(Boolean, default=True)  # False: written, never sent, never redeemable
    code_digest: Mapped[str] = mapped_column(String(64))  # keyed digest of the code, never the code
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TaskState(enum.StrEnum):
    PLANNED = "planned"
    UNDERWAY = "underway"
    DONE = "done"

    @property
    def label(self) -> str:
        return str(TASK_STATE_LABELS[self])


TASK_STATE_LABELS = {TaskState.PLANNED: _l("Planned"), TaskState.UNDERWAY: _l("Under way"), TaskState.DONE: _l("Done")}


class TaskOwner(enum.StrEnum):
    STAFF = "staff"
    GRID = "grid"  # a grid post (网格员, 楼栋长 …)
    ORGANISATION = "organisation"  # a social organisation, the property company …
    VOLUNTEERS = "volunteers"

    @property
    def label(self) -> str:
        return str(OWNER_LABELS[self])


OWNER_LABELS = {TaskOwner.STAFF: _l("Community staff"), TaskOwner.GRID: _l("The grid"),
                TaskOwner.ORGANISATION: _l("A social organisation"), TaskOwner.VOLUNTEERS: _l("Volunteers")}


class ConsultationTask(db.Model):
    """民办: what a decided matter takes, who does it and by when; residents follow it on the page.

    A volunteer-eligible ticket offered to the community's volunteers is a task too (志愿云), of the
    ticket instead of a consultation: sign-ups, check-ins and confirmed hours work the same for both.
    """

    __tablename__ = "consultation_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultations.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), unique=True)  # help with a ticket
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    title: Mapped[str] = mapped_column(String(200))
    # A ticket's help is named after its service, in both languages; a consultation's task as staff typed it.
    title_en: Mapped[str] = mapped_column(String(200), default="")
    owner_kind: Mapped[TaskOwner] = mapped_column(str_enum(TaskOwner, 16))
    owner: Mapped[str] = mapped_column(String(100), default="")  # who, as residents read it
    due_on: Mapped[date] = mapped_column(Date)
    state: Mapped[TaskState] = mapped_column(str_enum(TaskState, 16), default=TaskState.PLANNED)
    progress: Mapped[str] = mapped_column(Text, default="")  # the latest word on it, public
    volunteers_wanted: Mapped[int] = mapped_column(SmallInteger, default=0)  # offered to volunteers (志愿云)
    check_token: Mapped[str | None] = mapped_column(String(32), unique=True)  # the QR on the spot: check in, out
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def shown_title(self) -> str:
        return in_reader_language(self.title, self.title_en)


class ConsultationRating(db.Model):
    """民评: a household's judgement of how the matter was carried out, on the five-level scale; one per
    household, changeable while judging is open.  A poor one opens a follow-up (models/rating.py)."""

    __tablename__ = "consultation_ratings"
    __table_args__ = (UniqueConstraint("consultation_id", "household_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    level: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[VoteChannel] = mapped_column(str_enum(VoteChannel, 16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def label(self) -> str:
        from .rating import RATING_LABELS

        return str(RATING_LABELS[self.level])

    @property
    def poor(self) -> bool:
        from .rating import POOR

        return self.level in POOR
