"""The demo district: complete enough to try every flow, and safe to load twice."""


from kiosk_app.extensions import db
from kiosk_app.models import Area, AreaLevel, Building, Grid, Role, Service, ServiceCategory, Staff, Terminal
from kiosk_app.services import seed


def counts():
    return {model.__name__: db.session.query(model).count()
            for model in (Area, Grid, Building, ServiceCategory, Service, Terminal, Staff)}


def test_demo_district_has_what_the_flows_need(ctx):
    areas = db.session.scalars(db.select(Area)).all()
    levels = [a.level for a in areas]
    assert levels.count(AreaLevel.DISTRICT) == 1
    assert levels.count(AreaLevel.STREET) == 2
    assert levels.count(AreaLevel.COMMUNITY) == 3
    services = db.session.scalars(db.select(Service)).all()
    assert len(services) >= 12
    assert len({s.category_id for s in services}) >= 4
    assert sum(s.guidance_only for s in services) >= 3
    assert all(s.guidance_zh and s.guidance_en for s in services if s.guidance_only)
    for community in (a for a in areas if a.level == AreaLevel.COMMUNITY):
        kinds = sorted(t.kind.value for t in db.session.scalars(db.select(Terminal).filter_by(community_id=community.id)))
        assert kinds == ["kiosk", "locker"]
        assert community.buildings, community.code
        assert db.session.query(Grid).filter_by(community_id=community.id).count() >= 2
    assert {s.role for s in db.session.scalars(db.select(Staff))} == set(Role)


def test_seeding_twice_duplicates_nothing(ctx):
    before = counts()
    report = seed.seed_demo()
    assert report.created == {} and report.new_staff == []
    assert counts() == before


def test_seed_command_prints_staff_names_once(make_app):
    app = make_app()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "admin-hq" in first.output and "password" in first.output
    second = runner.invoke(args=["seed-demo"])
    assert "nothing to add" in second.output
    assert "password " not in second.output.replace("passwords were", "")


def test_the_grid_ladder_and_posts_are_data(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["grid-level", "leader", "--name-zh", "网格长（片长）", "--rank", "2"])
    assert result.exit_code == 0 and "网格长（片长）" in result.output
    result = runner.invoke(args=["grid-post", "grid-hq1", "G3", "--community", "HQ", "--level", "leader"])
    assert result.exit_code == 0 and "HQ/G3 (网格长（片长）)" in result.output and "HQ/G1" in result.output
    from kiosk_app.services import queue

    from ..helpers import make_ticket, staff

    with app.app_context():
        g3_ticket = make_ticket(building_index=6)  # a building of grid G3
        seen = [t.number for t in queue.queue(staff("grid-hq1"), queue.Filters()).tickets]
        assert g3_ticket.number in seen
    result = runner.invoke(args=["grid-post", "grid-hq1", "G3", "--community", "HQ", "--level", "leader", "--remove"])
    assert "HQ/G3" not in result.output


def test_compartments_are_data(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["compartment", "HQ-L1", "13", "--size", "L", "--board", "2", "--lock", "1"])
    assert result.exit_code == 0, result.output
    clash = runner.invoke(args=["compartment", "HQ-L1", "14", "--size", "S", "--board", "2", "--lock", "1"])
    assert clash.exit_code != 0 and "已接到另一个柜门" in clash.output
    from kiosk_app.models import Compartment, Terminal

    with app.app_context():
        terminal = db.session.scalar(db.select(Terminal).filter_by(code="HQ-L1"))
        door = db.session.scalar(db.select(Compartment).filter_by(terminal_id=terminal.id, number=13))
        assert (door.size.value, door.board, door.lock) == ("L", 2, 1)


def test_the_demo_gets_a_fictional_archive_once(make_app):
    from kiosk_app.models import Household, Member, Visit
    from kiosk_app.services import archive, rounds

    from ..helpers import staff

    app = make_app()
    assert "households" in app.test_cli_runner().invoke(args=["seed-demo"]).output
    with app.app_context():
        households = db.session.query(Household).count()
        assert households >= 100
        members = db.session.scalars(db.select(Member)).all()
        assert all(m.mobile.startswith("1700000") for m in members if m.mobile) and not any(m.id_number for m in members)
        assert any("lives_alone" not in m.sensitive_tags and any(t.code == "lives_alone" for t in m.tags) for m in members)
        assert any(m.sensitive_tags for m in members) and db.session.query(Visit).count() > 0
        worker = staff("grid-hq1")
        mine = rounds.my_round(worker)
        assert mine.not_visited or mine.due  # the round has something to do
        assert archive.household_file(worker, mine.not_visited[0].household_id if mine.not_visited
                                      else mine.due[0].household_id).members
        assert seed.seed_demo(archive=True).created == {}  # once
        assert db.session.query(Household).count() == households
