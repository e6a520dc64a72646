"""The grid's archive (services/archive.py): who opens which household's file, tickets that belong to
a household, sensitive data sealed and recorded when seen."""

import pytest
from kiosk_app.extensions import db
from kiosk_app.models import AuditEvent, Building, Channel, Household, Member
from kiosk_app.services import archive, household_changes, tickets
from kiosk_app.services.errors import Forbidden, InvalidInput, NotFound

from ..helpers import building_of, community, service_by_code, staff
from .test_sealed import stored_text

HEAD = {"name": "张桂兰", "birth_date": "1941-05-02", "mobile": "13912345678", "id_number": "11010519491231002X",
        "tags": ["lives_alone", "disability"], "unit": "1", "room": "301", "basis": "consent",
        "basis_on": "2026-11-20"}


def household_in(building_index: int, by: str = "admin-hq", **changes) -> Household:
    """A household of the demo's HQ community; building 0-2 are grid G1's, 3-5 G2's, 6-7 G3's."""
    return archive.create_household(staff(by), building_of("HQ", building_index).id, {**HEAD, **changes})


def test_a_grid_worker_opens_the_households_of_their_grid_and_nothing_else(ctx):
    mine, theirs = household_in(0), household_in(3, mobile="13900000001", id_number="")
    worker = staff("grid-hq1")  # G1
    assert archive.household_file(worker, mine.id).household.id == mine.id
    with pytest.raises(NotFound):
        archive.household_file(worker, theirs.id)
    with pytest.raises(NotFound):
        archive.reveal(worker, theirs.id)
    with pytest.raises(NotFound):
        archive.create_household(worker, building_of("HQ", 3).id, {**HEAD, "tags": []})


def test_a_building_head_sees_only_their_building(ctx):
    in_b04, in_b05 = household_in(3), household_in(4, mobile="13900000002", id_number="")
    head = staff("building-hq4")  # a building post for B04 alone
    assert archive.household_file(head, in_b04.id).household.id == in_b04.id
    with pytest.raises(NotFound):
        archive.household_file(head, in_b05.id)
    # a building post opens the archive, not the sensitive tags, and not the grid's ticket queue
    assert archive.reveal(head, in_b04.id).members[0].sensitive_tags is None
    with pytest.raises(InvalidInput) as refused:
        archive.add_member(head, in_b04.id, {"name": "李小明", "relation": "grandchild", "tags": ["minor"]})
    assert "tags" in refused.value.errors


@pytest.mark.parametrize("username", ["admin-district", "volunteer-hq", "staff-xj"])
def test_others_open_no_file(ctx, username):
    household = household_in(0)
    with pytest.raises(NotFound):
        archive.household_file(staff(username), household.id)
    with pytest.raises(NotFound):
        archive.reveal(staff(username), household.id)


def test_a_file_is_masked_until_revealed_and_each_reveal_is_recorded(ctx):
    household = household_in(0)
    masked = archive.household_file(staff("staff-hq"), household.id)
    line = masked.members[0]
    assert line.name == "张*兰" and line.mobile == "139****5678" and "002X" not in line.id_number
    assert line.sensitive_tags is None and line.tags == ("独居老人",) and line.age >= 85
    shown = archive.reveal(staff("staff-hq"), household.id)
    assert shown.members[0].name == "张桂兰" and shown.members[0].mobile == "13912345678"
    assert shown.members[0].sensitive_tags == ("残疾",)
    [seen] = db.session.scalars(db.select(AuditEvent).filter_by(entity="household", action="view_personal_data"))
    assert seen.actor_staff_id == staff("staff-hq").id and seen.entity_id == household.id


def test_a_ticket_from_a_members_mobile_is_in_the_file_and_one_from_elsewhere_in_none(ctx):
    household = household_in(0)
    other = household_in(1, mobile="13900000003", id_number="")

    def submit(mobile):
        return tickets.submit_request(
            {"name": "张桂兰", "mobile": mobile, "building": str(building_of("HQ", 0).id), "details": "楼道灯不亮",
             "id_number": ""}, service=service_by_code("facility-repair"), community=community("HQ"),
            channel=Channel.KIOSK)

    member_ticket, stranger_ticket = submit("13912345678"), submit("13700000000")
    worker = staff("grid-hq1")
    assert [t.id for t in archive.household_file(worker, household.id).tickets] == [member_ticket.id]
    assert archive.household_file(worker, other.id).tickets == ()
    # staff unlink one the number linked, and link one by hand
    archive.link_ticket(worker, household.id, member_ticket.number, linked=False)
    archive.link_ticket(worker, household.id, stranger_ticket.number.lower(), linked=True)
    assert [t.id for t in archive.household_file(worker, household.id).tickets] == [stranger_ticket.id]
    elsewhere = tickets.submit_request(
        {"name": "张桂兰", "mobile": "13912345678", "building": str(building_of("XJ", 0).id), "details": "咨询",
         "id_number": ""}, service=service_by_code("facility-repair"), community=community("XJ"),
        channel=Channel.KIOSK)
    with pytest.raises(InvalidInput):  # not in this worker's queue: as if it did not exist
        archive.link_ticket(worker, household.id, elsewhere.number, linked=True)
    assert elsewhere.id not in [t.id for t in archive.household_file(worker, household.id).tickets]


def test_the_database_holds_no_sensitive_tag_id_number_or_mobile_in_clear(ctx):
    household = household_in(0, tags=["dibao", "veteran"])
    archive.add_member(staff("admin-hq"), household.id, {"name": "王小红", "relation": "grandchild",
                                                          "birth_date": "2015-03-01", "tags": ["minor"]})
    archive.record_visit(staff("grid-hq1"), household.id, {"found": "腿脚不便，需要上门送药", "follow_up_due": "2026-12-20"})
    db.session.commit()
    dump = stored_text(db.engine)  # every table, as stored
    for secret in ("13912345678", "11010519491231002X", "张桂兰", "王小红", "腿脚不便", "2015-03-01"):
        assert secret not in dump, secret
    archive_dump = stored_text(db.engine, skip=("archive_tags", "services"))  # (the tags' list; the catalogue's 低保)
    sensitive_ids = {str(tag.id) for tag in archive.tags() if tag.sensitive}
    member_tag_rows = db.session.execute(db.text("SELECT tag_id FROM member_tags")).scalars().all()
    assert not sensitive_ids & {str(tag_id) for tag_id in member_tag_rows}  # no row names a sensitive tag
    for code in ("dibao", "minor", "disability"):
        assert code not in archive_dump, code
    member = db.session.scalar(db.select(Member).filter_by(household_id=household.id, position=0))
    assert member.mobile == "13912345678" and member.sensitive_tags == "dibao"  # the key opens them


def test_bad_input_is_refused_field_by_field_and_nothing_is_written(ctx):
    before = db.session.scalar(db.select(db.func.count(Household.id)))
    with pytest.raises(InvalidInput) as refused:
        household_in(0, name="", mobile="12345", id_number="110105194912310021", room="", unit="9", basis="",
                     birth_date="2999-01-01", tags=["no-such-tag"])
    assert set(refused.value.errors) >= {"name", "mobile", "id_number", "room", "unit", "basis", "birth_date", "tags"}
    assert db.session.scalar(db.select(db.func.count(Household.id))) == before
    with pytest.raises(InvalidInput) as refused:
        household_in(0, basis="legal_duty", basis_detail="")
    assert set(refused.value.errors) == {"basis_detail"}


def test_rooms_are_made_once_per_building_unit_and_number_and_hold_one_household(ctx):
    first = household_in(0, moved_in="2020-01-01")
    with pytest.raises(InvalidInput) as refused:  # a second file for the same room is a mistake
        household_in(0, mobile="13900000004", id_number="")
    assert set(refused.value.errors) == {"room"}
    household_changes.move(staff("admin-hq"), first.id, {"building": "", "on": "2026-01-01"})  # moved out of the community
    second = household_in(0, mobile="13900000004", id_number="")
    assert first.room_id is None and second.room.label == "1-301"
    assert first.residences[0].room_id == second.room_id
    assert db.session.get(Building, first.building_id).code == building_of("HQ", 0).code
    assert second.residences[0].moved_out is None and first.residences[0].moved_out.isoformat() == "2026-01-01"


def test_a_move_is_kept_as_history_and_moving_out_closes_the_file_to_the_registers(ctx):
    from kiosk_app.services import registers

    household = household_in(0, moved_in="2020-05-01")
    admin = staff("admin-hq")
    with pytest.raises(InvalidInput) as refused:
        household_changes.move(admin, household.id, {"building": str(building_of("HQ", 3).id), "unit": "1", "room": "",
                                           "on": "2019-01-01"})
    assert set(refused.value.errors) == {"room", "on"}
    household_changes.move(admin, household.id, {"building": str(building_of("HQ", 3).id), "unit": "1", "room": "602",
                                       "on": "2024-03-01"})
    assert [(stay.room.label, str(stay.moved_in), str(stay.moved_out)) for stay in household.residences] == [
        ("1-301", "2020-05-01", "2024-03-01"), ("1-602", "2024-03-01", "None")]
    assert household.grid_id == building_of("HQ", 3).grid_id  # now grid G2's: grid-hq1 no longer opens it
    with pytest.raises(NotFound):
        archive.household_file(staff("grid-hq1"), household.id)
    household_changes.move(admin, household.id, {"building": "", "on": "2025-01-01"})
    assert not household.active and household.residences[-1].moved_out.isoformat() == "2025-01-01"
    assert registers.register(admin, building_of("HQ", 3).id).lines == ()
    assert archive.household_file(admin, household.id).household.id == household.id  # the file is kept


def test_the_archives_figures_count_households_people_tags_visits_and_requests(ctx):
    from kiosk_app.services import archive_figures

    first = household_in(0)  # G1: lives alone (plain), disability (sensitive)
    archive.add_member(staff("admin-hq"), first.id, {"name": "王小红", "relation": "grandchild", "tags": ["minor"]})
    household_in(3, mobile="13900000005", id_number="", tags=["lives_alone"])  # G2
    archive.record_visit(staff("grid-hq1"), first.id, {"found": "一切正常"})
    archive.record_visit(staff("grid-hq1"), first.id, {"found": "需送药", "follow_up_due": "2026-01-02"})
    tickets.submit_request({"name": "张桂兰", "mobile": "13912345678", "building": str(building_of("HQ", 0).id),
                            "details": "助餐", "id_number": ""}, service=service_by_code("facility-repair"),
                           community=community("HQ"), channel=Channel.KIOSK)
    seen = archive_figures.figures(staff("staff-hq"))
    by_grid = {line.grid.code: line for line in seen.grids}
    tag_id = {tag.code: tag.id for tag in seen.tags}
    assert (by_grid["G1"].households, by_grid["G1"].people) == (1, 2) and by_grid["G2"].people == 1
    assert by_grid["G1"].by_tag[tag_id["lives_alone"]] == 1 and by_grid["G1"].by_tag[tag_id["disability"]] == 1
    assert by_grid["G1"].by_tag[tag_id["minor"]] == 1
    assert [(w.visits, w.overdue) for w in seen.workers] == [(2, 1)]
    assert ("独居老人", "公共设施报修", 1) in seen.asked
    worker = archive_figures.figures(staff("grid-hq1"))  # their grid alone
    assert [line.grid.code for line in worker.grids] == ["G1"]
    district = archive_figures.figures(staff("admin-district"))  # counts for the district, no sensitive tag
    assert {line.grid.code for line in district.grids} == {"G1", "G2"}
    assert "disability" not in {tag.code for tag in district.tags}
    with pytest.raises(Forbidden):
        archive_figures.figures(staff("volunteer-hq"))


def test_a_building_moved_to_another_grid_takes_its_households_with_it(ctx):
    from kiosk_app.services.admin import org

    household = household_in(0)  # B01 of G1
    building = building_of("HQ", 0)
    g2 = building_of("HQ", 3).grid_id
    org.save_building(staff("admin-hq"), building.community_id, building.id, {"name_zh": building.name_zh, "grid_id": str(g2),
                                                       "units": str(building.units), "position": str(building.position)})
    with pytest.raises(NotFound):
        archive.household_file(staff("grid-hq1"), household.id)
    assert archive.household_file(staff("grid-hq2"), household.id).household.grid_id == g2


def test_sensitive_data_is_for_the_grids_of_a_workers_posts_not_their_building_posts(ctx):
    from kiosk_app.models import GridLevel, StaffBuilding

    household = household_in(3)  # B04, grid G2: disability (sensitive)
    archive.record_visit(staff("admin-hq"), household.id, {"found": "腿脚不便"})
    worker = staff("grid-hq1")  # posted to G1; now also building head of B04
    db.session.add(StaffBuilding(staff_id=worker.id, building_id=building_of("HQ", 3).id,
                                 level_id=db.session.scalar(db.select(GridLevel.id).filter_by(code="building-head"))))
    db.session.commit()
    shown = archive.reveal(worker, household.id)
    assert shown.members[0].sensitive_tags is None and shown.visits[0].found is None
    assert archive.reveal(staff("grid-hq2"), household.id).visits[0].found == "腿脚不便"
    from kiosk_app.services import registers
    from kiosk_app.services.errors import Forbidden as Refused

    with pytest.raises(Refused):
        registers.register(worker, building_of("HQ", 3).id, "disability")
    with pytest.raises(InvalidInput):  # nor record one there
        archive.add_member(worker, household.id, {"name": "李小明", "relation": "child", "tags": ["minor"]})


def test_a_tag_given_twice_is_kept_once(ctx):
    household = household_in(0, tags=["veteran", "veteran", "disability", "disability"])
    member = household.members[0]
    assert [t.code for t in member.tags] == ["veteran"] and member.sensitive_tags == "disability"


def test_what_households_with_a_tag_ask_for_follows_the_files_links(ctx):
    from kiosk_app.services import archive_figures

    household = household_in(0)  # the head lives alone (a plain tag)
    archive.add_member(staff("admin-hq"), household.id, {"name": "张小军", "relation": "child", "mobile": "13600000001"})

    def submit(mobile):
        return tickets.submit_request({"name": "张小军", "mobile": mobile, "building": str(building_of("HQ", 0).id),
                                       "details": "代母亲申请", "id_number": ""}, service=service_by_code("facility-repair"),
                                      community=community("HQ"), channel=Channel.KIOSK)

    by_child, unrelated, by_hand = submit("13600000001"), submit("13500000000"), submit("13500000001")
    admin = staff("admin-hq")
    assert ("独居老人", "公共设施报修", 1) in archive_figures.figures(admin).asked  # the child's, for the household
    archive.link_ticket(admin, household.id, by_child.number, linked=False)
    archive.link_ticket(admin, household.id, by_hand.number, linked=True)
    assert ("独居老人", "公共设施报修", 1) in archive_figures.figures(admin).asked  # now the one linked by hand
    assert unrelated.id not in [t.id for t in archive.household_file(admin, household.id).tickets]


def test_a_round_or_plan_narrowed_to_a_sensitive_tag_is_recorded_and_one_by_a_plain_tag_is_not(ctx):
    from kiosk_app.services import plans, rounds

    household = household_in(0)  # G1: 独居老人 and 残疾 (sensitive)
    worker = staff("grid-hq1")

    def views(entity):
        return list(db.session.scalars(db.select(AuditEvent).filter_by(entity=entity, action="view_personal_data")))

    assert [line.household_id for line in rounds.my_round(worker, "lives_alone").not_visited] == [household.id]
    plans.plan(worker, household.grid_id, "tag", "lives_alone")
    assert views("round") == [] and views("grid_plan") == []
    assert [line.household_id for line in rounds.my_round(worker, "disability").not_visited] == [household.id]
    [seen] = views("round")
    assert seen.actor_staff_id == worker.id and '"disability"' in seen.after and str(household.id) in seen.after
    assert views("grid_plan") == []  # the round's own plans are part of its one recorded view
    plans.plan(worker, household.grid_id, "tag", "disability")
    [plan_seen] = views("grid_plan")
    assert plan_seen.entity_id == household.grid_id
