"""Changes to a household's file once it is made: a member's details corrected, a member who left the
household (kept and marked, never deleted), who heads the household, the lawful basis and the notes
(sealed), and the household's move (its stays kept as history).  Each is one use case, recorded in the
audit trail by the names of the fields it changed, never their values."""

from __future__ import annotations


from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..models import Household, Member, Residence, Staff
from ..models.base import utcnow
from . import scope
from .admin.audit import AuditAction, record
from .archive import TEXT_MAX, _basis, _day, _file_name, _member_values, _occupied, _room
from .errors import InvalidInput, NotFound
from .uow import use_case
from .validation import record_id

MEMBER_FIELDS = ("name", "relation", "birth_date", "mobile", "id_number", "sensitive_tags", "consultation_texts")


def _member(actor: Staff, member_id) -> Member:
    """A member of a household ``actor`` keeps the file of; any other is as if it did not exist."""
    member = db.session.get(Member, record_id(member_id) or 0)
    if member is None:
        raise NotFound(_l("We could not find this member."))
    scope.get_household(actor, member.household_id)
    return member


def household_of(actor: Staff, member_id) -> int:
    """The household a member belongs to (404 for a member outside ``actor``'s files)."""
    return _member(actor, member_id).household_id


@use_case
def correct_member(actor: Staff, member_id, form: dict) -> Member:
    """A member's details as they should have been written.  A reader who may not see sensitive tags
    keeps the member's sealed ones as they are (the form never showed them).  Naming another member the
    head makes the former head "other": relations are to the head, staff correct them after."""
    member = _member(actor, member_id)
    household = member.household
    relation = form.get("relation") or member.relation
    values, plain_tags = _member_values(actor, {**form, "relation": relation}, None, household.grid_id)
    if not scope.may_see_sensitive(actor, household.grid_id):
        values["sensitive_tags"] = member.sensitive_tags
    if member.relation == "head" and relation != "head":
        raise InvalidInput({"relation": _l("Name another member the head of household instead.")})
    if relation == "head" and member.relation != "head":
        if member.moved_out is not None:
            raise InvalidInput({"relation": _l("A member who left cannot head the household.")})
        for other in household.members:
            if other.relation == "head":
                other.relation, other.position, member.position = "other", member.position, 0
        household.members.sort(key=lambda m: m.position)
    changed = [name for name in MEMBER_FIELDS if getattr(member, name) != values[name]]
    if {tag.id for tag in member.tags} != {tag.id for tag in plain_tags}:
        changed.append("tags")
    for name, value in values.items():
        setattr(member, name, value)
    member.tags = plain_tags
    household.updated_at = utcnow()
    record(actor, AuditAction.UPDATE, "household", household.id, name=_file_name(household),
           area_id=household.community_id, after={"member_corrected": member.id, "fields": changed})
    return member


@use_case
def member_left(actor: Staff, member_id, form: dict) -> Member:
    """A member left the household (moved away, or died) on a day: kept in the file, marked."""
    member = _member(actor, member_id)
    errors: dict = {}
    on = _day(form.get("left_on"), "left_on", errors, required=True)
    if member.moved_out is not None:
        errors["left_on"] = _l("This member already left the household.")
    elif member.relation == "head":
        errors["left_on"] = _l("Name another member the head of household first, or record the household's move.")
    elif on and member.moved_in and on < member.moved_in:
        errors["left_on"] = _l("The member joined the household after that day.")
    if errors:
        raise InvalidInput(errors)
    member.moved_out = on
    household = member.household
    household.updated_at = utcnow()
    record(actor, AuditAction.UPDATE, "household", household.id, name=_file_name(household),
           area_id=household.community_id, after={"member_left": member.id, "on": on.isoformat()})
    return member


@use_case
def save_details(actor: Staff, household_id, form: dict) -> Household:
    """The household's lawful basis (consent given again, or a duty named) and its notes (sealed)."""
    household = scope.get_household(actor, household_id)
    errors: dict = {}
    basis = _basis(actor, form, errors)
    notes = (form.get("notes") or "").strip()
    if len(notes) > TEXT_MAX:
        errors["notes"] = _l("At most %(max)d characters.", max=TEXT_MAX)
    if errors:
        raise InvalidInput(errors)
    changed = [name for name in ("basis", "basis_detail", "basis_on") if getattr(household, name) != basis[name]]
    if notes != household.notes:
        changed.append("notes")
    if changed:
        for name, value in basis.items():
            setattr(household, name, value)
        household.notes, household.updated_at = notes, utcnow()
        record(actor, AuditAction.UPDATE, "household", household.id, name=_file_name(household),
               area_id=household.community_id, after={"fields": changed})
    return household


@use_case
def move(actor: Staff, household_id, form: dict) -> Household:
    """The household moves to another room (``building``, ``unit``, ``room``) or, with no building, out
    of the community.  Its stay in the old room ends that day; nothing is overwritten."""
    household = scope.get_household(actor, household_id)
    errors: dict = {}
    on = _day(form.get("on"), "on", errors, required=True)
    room = None
    if form.get("building"):
        building = scope.get_archive_building(actor, form.get("building"))
        room = _room(building, form.get("unit"), form.get("room"), errors)
    if room is not None and room.id != household.room_id and _occupied(room):
        errors["room"] = _l("This room already has a household's file.")
    if on and household.residences and on < household.residences[-1].moved_in:
        errors["on"] = _l("The household moved into its present room after that day.")
    if errors:
        raise InvalidInput(errors)
    for stay in household.residences:
        if stay.moved_out is None:
            stay.moved_out = on
    if room is None:
        household.active, household.room_id = False, None
    else:
        household.residences.append(Residence(room_id=room.id, moved_in=on, recorded_by_id=actor.id))
        household.room_id, household.building_id = room.id, room.building_id
        household.grid_id, household.community_id = room.building.grid_id, room.building.community_id
        household.active = True
    household.updated_at = utcnow()
    record(actor, AuditAction.UPDATE, "household", household.id, name=_file_name(household),
           area_id=household.community_id, after={"room": room.label if room else None, "on": on.isoformat()})
    return household
