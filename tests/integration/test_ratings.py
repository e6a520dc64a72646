"""好差评: one rating per finished ticket, changeable for a week; poor ones open a follow-up."""

from datetime import timedelta

import pytest

from kiosk_app.extensions import db
from kiosk_app.models import FollowUp, FollowUpState, Rating, Status
from kiosk_app.models.base import utcnow
from kiosk_app.services import ratings, workdays
from kiosk_app.services.event_texts import event_note
from kiosk_app.services.errors import DomainError, Forbidden, InvalidInput, NotFound

from ..helpers import make_ticket, staff


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.ACCEPTED, Status.IN_PROGRESS, Status.REJECTED])
def test_no_rating_before_the_ticket_is_done(ctx, status):
    ticket = make_ticket(status=status)
    assert not ratings.can_rate(ticket)
    with pytest.raises(DomainError):
        ratings.rate(ticket, 5)


def test_one_rating_per_ticket_changeable_for_seven_days(ctx):
    ticket = make_ticket(status=Status.COMPLETED)
    ratings.rate(ticket, 4, "很好")
    ratings.rate(ticket, 5)
    assert db.session.query(Rating).count() == 1 and ratings.rating_of(ticket).level == 5
    ratings.rating_of(ticket).created_at = utcnow() - timedelta(days=8)
    db.session.commit()
    assert not ratings.can_rate(ticket)
    with pytest.raises(DomainError):
        ratings.rate(ticket, 1)


@pytest.mark.parametrize("level", ["0", "6", "abc", "", None, "99999999999"])
def test_only_the_five_answers(ctx, level):
    with pytest.raises(InvalidInput):
        ratings.rate(make_ticket(status=Status.CLOSED), level)


def test_a_poor_rating_opens_one_follow_up_due_in_five_working_days(ctx):
    ticket = make_ticket(status=Status.CLOSED)
    ratings.rate(ticket, 2, "等太久")
    ratings.rate(ticket, 1, "等太久了")
    [follow_up] = db.session.scalars(db.select(FollowUp)).all()
    assert follow_up.level == 1 and follow_up.state == FollowUpState.OPEN  # the rating as it stands
    assert follow_up.due_date == workdays.add_working_days(workdays.local_date(utcnow()), 5)


def test_a_poor_rating_changed_to_a_good_one_closes_its_follow_up_and_a_poor_one_again_opens_another(ctx):
    ticket = make_ticket(status=Status.CLOSED)
    ratings.rate(ticket, 2, "等太久")
    ratings.rate(ticket, 4, "后来解决了")
    [follow_up] = db.session.scalars(db.select(FollowUp)).all()
    assert (follow_up.state, follow_up.level, follow_up.closed_reason) == (FollowUpState.CLOSED, 4, "rating_raised")
    closed = [e for e in ticket.events if e.action == "follow_up_closed"]
    assert len(closed) == 1 and event_note(closed[0]) == "已自动结束：居民已将评价改为“满意”。"
    ratings.rate(ticket, 1)
    assert [f.state for f in db.session.scalars(db.select(FollowUp).order_by(FollowUp.id))] == \
        [FollowUpState.CLOSED, FollowUpState.OPEN]


def test_a_result_still_to_pick_up_is_not_rated_yet(ctx):
    waiting = make_ticket(status=Status.COMPLETED)
    waiting.physical_result = True
    db.session.commit()
    assert not ratings.can_rate(waiting)
    with pytest.raises(DomainError):
        ratings.rate(waiting, 5)
    nothing_to_collect = make_ticket(status=Status.COMPLETED)
    assert ratings.can_rate(nothing_to_collect)


def test_good_ratings_open_nothing(ctx):
    for level in (3, 4, 5):
        ratings.rate(make_ticket(status=Status.COMPLETED), level)
    assert db.session.query(FollowUp).count() == 0


def test_follow_ups_are_for_the_community_admin_and_the_district(ctx):
    hq = make_ticket(status=Status.CLOSED)
    xj = make_ticket("XJ", status=Status.CLOSED)
    ratings.rate(hq, 1)
    ratings.rate(xj, 2)
    assert [f.ticket_id for f in ratings.follow_ups(staff("admin-hq"))] == [hq.id]
    assert {f.ticket_id for f in ratings.follow_ups(staff("admin-district"))} == {hq.id, xj.id}
    with pytest.raises(Forbidden):
        ratings.follow_ups(staff("staff-hq"))
    xj_follow_up = db.session.scalar(db.select(FollowUp).filter_by(ticket_id=xj.id))
    with pytest.raises(NotFound):
        ratings.get_follow_up(staff("admin-hq"), xj_follow_up.id)


def test_closing_a_follow_up_needs_what_was_found_and_done(ctx):
    ticket = make_ticket(status=Status.CLOSED)
    ratings.rate(ticket, 1)
    follow_up = db.session.scalar(db.select(FollowUp))
    with pytest.raises(InvalidInput) as caught:
        ratings.close_follow_up(staff("admin-hq"), follow_up.id, "", " ")
    assert set(caught.value.errors) == {"findings", "actions_taken"}
    ratings.close_follow_up(staff("admin-hq"), follow_up.id, "电话回访，居民反映等待时间长", "已调整网格员排班")
    assert follow_up.state == FollowUpState.CLOSED and follow_up.closed_by.username == "admin-hq"
    assert ticket.events[-1].action == "follow_up_closed" and not ticket.events[-1].public
    with pytest.raises(DomainError):
        ratings.close_follow_up(staff("admin-hq"), follow_up.id, "x", "y")


def test_satisfaction_figures_for_a_period(ctx):
    from kiosk_app.services import figures, workdays as wd

    admin = staff("admin-district")
    for level, code, community_code in [(5, "facility-repair", "HQ"), (4, "facility-repair", "HQ"),
                                        (1, "sanitation", "HQ"), (3, "sanitation", "XJ")]:
        ratings.rate(make_ticket(community_code, service_code=code, status=Status.CLOSED), level)
    follow_up = db.session.scalar(db.select(FollowUp))
    ratings.close_follow_up(staff("admin-hq"), follow_up.id, "回访", "改进")
    today = wd.local_date(utcnow())
    result = figures.community_figures(admin, today - timedelta(days=1), today, today)
    assert (result.satisfaction.ratings, result.satisfaction.satisfied, result.satisfaction.poor) == (4, 2, 1)
    assert result.satisfaction.share == 50.0
    services = dict(result.satisfaction_by_service)
    assert services["公共设施报修"].share == 100.0 and services["环境卫生问题反映"].poor == 1
    assert dict(result.satisfaction_by_community)["新建路社区"].ratings == 1
    assert (result.follow_ups_closed, result.follow_ups_on_time, result.follow_ups_overdue) == (1, 1, 0)
    only_hq = figures.community_figures(staff("admin-hq"), today - timedelta(days=1), today, today)
    assert only_hq.satisfaction.ratings == 3
