"""The grid's archive (一户一档): households, their members and tags, moves, visits, and the tickets
that belong to a household.  Who may open what is ``scope.household_filter``; every change here is one
use case; every view of unmasked or sensitive data is recorded in the audit trail.

A ticket belongs to a household when its mobile or ID number is a member's (compared as keyed
digests: neither is readable in the database), unless staff unlinked it by hand, and also when staff
linked it by hand (``TicketLink``).  So a ticket a member submits at the kiosk is in the file at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from stdnum.cn import ric

from ..extensions import db
from ..models import (Building, Household, LawfulBasis, Member, Residence, Room, Staff, Tag, Ticket, TicketLink,
                      Visit)
from ..models.base import utcnow
from ..models.sealed import lookup
from . import scope, workdays
from .admin.audit import AuditAction, record
from .errors import InvalidInput, NotFound
from .uow import use_case
from .validation import FieldError, clean_id_number, clean_mobile, clean_name, mask_id_number, mask_mobile, mask_name

# A member's relation to the head of the household, as the register writes it.
RELATIONS = {"head": _l("Head of household"), "spouse": _l("Spouse"), "child": _l("Child"),
             "parent": _l("Parent"), "grandchild": _l("Grandchild"), "sibling": _l("Brother or sister"),
             "other": _l("Other")}
ROOM_NUMBER_MAX = 16
TEXT_MAX = 2000

# The tags a new database starts with (migration 0029 keeps its own copy, as it was then).
DEFAULT_TAGS = [
    ("lives_alone", "独居老人", "Elderly, living alone", False), ("empty_nest", "空巢老人", "Elderly, children away", False),
    ("aged_80", "高龄", "Aged 80 or over", False), ("disability", "残疾", "Disability", True),
    ("chronic_illness", "慢性病", "Chronic illness", True), ("dibao", "低保", "Minimum living allowance (低保)", True),
    ("minor", "未成年人", "Minor", True), ("veteran", "退役军人", "Veteran", False),
    ("migrant", "流动人口", "Non-local resident", False), ("watch", "重点关注", "Special attention", True),
]


def ensure_default_tags() -> None:
    """(For a database made from the models, not the migrations: the demo and the tests.)"""
    if db.session.scalar(select(Tag.id).limit(1)) is None:
        db.session.add_all(Tag(code=code, name_zh=zh, name_en=en, sensitive=sensitive, position=n)
                           for n, (code, zh, en, sensitive) in enumerate(DEFAULT_TAGS))


def tags() -> list[Tag]:
    return list(db.session.scalars(select(Tag).where(Tag.active.is_(True)).order_by(Tag.position, Tag.id)))


# -- what a file shows ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class MemberLine:
    id: int
    name: str
    relation: str
    age: int | None
    mobile: str
    id_number: str
    tags: tuple[str, ...]
    sensitive_tags: tuple[str, ...] | None  # None: not for this reader (or not revealed)
    moved_out: date | None
    relation_code: str
    birth_date: str  # (ISO, when revealed: the correction form's)
    tag_codes: tuple[str, ...]  # (the sensitive ones only when shown)
    consultation_texts: bool


@dataclass(frozen=True)
class VisitLine:
    visited_on: date
    by: str
    found: str | None  # None: not for this reader (findings are often about health), or not revealed
    follow_up_due: date | None
    done: bool


@dataclass(frozen=True)
class HouseholdFile:
    household: Household
    members: tuple[MemberLine, ...]
    visits: tuple[VisitLine, ...]
    tickets: tuple[Ticket, ...]
    revealed: bool
    sensitive_shown: bool
    notes: str | None  # None: not revealed


def household_file(actor: Staff, household_id, *, revealed: bool = False) -> HouseholdFile:
    """A household's file as ``actor`` may see it: masked, unless ``revealed`` by ``reveal``."""
    household = scope.get_household(actor, household_id)
    sensitive = revealed and scope.may_see_sensitive(actor, household.grid_id)
    by_code = {tag.code: tag.name for tag in db.session.scalars(select(Tag))}
    today = workdays.local_date(utcnow())
    members = tuple(MemberLine(
        member.id, member.name if revealed else mask_name(member.name), str(RELATIONS.get(member.relation, "")),
        today.year - member.birth_year if member.birth_year else None,
        member.mobile if revealed else mask_mobile(member.mobile) if member.mobile else "",
        member.id_number if revealed else mask_id_number(member.id_number) if member.id_number else "",
        tuple(tag.name for tag in member.tags),
        tuple(by_code.get(code, code) for code in _codes(member.sensitive_tags)) if sensitive else None,
        member.moved_out, member.relation, member.birth_date if revealed else "",
        tuple(tag.code for tag in member.tags) + (tuple(_codes(member.sensitive_tags)) if sensitive else ()),
        member.consultation_texts)
        for member in household.members)
    visits = tuple(VisitLine(visit.visited_on, visit.staff.display_name if visit.staff else "",
                             visit.found if sensitive else None, visit.follow_up_due, visit.follow_up_done_at is not None)
                   for visit in household.visits)
    return HouseholdFile(household, members, visits, tuple(linked_tickets(actor, household)), revealed, sensitive,
                         household.notes if revealed else None)


@use_case
def reveal(actor: Staff, household_id) -> HouseholdFile:
    """The file unmasked (and its sensitive tags, for a reader who may see them); every such view is
    recorded."""
    household = scope.get_household(actor, household_id)
    record(actor, AuditAction.VIEW_PERSONAL_DATA, "household", household.id, name=_file_name(household),
           area_id=household.community_id, after={"sensitive": scope.may_see_sensitive(actor, household.grid_id)})
    return household_file(actor, household.id, revealed=True)


def _file_name(household: Household) -> str:
    room = household.room
    return f"{household.building.name_zh} {room.label}" if room else household.building.name_zh


def _codes(sealed: str) -> list[str]:
    return [code for code in (sealed or "").split(",") if code]


def linked_tickets(actor: Staff, household: Household, limit: int = 50) -> list[Ticket]:
    """The tickets of the household that ``actor`` may see, newest first."""
    mobiles = [m.mobile_lookup for m in household.members if m.mobile_lookup]
    ids = [m.id_number_lookup for m in household.members if m.id_number_lookup]
    by_hand = select(TicketLink.ticket_id).where(TicketLink.household_id == household.id)
    matched = or_(Ticket.mobile_lookup.in_(mobiles), Ticket.id_number_lookup.in_(ids))
    unlinked = by_hand.where(TicketLink.linked.is_(False))
    belongs = or_(and_(matched, Ticket.id.not_in(unlinked)), Ticket.id.in_(by_hand.where(TicketLink.linked)))
    return list(db.session.scalars(select(Ticket).where(belongs, scope.ticket_filter(actor))
                                   .order_by(Ticket.id.desc()).limit(limit)))


# -- changes -------------------------------------------------------------------------------------------

def _day(value: str | None, field: str, errors: dict, *, required: bool = False) -> date | None:
    text = (value or "").strip()
    if not text:
        if required:
            errors[field] = _l("Please give the date.")
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        errors[field] = _l("Write the date as 2026-03-01.")
        return None
    if not date(1900, 1, 1) <= day <= workdays.local_date(utcnow()):
        errors[field] = _l("This date cannot be right: it is in the future or before 1900.")
        return None
    return day


def _member_values(actor: Staff, form: dict, known: dict[str, Tag] | None, grid_id: int) -> tuple[dict, list[Tag]]:
    """A member's fields, checked; the tags not sensitive apart (they are rows of their own).  ``known``:
    the active tags by code, when the caller has them (a spreadsheet's thousands of rows)."""
    errors: dict = {}
    values: dict = {"relation": form.get("relation") or "other"}
    try:
        values["name"] = clean_name(form.get("name"))
    except FieldError as error:
        errors["name"] = error.message
    if values["relation"] not in RELATIONS:
        errors["relation"] = _l("Choose one of the relations listed.")
    born = _day(form.get("birth_date"), "birth_date", errors)
    values["id_number"] = values["id_number_lookup"] = values["mobile"] = values["mobile_lookup"] = None
    if (form.get("id_number") or "").strip():
        try:
            values["id_number"] = clean_id_number(form.get("id_number"))
            born = born or ric.get_birth_date(values["id_number"])
            values["id_number_lookup"] = lookup(values["id_number"])
        except FieldError as error:
            errors["id_number"] = error.message
    if (form.get("mobile") or "").strip():
        try:
            values["mobile"] = clean_mobile(form.get("mobile"))
            values["mobile_lookup"] = lookup(values["mobile"])
        except FieldError as error:
            errors["mobile"] = error.message
    values["birth_date"], values["birth_year"] = (born.isoformat(), born.year) if born else ("", None)
    known = known if known is not None else {tag.code: tag for tag in tags()}
    chosen = [known.get(code) for code in dict.fromkeys(form.get("tags") or [])]  # (each once)
    if None in chosen:
        errors["tags"] = _l("Choose tags from the list.")
    elif any(tag.sensitive for tag in chosen) and not scope.may_see_sensitive(actor, grid_id):
        errors["tags"] = _l("Your role may not record sensitive personal information.")
    if errors:
        raise InvalidInput(errors)
    values["id_number"], values["mobile"] = values["id_number"] or "", values["mobile"] or ""
    values["sensitive_tags"] = ",".join(tag.code for tag in chosen if tag.sensitive)
    values["consultation_texts"] = bool(form.get("consultation_texts")) and bool(values["mobile"])
    return values, [tag for tag in chosen if not tag.sensitive]


def _room(building: Building, unit, number, errors: dict, rooms: dict | None = None) -> Room | None:
    """The room (made on first use) of a building's unit.  ``rooms``: every room of the buildings at
    hand by (building id, unit, number), when the caller has read them (a spreadsheet's thousands)."""
    try:
        unit = int(str(unit or "1").strip())
    except ValueError:
        unit = 0
    if not 1 <= unit <= max(building.units, 1):
        errors["unit"] = _l("This building has units 1 to %(units)d.", units=max(building.units, 1))
    number = (number or "").strip()
    if not number or len(number) > ROOM_NUMBER_MAX:
        errors["room"] = _l("Please give the room number (at most %(max)d characters).", max=ROOM_NUMBER_MAX)
    if errors:
        return None
    key = (building.id, unit, number)
    room = rooms.get(key) if rooms is not None else db.session.scalar(
        select(Room).where(Room.building_id == building.id, Room.unit == unit, Room.number == number))
    if room is None:
        room = Room(building=building, unit=unit, number=number)
        db.session.add(room)
        if rooms is not None:
            rooms[key] = room
    return room


def _occupied(room: Room) -> bool:
    """Whether a household lives in the room now (a second file for it would be a mistake)."""
    return room.id is not None and db.session.scalar(
        select(Household.id).where(Household.room_id == room.id, Household.active.is_(True)).limit(1)) is not None


def _basis(actor: Staff, form: dict, errors: dict) -> dict:
    basis = form.get("basis")
    if basis not in set(LawfulBasis):
        errors["basis"] = _l("Say why the community may keep this file: written consent or a legal duty.")
        return {}
    detail = (form.get("basis_detail") or "").strip()
    on = _day(form.get("basis_on"), "basis_on", errors, required=basis == LawfulBasis.CONSENT)
    if basis == LawfulBasis.LEGAL_DUTY and not detail:
        errors["basis_detail"] = _l("Name the legal duty.")
    if len(detail) > 200:
        errors["basis_detail"] = _l("At most %(max)d characters.", max=200)
    return {"basis": LawfulBasis(basis), "basis_detail": detail, "basis_on": on, "basis_staff_id": actor.id}


@use_case
def create_household(actor: Staff, building_id, form: dict) -> Household:
    """A household in a room of a building the actor keeps the archive of, with its head and the
    lawful basis for keeping its file."""
    return new_household(actor, scope.get_archive_building(actor, building_id), form)


def new_household(actor: Staff, building: Building, form: dict, known: dict[str, Tag] | None = None, *,
                  rooms: dict | None = None, audit: bool = True) -> Household:
    """``create_household`` on a building already found in the actor's scope (never commits).  A
    spreadsheet passes the tags and rooms it has read, and records its import as one audit event."""
    errors: dict = {}
    room = _room(building, form.get("unit"), form.get("room"), errors, rooms)
    if room is not None and rooms is None and _occupied(room):  # (a spreadsheet checks its rooms itself)
        errors["room"] = _l("This room already has a household's file.")
    basis = _basis(actor, form, errors)
    moved_in = _day(form.get("moved_in"), "moved_in", errors)
    try:
        head, head_tags = _member_values(actor, {**form, "relation": "head"}, known, building.grid_id)
    except InvalidInput as invalid:
        errors.update(invalid.errors)
    if errors:
        raise InvalidInput(errors)
    household = Household(community_id=building.community_id, grid_id=building.grid_id, building=building,
                          room=room, **basis)
    household.members.append(Member(**head, tags=head_tags, position=0, moved_in=moved_in))
    household.residences.append(Residence(room=room, moved_in=moved_in or workdays.local_date(utcnow()),
                                          recorded_by_id=actor.id))
    db.session.add(household)
    if audit:
        db.session.flush()
        record(actor, AuditAction.CREATE, "household", household.id, name=f"{building.name_zh} {room.label}",
               area_id=building.community_id, after={"room": room.label, "basis": household.basis.value})
    return household


@use_case
def add_member(actor: Staff, household_id, form: dict) -> Member:
    return new_member(actor, scope.get_household(actor, household_id), form)


def new_member(actor: Staff, household: Household, form: dict, known: dict[str, Tag] | None = None, *,
               audit: bool = True) -> Member:
    """``add_member`` to a household already found in the actor's scope (never commits)."""
    errors: dict = {}
    moved_in = _day(form.get("moved_in"), "moved_in", errors)
    try:
        values, plain_tags = _member_values(actor, form, known, household.grid_id)
    except InvalidInput as invalid:
        errors.update(invalid.errors)
    if errors:
        raise InvalidInput(errors)
    member = Member(**values, tags=plain_tags, position=len(household.members), moved_in=moved_in)
    household.members.append(member)
    household.updated_at = utcnow()
    if audit:
        db.session.flush()
        record(actor, AuditAction.UPDATE, "household", household.id, name=_file_name(household),
               area_id=household.community_id, after={"member_added": member.id})
    return member


@use_case
def record_visit(actor: Staff, household_id, form: dict) -> Visit:
    """走访记录: the day, what was found (sealed), and a follow-up due by a date, if one is needed."""
    household = scope.get_household(actor, household_id)
    errors: dict = {}
    visited_on = _day(form.get("visited_on") or workdays.local_date(utcnow()).isoformat(), "visited_on", errors)
    found = (form.get("found") or "").strip()
    if not found:
        errors["found"] = _l("Say what was found, even if all was well.")
    elif len(found) > TEXT_MAX:
        errors["found"] = _l("At most %(max)d characters.", max=TEXT_MAX)
    due = None
    if (form.get("follow_up_due") or "").strip():
        try:
            due = date.fromisoformat(form["follow_up_due"].strip())
        except ValueError:
            errors["follow_up_due"] = _l("Write the date as 2026-03-01.")
    if errors:
        raise InvalidInput(errors)
    visit = Visit(household_id=household.id, staff_id=actor.id, visited_on=visited_on, found=found,
                  follow_up_due=due)
    db.session.add(visit)
    db.session.flush()
    return visit


@use_case
def link_ticket(actor: Staff, household_id, number: str, linked: bool) -> None:
    """Link a ticket (by its number) to the household by hand, or unlink one its mobile or ID number
    linked.  A ticket outside the actor's queue is not found."""
    household = scope.get_household(actor, household_id)
    ticket = db.session.scalar(select(Ticket).where(Ticket.number == (number or "").strip().upper()[:32],
                                                    scope.ticket_filter(actor)))
    if ticket is None:
        raise InvalidInput({"number": _l("There is no ticket with this number in your queue.")})
    link = db.session.get(TicketLink, (household.id, ticket.id))
    if link is None:
        link = TicketLink(household_id=household.id, ticket_id=ticket.id)
        db.session.add(link)
    link.linked, link.staff_id, link.created_at = linked, actor.id, utcnow()


@use_case
def close_follow_up(actor: Staff, visit_id) -> Visit:
    """A visit's follow-up done (by anyone who keeps the household's file)."""
    from .validation import record_id

    visit = db.session.get(Visit, record_id(visit_id) or 0)
    if visit is None or visit.follow_up_due is None:
        raise NotFound(_l("We could not find this visit."))
    scope.get_household(actor, visit.household_id)  # out of scope: as if it did not exist
    if visit.follow_up_done_at is None:
        visit.follow_up_done_at = utcnow()
    return visit
