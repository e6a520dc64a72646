"""The queue: scope, order, filters, search, counts, pages, a fixed number of queries; figures."""

from datetime import date, datetime, timedelta, timezone

import pytest

from kiosk_app.extensions import db
from kiosk_app.models import Status
from kiosk_app.services import figures, queue, workflow
from kiosk_app.services.errors import NotFound
from kiosk_app.services.queue import Filters

from ..helpers import QueryCounter, completed_at, make_ticket, staff

TODAY = date(2026, 11, 26)


def numbers(page):
    return [t.number for t in page.tickets]


def test_overdue_first_then_by_due_date(ctx):
    later = make_ticket(due_date=TODAY + timedelta(days=5))
    overdue = make_ticket(due_date=TODAY - timedelta(days=2))
    today = make_ticket(due_date=TODAY)
    older_overdue = make_ticket(due_date=TODAY - timedelta(days=9))
    page = queue.queue(staff("staff-hq"), Filters(), TODAY)
    assert numbers(page) == [older_overdue.number, overdue.number, today.number, later.number]


def test_finished_tickets_leave_the_default_view_but_overdue_still_lead_in_all(ctx):
    done = make_ticket(status=Status.CLOSED, due_date=TODAY - timedelta(days=30))
    overdue = make_ticket(due_date=TODAY - timedelta(days=1))
    assert done.number not in numbers(queue.queue(staff("staff-hq"), Filters(), TODAY))
    everything = numbers(queue.queue(staff("staff-hq"), Filters(status="all"), TODAY))
    assert everything == [overdue.number, done.number]


def test_each_role_sees_its_scope(ctx):
    hq_g1, hq_g2 = make_ticket(building_index=0), make_ticket(building_index=3)
    visit = make_ticket(service_code="home-visit", building_index=6)
    xj = make_ticket("XJ")
    seen = {u: set(numbers(queue.queue(staff(u), Filters(), TODAY)))
            for u in ("admin-district", "admin-hq", "staff-hq", "grid-hq1", "grid-hq2", "volunteer-hq", "staff-xj")}
    hq = {hq_g1.number, hq_g2.number, visit.number}
    assert seen["admin-district"] == hq | {xj.number}
    assert seen["admin-hq"] == seen["staff-hq"] == hq
    assert seen["grid-hq1"] == {hq_g1.number}
    assert seen["grid-hq2"] == {hq_g2.number, visit.number}
    assert seen["volunteer-hq"] == {visit.number}
    assert seen["staff-xj"] == {xj.number}


def test_filters_combine(ctx):
    me = staff("grid-hq2")
    mine = make_ticket(building_index=3, status=Status.ACCEPTED, assignee="grid-hq2", due_date=TODAY)
    make_ticket(building_index=3, due_date=TODAY)
    make_ticket(building_index=4, service_code="sanitation", due_date=TODAY - timedelta(days=1))
    assert numbers(queue.queue(me, Filters(mine=True), TODAY)) == [mine.number]
    assert len(queue.queue(me, Filters(due_today=True), TODAY).tickets) == 2
    assert len(queue.queue(me, Filters(overdue=True), TODAY).tickets) == 1
    sanitation = workflow_service_id("sanitation")
    assert len(queue.queue(me, Filters(service=sanitation), TODAY).tickets) == 1
    assert len(queue.queue(me, Filters(status="accepted"), TODAY).tickets) == 1
    assert len(queue.queue(me, Filters(channel="counter"), TODAY).tickets) == 0


def workflow_service_id(code):
    from ..helpers import service_by_code

    return service_by_code(code).id


def test_search_by_number_or_last_four_digits(ctx):
    a = make_ticket(mobile="13911112222")
    b = make_ticket(mobile="13933334444")
    me = staff("staff-hq")
    assert numbers(queue.queue(me, Filters(q="2222"), TODAY)) == [a.number]
    assert numbers(queue.queue(me, Filters(q=b.number.lower()), TODAY)) == [b.number]
    assert numbers(queue.queue(me, Filters(q=b.number[-7:]), TODAY)) == [b.number]


def test_a_grid_filter_outside_scope_is_not_found(ctx):
    xj_grid = make_ticket("XJ").grid_id
    with pytest.raises(NotFound):
        queue.queue(staff("staff-hq"), Filters(grid=xj_grid), TODAY)
    hq_g2 = make_ticket(building_index=3).grid_id
    with pytest.raises(NotFound):
        queue.queue(staff("grid-hq1"), Filters(grid=hq_g2), TODAY)


def test_counts_per_status_and_pages(ctx):
    for _ in range(queue.PAGE_SIZE + 3):
        make_ticket()
    make_ticket(status=Status.NEEDS_INFO, assignee="staff-hq")
    make_ticket(status=Status.CLOSED)
    first = queue.queue(staff("staff-hq"), Filters(), TODAY)
    assert (first.total, first.pages, len(first.tickets)) == (queue.PAGE_SIZE + 4, 2, queue.PAGE_SIZE)
    assert first.status_counts["submitted"] == queue.PAGE_SIZE + 3
    assert first.status_counts["needs_info"] == 1 and first.status_counts["closed"] == 1
    assert first.status_counts["open"] == queue.PAGE_SIZE + 4 and first.status_counts["all"] == queue.PAGE_SIZE + 5
    second = queue.queue(staff("staff-hq"), Filters(page=2), TODAY)
    assert len(second.tickets) == 4 and not set(numbers(first)) & set(numbers(second))
    beyond = queue.queue(staff("staff-hq"), Filters(page=99), TODAY)
    assert beyond.page == 2


def test_the_queue_runs_the_same_queries_for_5_or_50_tickets(ctx):
    def run():
        staff_member = staff("admin-district")
        db.session.expire_all()
        with QueryCounter(db.engine) as counter:
            page = queue.queue(staff_member, Filters(status="all"), TODAY)
            for t in page.tickets:  # everything the page shows
                _ = (t.service.name, t.grid.name, t.building.name, t.assignee and t.assignee.display_name)
        return counter.count

    for i in range(5):
        make_ticket(assignee="staff-hq", building_index=i)
    few = run()
    for i in range(45):
        make_ticket("XJ" if i % 2 else "HQ", assignee="staff-hq" if i % 3 else None, building_index=i % 4)
    # count, page (joined), counts of the open and of the finished states; plus reloading the
    # expired account
    assert run() == few <= 5


def test_counts_come_from_the_kept_counts_exact_at_once_whatever_the_caching(ctx):
    from kiosk_app.models import Status
    from kiosk_app.services import cache as keeping

    from ..helpers import QueryCounter

    ctx.config["CACHE_SECONDS"] = 60
    keeping.forget()
    me = staff("staff-hq")
    make_ticket(status=Status.CLOSED)
    assert queue.status_counts(me, Filters(), TODAY)["closed"] == 1
    make_ticket(status=Status.CLOSED)
    make_ticket()
    with QueryCounter(db.engine) as queries:
        counts = queue.status_counts(me, Filters(status="all"), TODAY)
    assert counts["closed"] == 2 and counts["submitted"] == 1 and counts["all"] == 3
    # Read from the kept counts, however long the history: the tickets table is not read at all.
    assert queries.statements and not [q for q in queries.statements if "FROM tickets" in q]
    page = queue.queue(me, Filters(status="closed"), TODAY)
    assert page.total == 2 and len(page.tickets) == 2
    keeping.forget()


def test_under_a_filter_the_counts_do_not_hold_finished_ones_are_kept_a_while(ctx, monkeypatch):
    from kiosk_app.models import Status
    from kiosk_app.services import cache as keeping

    ctx.config["CACHE_SECONDS"] = 60
    keeping.forget()
    clock = [1000.0]
    monkeypatch.setattr(keeping.time, "monotonic", lambda: clock[0])
    me = staff("staff-hq")
    mine = Filters(mine=True)
    make_ticket(status=Status.CLOSED, assignee="staff-hq")
    first = queue.status_counts(me, mine, TODAY)
    assert first["closed"] == 1 and first.get("in_progress", 0) == 0
    make_ticket(status=Status.CLOSED, assignee="staff-hq")
    make_ticket(status=Status.IN_PROGRESS, assignee="staff-hq")
    kept = queue.status_counts(me, mine, TODAY)
    assert kept["in_progress"] == 1 and kept["closed"] == 1  # the open count at once, the history kept
    clock[0] += 61
    assert queue.status_counts(me, mine, TODAY)["closed"] == 2
    keeping.forget()


def test_deadline_counts_for_the_navigation(ctx):
    make_ticket(due_date=TODAY - timedelta(days=1))
    make_ticket(due_date=TODAY)
    make_ticket(due_date=TODAY)
    make_ticket(due_date=TODAY + timedelta(days=1))
    make_ticket(due_date=TODAY - timedelta(days=3), status=Status.COMPLETED)
    assert queue.deadline_counts(staff("staff-hq"), TODAY) == {"overdue": 1, "due_today": 2}
    assert queue.deadline_counts(staff("staff-xj"), TODAY) == {"overdue": 0, "due_today": 0}


def test_the_deadline_counts_read_the_open_tickets_index_up_to_today(ctx):
    """On every staff page: SQLite read every open ticket's row for them (by the community and status
    index) rather than the open tickets' index up to today's date."""
    make_ticket()
    with QueryCounter(db.engine) as queries:
        queue.deadline_counts(staff("staff-hq"), TODAY)
    if db.engine.dialect.name == "sqlite":
        assert "ix_tickets_open_community" in queries.plan(-1), queries.plan(-1)


def test_figures_for_a_period(ctx):
    tz = timezone.utc
    monday = datetime(2025, 6, 9, 1, 0, tzinfo=tz)  # 09:00 in Beijing
    a = make_ticket(created_at=monday, due_date=date(2025, 6, 12))
    b = make_ticket(created_at=monday, service_code="sanitation", building_index=3, due_date=date(2025, 6, 11))
    make_ticket(created_at=monday, status=Status.REJECTED)
    make_ticket(created_at=datetime(2025, 7, 1, 1, 0, tzinfo=tz))  # outside the period
    make_ticket("XJ", created_at=monday)  # outside the scope
    admin = staff("admin-hq")
    for ticket, hours in ((a, 3), (b, 10)):
        workflow.apply_action(admin, ticket.id, "accept")
        done = workflow.apply_action(admin, ticket.id, "complete", note="好了")
        # Completed some office hours after 09:00 Monday (office: 09–12, 13:30–17:30).
        completed_at(done, monday + timedelta(hours=hours if hours < 4 else 24 + 1.5))
    result = figures.community_figures(admin, date(2025, 6, 1), date(2025, 6, 30),
                                       today=date(2025, 6, 30))
    assert (result.total.received, result.total.done, result.total.rejected, result.total.open) == (3, 2, 1, 0)
    assert result.completed_count == 2
    # a: 3 office hours; b: all of Monday (7 h) + 09:00–10:30 Tuesday (1.5 h) = 8.5 h → median 5.75
    assert result.median_hours == pytest.approx(5.8, abs=0.05)
    services = dict(result.by_service)
    assert services["公共设施报修"].received == 2 and services["环境卫生问题反映"].done == 1
    assert sum(row.received for _, row in result.by_grid) == 3


def test_figures_read_the_calendar_once_however_many_tickets_were_completed(ctx):
    """With caching off (as the suite runs), each ticket's working hours had read the calendar again."""
    tz = timezone.utc
    admin = staff("admin-hq")

    def completed(n):
        for _ in range(n):
            ticket = make_ticket(created_at=datetime(2025, 6, 9, 1, 0, tzinfo=tz))
            workflow.apply_action(admin, ticket.id, "accept")
            completed_at(workflow.apply_action(admin, ticket.id, "complete", note="好了"),
                         datetime(2025, 6, 11, 3, 0, tzinfo=tz))
        with QueryCounter(db.engine) as queries:
            figures.community_figures(admin, date(2025, 6, 1), date(2025, 6, 30),
                                      today=date(2025, 6, 30))
        return queries.count

    few = completed(2)
    assert completed(20) == few


def test_figures_list_grids_in_the_order_of_their_codes_and_say_what_a_median_of_zero_means(ctx):
    monday = datetime(2025, 6, 9, 1, 0, tzinfo=timezone.utc)  # 09:00 in Beijing
    for index in (6, 3):  # grids G3 (第三网格) and G2 (第二网格): by their characters 第三 sorts before 第二
        make_ticket(created_at=monday, building_index=index)
    evening = make_ticket(created_at=monday + timedelta(hours=12))  # 21:00, after office hours
    admin = staff("admin-hq")
    workflow.apply_action(admin, evening.id, "accept")
    done = workflow.apply_action(admin, evening.id, "complete", note="当晚办好")
    completed_at(done, monday + timedelta(hours=13))  # 22:00 the same evening
    result = figures.community_figures(admin, date(2025, 6, 1), date(2025, 6, 30),
                                       today=date(2025, 6, 30))
    assert [name for name, _ in result.by_grid] == ["红旗路社区 · 第一网格", "红旗路社区 · 第二网格", "红旗路社区 · 第三网格"]
    assert (result.median_hours, result.outside_office_hours, result.median_elapsed_hours) == (0, 1, 1.0)


def walk(me, filters):
    """Every page from the first by its Next link, then back by Previous: the pages seen each way."""
    from urllib.parse import parse_qs

    def follow(query):
        return Filters.from_args({k: v[0] for k, v in parse_qs(query).items()})

    forward, page = [], queue.queue(me, filters, TODAY)
    while True:
        forward.append(numbers(page))
        following = page.next_page(filters)
        if following is None:
            break
        filters = follow(following)
        page = queue.queue(me, filters, TODAY)
    backward = [numbers(page)]
    while (earlier := page.previous_page(filters)) is not None:
        filters = follow(earlier)
        page = queue.queue(me, filters, TODAY)
        backward.append(numbers(page))
    return forward, backward[::-1]


def test_pages_follow_one_another_by_key_both_ways_without_gaps_or_repeats(ctx):
    for i in range(queue.PAGE_SIZE * 2 + 7):
        ticket = make_ticket(due_date=TODAY + timedelta(days=i % 5 - 2),
                             status=Status.CLOSED if i % 3 == 0 else None)
    me = staff("staff-hq")
    for filters, expected in (
        (Filters(status="all"), [t.number for t in db.session.scalars(
            db.select(queue.Ticket).where(queue.Ticket.community_id == ticket.community_id)
            .order_by(queue.Ticket.id.desc()))]),
        (Filters(), [t.number for t in db.session.scalars(
            db.select(queue.Ticket).where(queue.Ticket.community_id == ticket.community_id,
                                          queue.Ticket.status.in_(queue.OPEN))
            .order_by(queue.Ticket.due_date, queue.Ticket.id))]),
    ):
        forward, backward = walk(me, filters)
        assert [n for page in forward for n in page] == expected  # newest first / by due date, all of them
        assert backward == forward and all(len(p) == queue.PAGE_SIZE for p in forward[:-1])


def test_a_page_asked_for_by_number_or_with_a_broken_key_still_answers(ctx):
    for _ in range(queue.PAGE_SIZE + 3):
        make_ticket()
    me = staff("staff-hq")
    second = numbers(queue.queue(me, Filters(page=2), TODAY))
    assert len(second) == 3
    for broken in ("x", "2026-13-45.7", "12.34.56", "-1", "9" * 40):
        page = queue.queue(me, Filters.from_args({"page": "2", "after": broken}), TODAY)
        assert numbers(page) == second  # the key dropped: the page by its number


def test_the_open_states_are_written_as_the_partial_indexes_say_them(ctx):
    """SQLite uses a partial index only when the query repeats its condition with the same values (a
    bound parameter is not the same term): the queue's page of open tickets walks the open tickets'
    index in due-date order instead of a community's every ticket sorted."""
    from kiosk_app.models.ticket import OPEN_VALUES

    assert set(OPEN_VALUES) == {s.value for s in Status if s.is_open}
    make_ticket()
    with QueryCounter(db.engine) as queries:
        queue.queue(staff("staff-hq"), Filters(), TODAY)
    page = next(n for n, statement in enumerate(queries.statements) if "ORDER BY tickets.due_date" in statement)
    assert "'submitted', 'received'" in queries.statements[page]
    if db.engine.dialect.name == "sqlite":
        plan = queries.plan(page)
        assert "ix_tickets_open_community" in plan and "TEMP B-TREE FOR ORDER BY" not in plan, plan
