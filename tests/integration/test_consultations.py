"""Consultations (民议 · 民决) on a real database: scope, one household one vote, codes, closing by the rule."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from kiosk_app.extensions import db
from kiosk_app.models import Consultation, Notification, Vote
from kiosk_app.models.base import utcnow
from kiosk_app.services import archive, codes, consultations, discussion, participation, voting
from kiosk_app.services.consultations import Phase
from kiosk_app.services.errors import Forbidden, InvalidInput, NotFound, Throttled

from ..helpers import building_of, staff
from .test_sealed import stored_text


def local(moment) -> str:
    from kiosk_app.services.workdays import LOCAL_TZ

    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")


def draft(**changes) -> Consultation:
    """A consultation for the households of HQ's first building (B01), its discussion open now."""
    now = utcnow()
    form = {"title": "3号楼加装电梯", "matter": "是否同意加装电梯，费用按楼层分摊。", "scope": "buildings",
            "buildings": [str(building_of("HQ", 0).id)], "choices": "同意", "against": "1", "abstain": "1",
            "rule": "two_thirds", "discussion_from": local(now - timedelta(hours=1)),
            "discussion_to": local(now + timedelta(days=1)), "vote_from": local(now + timedelta(days=1)),
            "vote_to": local(now + timedelta(days=2)), **changes}
    return consultations.save_draft(staff("admin-hq"), form)


def published(**changes) -> Consultation:
    return consultations.publish(staff("admin-hq"), draft(**changes).id)


def move_to(consultation: Consultation, wanted: Phase) -> None:
    """Shift the timetable so that ``wanted`` is the phase now."""
    now = utcnow()
    hour = timedelta(hours=1)
    starts = {Phase.DISCUSSION: now - hour, Phase.VOTING: now - 3 * hour, Phase.COUNTING: now - 4 * hour}[wanted]
    consultation.discussion_from, consultation.discussion_to = starts, starts + hour
    consultation.vote_from, consultation.vote_to = starts + hour, starts + (4 * hour if wanted == Phase.VOTING else 2 * hour)
    db.session.commit()
    assert consultations.phase(consultation) == wanted


def household(index: int = 0, room: str = "101", mobile: str = "13900000001"):
    return archive.create_household(staff("admin-hq"), building_of("HQ", index).id, {
        "unit": "1", "room": room, "name": "赵大妈", "mobile": mobile, "birth_date": "1950-01-01", "tags": [],
        "basis": "consent", "basis_on": "2026-11-01"})


def code_sent_to(consultation: Consultation) -> str:
    message = db.session.scalars(db.select(Notification).filter_by(consultation_id=consultation.id)
                                 .order_by(Notification.id.desc())).first()
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def verified(consultation: Consultation, mobile: str = "13900000001"):
    participation.send_code(consultation, mobile)
    return participation.confirm_code(consultation, participation.number_of(mobile), code_sent_to(consultation))


def adopted_with_task(*on_paper, owner_kind: str = "organisation"):
    """A consultation of HQ's first building adopted — the household with 13900000001 (made by the
    caller) votes by phone, the households ``on_paper`` on paper — and given one task:
    (consultation, task)."""
    from kiosk_app.services import carrying_out

    consultation = published()
    move_to(consultation, Phase.VOTING)
    voting.cast(consultation, verified(consultation), consultation.options[0].id)
    for other in on_paper:
        voting.paper(staff("staff-hq"), consultation.id, other.id, consultation.options[0].id)
    move_to(consultation, Phase.COUNTING)
    consultations.close(staff("admin-hq"), consultation.id)
    task = carrying_out.add(staff("admin-hq"), consultation.id, {
        "title": "加装电梯", "owner_kind": owner_kind, "owner": "电梯公司", "due_on": "2027-06-01"})
    return consultation, task


def test_a_household_of_the_scope_verifies_by_a_code_comments_and_votes_once(ctx):
    household(0)
    consultation = published()
    voter = verified(consultation)
    assert voter.label == "1号楼 赵*妈"
    discussion.comment(consultation, voter, "支持，但请公示费用明细。")
    [shown] = discussion.comments(consultation)
    assert shown.author == "1号楼 赵*妈" and shown.body.startswith("支持")
    move_to(consultation, Phase.VOTING)
    agree, against = consultation.options[0], consultation.options[1]
    voting.cast(consultation, voter, agree.id)
    voting.cast(consultation, voter, against.id)  # changed its mind: replaces, does not add
    [vote] = db.session.scalars(db.select(Vote).filter_by(consultation_id=consultation.id))
    assert vote.times == 2 and voting.household_vote(consultation, voter).id == against.id
    assert consultations.turnout(consultation) == (1, 1)
    assert f"'{against.id}'" not in stored_text(db.engine)  # the choice is sealed


def test_a_resident_outside_the_scope_gets_no_code_and_cannot_comment_or_vote(ctx):
    household(1, mobile="13900000002")  # B02: not in the scope
    consultation = published()
    participation.send_code(consultation, "13900000002")  # the page says the same as for anyone
    assert db.session.scalar(db.select(db.func.count(Notification.id)).filter_by(consultation_id=consultation.id)) == 0
    outsider = participation.Voter(consultation.id, 1, 1, "x")  # a forged voter is checked again
    with pytest.raises(InvalidInput):
        discussion.comment(consultation, outsider, "我也要说")
    move_to(consultation, Phase.VOTING)
    with pytest.raises(InvalidInput):
        voting.cast(consultation, outsider, consultation.options[0].id)
    mine = household(0, room="103", mobile="13900000003")  # in scope of both
    voter = verified(consultation, "13900000003")
    other = published(title="另一议题")
    move_to(other, Phase.VOTING)
    with pytest.raises(InvalidInput):  # a voter of one consultation is nobody in another
        voting.cast(other, voter, other.options[0].id)
    voting.cast(other, participation.Voter(other.id, mine.id, voter.member_id, voter.label), other.options[0].id)


def test_a_wrong_or_reused_code_is_refused_and_tries_are_throttled(ctx):
    household(0)
    consultation = published()
    participation.send_code(consultation, "13900000001")
    code = code_sent_to(consultation)
    wrong = f"{(int(code) + 1) % 10 ** 6:06d}"
    with pytest.raises(InvalidInput):
        participation.confirm_code(consultation, participation.number_of("13900000001"), wrong)
    assert participation.confirm_code(consultation, participation.number_of("13900000001"), code).household_id
    with pytest.raises(InvalidInput):  # used once
        participation.confirm_code(consultation, participation.number_of("13900000001"), code)
    with pytest.raises(Throttled):  # a second code at once: wait first
        participation.send_code(consultation, "13900000001")
    for _ in range(codes.TRIES_PER_HOUR - 1):  # (the reused code was one)
        with pytest.raises(InvalidInput):
            participation.confirm_code(consultation, participation.number_of("13900000001"), wrong)
    with pytest.raises(Throttled):
        participation.confirm_code(consultation, participation.number_of("13900000001"), wrong)


def test_a_code_is_spent_after_a_few_wrong_tries(ctx):
    household(0)
    consultation = published()
    participation.send_code(consultation, "13900000001")
    code = code_sent_to(consultation)
    for _ in range(codes.TRIES_PER_CODE):
        with pytest.raises(InvalidInput):
            participation.confirm_code(consultation, participation.number_of("13900000001"), f"{(int(code) + 7) % 10 ** 6:06d}")
    with pytest.raises(InvalidInput):
        participation.confirm_code(consultation, participation.number_of("13900000001"), code)


def test_twenty_votes_at_once_from_one_household_leave_one_vote(app):
    with app.app_context():
        household(0)
        consultation = published()
        voter = verified(consultation)
        move_to(consultation, Phase.VOTING)
        consultation_id, options = consultation.id, [o.id for o in consultation.options]
    barrier, errors = threading.Barrier(20), []

    def vote(n):
        with app.app_context():
            try:
                barrier.wait()
                voting.cast(db.session.get(Consultation, consultation_id), voter, options[n % len(options)])
            except Exception as error:  # noqa: BLE001
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=vote, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with app.app_context():
        [row] = db.session.scalars(db.select(Vote).filter_by(consultation_id=consultation_id))
        assert row.times == 20 and int(row.choice) in options


def test_closing_applies_the_rule_and_publishes_counts(ctx):
    for n, mobile in enumerate(("13900000001", "13900000002", "13900000003")):
        household(0, room=f"10{n + 1}", mobile=mobile)
    consultation = published()
    move_to(consultation, Phase.VOTING)
    voters = [verified(consultation, mobile) for mobile in ("13900000001", "13900000002")]
    agree, against, _abstain = consultation.options
    for voter in voters:
        voting.cast(consultation, voter, agree.id)
    with pytest.raises(InvalidInput):  # not before the vote is over
        consultations.close(staff("admin-hq"), consultation.id)
    move_to(consultation, Phase.COUNTING)
    closed = consultations.close(staff("admin-hq"), consultation.id)
    result = consultations.result(closed)
    assert closed.adopted and result["voted"] == 2 and result["households"] == 3  # 2 of 3: two-thirds exactly
    assert [(option.shown, count) for option, count in result["lines"]] == [("同意", 2), ("不同意", 0), ("弃权", 0)]
    with pytest.raises(InvalidInput):  # counted once; no vote after
        consultations.close(staff("admin-hq"), consultation.id)
    with pytest.raises(InvalidInput):
        voting.cast(consultation, voters[0], against.id)


def test_staff_enter_a_paper_vote_for_a_household_of_the_scope_only(ctx):
    mine, elsewhere = household(0), household(1, mobile="13900000002")
    consultation = published()
    move_to(consultation, Phase.VOTING)
    voting.paper(staff("staff-hq"), consultation.id, mine.id, consultation.options[0].id)
    with pytest.raises(InvalidInput):
        voting.paper(staff("staff-hq"), consultation.id, elsewhere.id, consultation.options[0].id)
    [vote] = db.session.scalars(db.select(Vote).filter_by(consultation_id=consultation.id))
    assert vote.channel == "paper" and vote.staff_id == staff("staff-hq").id


def test_who_runs_consultations(ctx):
    consultation = draft()
    assert consultations.get_for_staff(staff("staff-hq"), consultation.id).id == consultation.id
    with pytest.raises(NotFound):
        consultations.get_for_staff(staff("staff-xj"), consultation.id)  # another community's
    for username in ("grid-hq1", "volunteer-hq"):
        with pytest.raises(Forbidden):
            consultations.get_for_staff(staff(username), consultation.id)
    with pytest.raises(NotFound):  # a draft is nobody's business yet
        consultations.get_public(consultation.token)
    with pytest.raises(InvalidInput) as refused:
        consultations.save_draft(staff("admin-hq"), {"title": "", "scope": "buildings", "buildings": ["999999"],
                                                     "choices": "", "discussion_from": "tomorrow"})
    assert {"title", "matter", "discussion_from", "buildings", "choices"} <= set(refused.value.errors)


def test_codes_and_their_texts_are_purged_a_day_after(ctx):
    from kiosk_app.models import ResidentCode
    from kiosk_app.services import privacy

    household(0)
    consultation = published()
    participation.send_code(consultation, "13900000001")
    privacy.purge()
    assert db.session.scalar(db.select(db.func.count(ResidentCode.id))) == 1  # today's code is kept
    db.session.execute(db.update(Notification).values(created_at=utcnow() - timedelta(days=2)))
    db.session.execute(db.update(ResidentCode).values(created_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    privacy.purge()
    [text] = db.session.scalars(db.select(Notification).filter_by(consultation_id=consultation.id))
    assert text.to_mobile == "" and text.body == "" and text.state == "failed"
    assert db.session.scalar(db.select(db.func.count(ResidentCode.id))) == 0


def test_a_paper_vote_is_for_the_voting_days_and_never_replaces_a_households_own_vote(ctx):
    household(0)
    consultation = published()
    move_to(consultation, Phase.VOTING)
    voter = verified(consultation)
    voting.cast(consultation, voter, consultation.options[0].id)
    with pytest.raises(InvalidInput) as refused:
        voting.paper(staff("staff-hq"), consultation.id, voter.household_id, consultation.options[1].id)
    assert "household" in refused.value.errors
    assert voting.household_vote(consultation, voter).id == consultation.options[0].id
    other = household(0, room="102", mobile="13900000002")
    voting.paper(staff("staff-hq"), consultation.id, other.id, consultation.options[1].id)
    voting.paper(staff("staff-hq"), consultation.id, other.id, consultation.options[0].id)  # a correction
    move_to(consultation, Phase.COUNTING)
    with pytest.raises(InvalidInput):  # not after the vote, when turnout is known
        voting.paper(staff("staff-hq"), consultation.id, other.id, consultation.options[1].id)
    with pytest.raises(Forbidden):  # a district admin names no household
        voting.paper(staff("admin-district"), consultation.id, other.id, consultation.options[1].id)


def test_a_household_that_moved_away_no_longer_counts_among_votes_or_households(ctx):
    from kiosk_app.services import household_changes

    staying, leaving = household(0), household(0, room="102", mobile="13900000002")
    consultation = published()
    move_to(consultation, Phase.VOTING)
    for mobile in ("13900000001", "13900000002"):
        voting.cast(consultation, verified(consultation, mobile), consultation.options[0].id)
    from kiosk_app.services.workdays import local_date

    household_changes.move(staff("admin-hq"), leaving.id, {"on": local_date(utcnow()).isoformat()})
    assert consultations.turnout(consultation) == (1, 1)
    move_to(consultation, Phase.COUNTING)
    result = consultations.result(consultations.close(staff("admin-hq"), consultation.id))
    assert (result["voted"], result["households"]) == (1, 1) and staying.id


def test_the_vote_and_the_count_never_pass_each_other(app):
    """Votes keep arriving until the vote ends; the count taken just after holds exactly the votes
    that are stored."""
    import time

    with app.app_context():
        mobiles = [f"139000000{n:02d}" for n in range(1, 9)]
        for n, mobile in enumerate(mobiles):
            household(0, room=f"1{n:02d}", mobile=mobile)
        consultation = published()
        move_to(consultation, Phase.VOTING)
        voters = [verified(consultation, mobile) for mobile in mobiles]
        consultation.vote_to = utcnow() + timedelta(seconds=1)
        db.session.commit()
        consultation_id, agree, ends = consultation.id, consultation.options[0].id, consultation.vote_to
    errors = []

    def keep_voting(voter):
        with app.app_context():
            while utcnow() < ends + timedelta(seconds=1):
                try:
                    voting.cast(db.session.get(Consultation, consultation_id), voter, agree)
                except InvalidInput:
                    pass
                except Exception as error:  # noqa: BLE001
                    errors.append(repr(error))
                finally:
                    db.session.remove()

    threads = [threading.Thread(target=keep_voting, args=(voter,)) for voter in voters[:4]]
    for thread in threads:
        thread.start()
    with app.app_context():
        while utcnow() <= ends:
            time.sleep(0.05)
        closed = consultations.close(staff("admin-hq"), consultation_id)
        voted = consultations.result(closed)["voted"]
    for thread in threads:
        thread.join(60)
    assert errors == []
    with app.app_context():
        assert voted == db.session.scalar(db.select(db.func.count(Vote.id)).filter_by(consultation_id=consultation_id))


def test_a_rule_in_percentages_is_kept_exactly_and_a_date_beyond_reason_is_refused(ctx):
    from fractions import Fraction

    consultation = draft(rule="custom", turnout="50", agree="0.01")
    assert (consultation.agree_num, consultation.agree_den) == (1, 10000)
    assert consultations.rule_of(consultation).turnout == Fraction(1, 2)
    for bad in ({"agree": "1e-10000000"}, {"agree": "0.001"}, {"turnout": "0"}):
        with pytest.raises(InvalidInput) as refused:
            draft(rule="custom", **{"turnout": "50", "agree": "50", **bad})
        assert "rule" in refused.value.errors
    for moment in ("0001-01-01T00:00", "9999-12-31T23:59-10:00"):
        with pytest.raises(InvalidInput) as refused:
            draft(discussion_from=moment)
        assert "discussion_from" in refused.value.errors


def test_a_long_building_name_still_makes_a_label_the_discussion_can_hold(ctx):
    building = building_of("HQ", 0)
    building.name_zh = "红旗路社区第一网格幸福家园小区东区" * 4
    db.session.commit()
    household(0)
    consultation = published()
    voter = verified(consultation)
    assert len(voter.label) <= participation.LABEL_MAX
    discussion.comment(consultation, voter, "好")  # (PostgreSQL refuses a label longer than its column)


def test_a_sealed_choice_is_as_long_whatever_the_option(ctx):
    assert len({len(voting.sealed_choice(option_id)) for option_id in (9, 10, 999, 123456)}) == 1


def test_alternatives_name_the_one_adopted(ctx):
    household(0)
    consultation = published(choices="方案甲\n方案乙")
    move_to(consultation, Phase.VOTING)
    voting.cast(consultation, verified(consultation), consultation.options[1].id)
    move_to(consultation, Phase.COUNTING)
    result = consultations.result(consultations.close(staff("admin-hq"), consultation.id))
    assert result["alternatives"] and result["adopted_option"].label == "方案乙"


def test_the_votes_go_when_the_result_has_stood_its_time_and_the_totals_stay(ctx):
    from kiosk_app.services import privacy

    household(0)
    consultation = published()
    move_to(consultation, Phase.VOTING)
    voting.cast(consultation, verified(consultation), consultation.options[0].id)
    move_to(consultation, Phase.COUNTING)
    consultations.close(staff("admin-hq"), consultation.id)
    privacy.purge()
    assert db.session.scalars(db.select(Vote)).one().choice != ""  # kept while the count may be questioned
    consultation.closed_at = utcnow() - timedelta(days=ctx.config["PERSONAL_DATA_DAYS"] + 1)
    db.session.commit()
    privacy.purge()
    assert db.session.scalars(db.select(Vote)).all() == []  # not how, nor which household voted
    assert consultations.result(db.session.get(Consultation, consultation.id))["voted"] == 1


def test_a_member_who_left_the_household_no_longer_speaks_for_it(ctx):
    from kiosk_app.services import household_changes
    from kiosk_app.services.workdays import local_date

    home = household(0)
    son = archive.add_member(staff("admin-hq"), home.id, {"name": "赵小军", "relation": "child",
                                                          "mobile": "13900000009"})
    consultation = published()
    move_to(consultation, Phase.VOTING)
    voter = verified(consultation, "13900000009")
    household_changes.member_left(staff("admin-hq"), son.id, {"left_on": local_date(utcnow()).isoformat()})
    with pytest.raises(InvalidInput):
        voting.cast(consultation, voter, consultation.options[0].id)


def test_households_that_agreed_are_told_once_when_the_vote_opens_and_of_the_result(ctx):
    from kiosk_app.services import notices

    agreed = archive.create_household(staff("admin-hq"), building_of("HQ", 0).id, {
        "unit": "1", "room": "401", "name": "吴大姐", "mobile": "13900000011", "consultation_texts": "1", "tags": [],
        "basis": "consent", "basis_on": "2026-11-01"})
    household(0, room="402", mobile="13900000012")  # did not agree
    consultation = published()
    assert notices.send_due() == {"vote_open": 0, "vote_result": 0}  # the discussion: nothing yet
    move_to(consultation, Phase.VOTING)
    assert notices.send_due()["vote_open"] == 1 and notices.send_due()["vote_open"] == 0  # once
    [opened] = db.session.scalars(db.select(Notification).filter_by(kind="vote_open"))
    assert opened.to_mobile == "13900000011" and "开始投票" in opened.body
    move_to(consultation, Phase.COUNTING)
    consultations.close(staff("admin-hq"), consultation.id)
    notices.send_due()
    [told] = db.session.scalars(db.select(Notification).filter_by(kind="vote_result"))
    assert told.to_mobile == "13900000011" and "未通过" in told.body and agreed.id
