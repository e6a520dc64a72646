"""Changes to a household's file once it is made (services/household_changes.py): corrections, members
who leave, who heads the household, the basis and the sealed notes; each in scope and audited by field."""

import json

import pytest
from kiosk_app.extensions import db
from kiosk_app.models import AuditEvent, Household
from kiosk_app.models.sealed import lookup
from kiosk_app.services import archive, household_changes
from kiosk_app.services.errors import InvalidInput, NotFound

from ..helpers import building_of, staff
from .test_archive import HEAD, household_in
from .test_sealed import stored_text

CHILD = {"name": "王小明", "relation": "child", "birth_date": "1975-03-04", "mobile": "13800001111", "tags": ["veteran"]}


def last_change(household_id: int) -> AuditEvent:
    return db.session.scalars(db.select(AuditEvent).filter_by(entity="household", entity_id=household_id,
                                                             action="update").order_by(AuditEvent.id.desc())).first()


def test_a_correction_changes_the_member_and_records_which_fields_not_their_values(ctx):
    household = household_in(0)
    member = archive.add_member(staff("staff-hq"), household.id, CHILD)
    household_changes.correct_member(staff("staff-hq"), member.id, {**CHILD, "mobile": "13800002222",
                                                                    "tags": ["veteran", "migrant"]})
    shown = archive.reveal(staff("staff-hq"), household.id).members[1]
    assert shown.mobile == "13800002222" and shown.tags == ("退役军人", "流动人口") and shown.name == "王小明"
    event = last_change(household.id)
    assert json.loads(event.after)["fields"] == ["mobile", "tags"] and "13800002222" not in str(event.after)
    # the new mobile finds the member's tickets: its keyed digest changed with it
    assert db.session.get(type(member), member.id).mobile_lookup != lookup("13800001111")


def test_a_correction_is_refused_field_by_field_and_changes_nothing(ctx):
    household = household_in(0)
    head = household.members[0]
    with pytest.raises(InvalidInput) as refused:
        household_changes.correct_member(staff("staff-hq"), head.id, {**HEAD, "mobile": "123", "birth_date": "2999-01-01"})
    assert set(refused.value.errors) == {"mobile", "birth_date"}
    db.session.expire_all()
    assert archive.reveal(staff("staff-hq"), household.id).members[0].mobile == "13912345678"


def test_a_reader_who_may_not_see_sensitive_tags_keeps_them_when_correcting(ctx):
    household = household_in(3)  # B04: the head has 残疾 (sensitive)
    head = staff("building-hq4")
    household_changes.correct_member(head, household.members[0].id, {**HEAD, "relation": "head", "tags": ["lives_alone"],
                                                                     "name": "张贵兰"})
    db.session.expire_all()
    member = db.session.get(Household, household.id).members[0]
    assert member.sensitive_tags == "disability" and member.name == "张贵兰"
    with pytest.raises(InvalidInput):  # nor give one
        household_changes.correct_member(head, member.id, {**HEAD, "tags": ["minor"]})


def test_a_member_who_left_is_kept_and_marked_and_the_head_cannot_leave(ctx):
    household = household_in(0)
    child = archive.add_member(staff("staff-hq"), household.id, {**CHILD, "moved_in": "2020-01-01"})
    with pytest.raises(InvalidInput) as refused:
        household_changes.member_left(staff("staff-hq"), child.id, {"left_on": "2019-06-01"})
    assert "left_on" in refused.value.errors
    household_changes.member_left(staff("staff-hq"), child.id, {"left_on": "2026-10-01"})
    line = archive.household_file(staff("staff-hq"), household.id).members[1]
    assert line.moved_out.isoformat() == "2026-10-01" and line.name == "王*明"
    with pytest.raises(InvalidInput):  # once
        household_changes.member_left(staff("staff-hq"), child.id, {"left_on": "2026-10-02"})
    with pytest.raises(InvalidInput) as refused:
        household_changes.member_left(staff("staff-hq"), household.members[0].id, {"left_on": "2026-10-01"})
    assert "head" in str(refused.value.errors["left_on"]) or "户主" in str(refused.value.errors["left_on"])


def test_naming_another_head_makes_the_former_head_other_and_puts_the_new_one_first(ctx):
    household = household_in(0)
    child = archive.add_member(staff("staff-hq"), household.id, CHILD)
    former = household.members[0]
    household_changes.correct_member(staff("staff-hq"), child.id, {**CHILD, "relation": "head"})
    db.session.expire_all()
    members = db.session.get(Household, household.id).members
    assert [m.id for m in members] == [child.id, former.id] and [m.relation for m in members] == ["head", "other"]
    with pytest.raises(InvalidInput):  # a head is replaced, never removed
        household_changes.correct_member(staff("staff-hq"), child.id, {**CHILD, "relation": "child"})
    household_changes.member_left(staff("staff-hq"), former.id, {"left_on": "2026-11-01"})
    with pytest.raises(InvalidInput):  # who left heads nothing
        household_changes.correct_member(staff("staff-hq"), former.id, {**HEAD, "relation": "head"})


def test_the_basis_and_notes_are_saved_sealed_and_shown_only_unmasked(ctx):
    household = household_in(0)
    household_changes.save_details(staff("staff-hq"), household.id, {
        "basis": "legal_duty", "basis_detail": "《城市居民委员会组织法》第三条", "notes": "女儿每周日来探望"})
    assert archive.household_file(staff("staff-hq"), household.id).notes is None
    assert archive.reveal(staff("staff-hq"), household.id).notes == "女儿每周日来探望"
    assert "女儿每周日来探望" not in stored_text(db.engine)
    assert json.loads(last_change(household.id).after)["fields"] == ["basis", "basis_detail", "basis_on", "notes"]
    with pytest.raises(InvalidInput) as refused:
        household_changes.save_details(staff("staff-hq"), household.id, {"basis": "legal_duty", "notes": "x" * 2001})
    assert set(refused.value.errors) == {"basis_detail", "notes"}


@pytest.mark.parametrize("username", ["grid-hq2", "admin-district", "volunteer-hq", "staff-xj"])
def test_nobody_outside_the_files_scope_changes_it(ctx, username):
    household = household_in(0)  # grid G1
    member = household.members[0]
    for change in (lambda: household_changes.correct_member(staff(username), member.id, HEAD),
                   lambda: household_changes.member_left(staff(username), member.id, {"left_on": "2026-10-01"}),
                   lambda: household_changes.save_details(staff(username), household.id, {"basis": "consent"}),
                   lambda: household_changes.household_of(staff(username), member.id)):
        with pytest.raises(NotFound):
            change()
    assert building_of("HQ", 0).grid_id == household.grid_id
