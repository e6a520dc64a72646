"""民评: once an adopted matter is carried out (every task done), the households of its scope judge the
result on the five-level scale, for ``JUDGING_DAYS``; one judgement per household, changeable until
then.  A poor one opens a follow-up for the community admin, as a poor rating of a ticket does; a
household that changes it to a good one closes the follow-up itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..models import (RATING_LABELS, Consultation, ConsultationRating, ConsultationTask, FollowUp, FollowUpState,
                      VoteChannel)
from ..models.base import utcnow
from ..models.rating import POOR
from . import carrying_out, consultations, participation, workdays
from .errors import InvalidInput
from .participation import Voter
from .uow import use_case, write_turn
from .validation import record_id

JUDGING_DAYS = 30
COMMENT_MAX = 500
RATING_RAISED = "rating_raised"  # (as services/ratings.py closes a ticket's follow-up)


def judging_open(consultation: Consultation) -> bool:
    """Carried out, and the last task done less than ``JUDGING_DAYS`` ago."""
    if not carrying_out.carried_out(consultation):
        return False
    last_done = db.session.scalar(select(func.max(ConsultationTask.done_at))
                                  .where(ConsultationTask.consultation_id == consultation.id))
    return last_done is not None and utcnow() < last_done + timedelta(days=JUDGING_DAYS)


@dataclass(frozen=True)
class Judgements:
    count: int
    average: float | None
    by_level: dict[int, int]


def judgements(consultation: Consultation) -> Judgements:
    by_level = dict(db.session.execute(select(ConsultationRating.level, func.count()).where(
        ConsultationRating.consultation_id == consultation.id).group_by(ConsultationRating.level)).all())
    count = sum(by_level.values())
    return Judgements(count, sum(level * n for level, n in by_level.items()) / count if count else None, by_level)


def household_judgement(consultation: Consultation, voter: Voter | None) -> ConsultationRating | None:
    if participation.check(consultation, voter) is None:
        return None
    return db.session.scalar(select(ConsultationRating).where(ConsultationRating.consultation_id == consultation.id,
                                                              ConsultationRating.household_id == voter.household_id))


def _level(level) -> int:
    value = record_id(level)
    if value not in RATING_LABELS:
        raise InvalidInput({"level": _l("Choose one of the five answers.")})
    return value


def judge(consultation: Consultation, voter: Voter | None, level, comment: str | None = "") -> ConsultationRating:
    with write_turn():
        return _judge(consultation, voter, level, comment, VoteChannel.PHONE)


def judge_at_kiosk(consultation: Consultation, terminal, id_number: str | None, level) -> ConsultationRating:
    """At the community's kiosk, by a member's ID number; the household's mobiles are told, as of a vote."""
    participation.require_kiosk(consultation, terminal)
    if not judging_open(consultation):
        raise InvalidInput({"level": _l("The result is judged once it is carried out, for %(days)d days.",
                                        days=JUDGING_DAYS)})
    _level(level)
    voter = participation.voter_by_id_number(consultation, id_number)
    with write_turn():
        return _judge(consultation, voter, level, "", VoteChannel.KIOSK)


@use_case
def _judge(consultation: Consultation, voter: Voter | None, level, comment: str | None,
           channel: VoteChannel) -> ConsultationRating:
    voter = participation.check(consultation, voter)
    if voter is None:
        raise InvalidInput({"level": _l("Confirm your household first: only households taking part may judge.")})
    if not judging_open(consultation):
        raise InvalidInput({"level": _l("The result is judged once it is carried out, for %(days)d days.",
                                        days=JUDGING_DAYS)})
    value = _level(level)
    consultations.lock(consultation.id)  # (a household's first judgements sent at once: one row)
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise InvalidInput({"comment": _l("At most %(max)d characters.", max=COMMENT_MAX)})
    now = utcnow()
    rating = db.session.scalar(select(ConsultationRating).where(
        ConsultationRating.consultation_id == consultation.id, ConsultationRating.household_id == voter.household_id)
        .with_for_update())
    if rating is None:
        rating = ConsultationRating(consultation_id=consultation.id, household_id=voter.household_id, created_at=now)
        db.session.add(rating)
    rating.level, rating.comment, rating.channel, rating.updated_at = value, comment, channel, now
    follow_up = db.session.scalar(select(FollowUp).where(FollowUp.consultation_id == consultation.id,
                                                         FollowUp.household_id == voter.household_id,
                                                         FollowUp.state == FollowUpState.OPEN))
    if follow_up is not None:
        follow_up.level = value
        if value not in POOR:
            follow_up.state, follow_up.closed_at, follow_up.closed_reason = FollowUpState.CLOSED, now, RATING_RAISED
    elif value in POOR:
        db.session.add(FollowUp(consultation_id=consultation.id, household_id=voter.household_id,
                                community_id=consultation.community_id, level=value,
                                due_date=workdays.add_working_days(workdays.local_date(now),
                                                                   current_app.config["FOLLOW_UP_DAYS"])))
    if channel == VoteChannel.KIOSK:
        participation.tell_household(consultation, voter.household_id, participation.KIOSK_JUDGEMENT_TEXT)
    return rating
