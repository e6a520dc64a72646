"""民事民评: the resident rates a finished ticket; a poor rating opens a follow-up for the community admin."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import FollowUp, FollowUpState, Rating, Role, Staff, Status, Ticket, TicketEvent, TicketEventKind, TicketView
from ..models.base import utcnow
from ..models.rating import POOR, RATING_LABELS
from . import scope, workdays
from .event_texts import RATING_RAISED, params_json
from .errors import DomainError, Forbidden, InvalidInput, NotFound
from .validation import record_id
from .uow import use_case

COMMENT_MAX = 500
RATEABLE = (Status.COMPLETED, Status.CLOSED)


def rateable(ticket: TicketView) -> bool:
    """Done from the resident's side: closed, or completed with nothing to pick up.  A result waiting
    in the locker or at the counter is rated once it has been picked up (the ticket then closes)."""
    return ticket.status == Status.CLOSED or (ticket.status == Status.COMPLETED and not ticket.physical_result)


def rating_of(ticket: TicketView) -> Rating | None:
    if ticket.status not in RATEABLE:  # only a finished ticket is rated, and it never reopens
        return None
    return db.session.scalar(select(Rating).where(Rating.ticket_id == ticket.id))


_UNKNOWN = object()


def can_rate(ticket: TicketView, rating=_UNKNOWN) -> bool:
    """``rating``: the ticket's rating when the caller has already loaded it."""
    if not rateable(ticket):
        return False
    rating = rating_of(ticket) if rating is _UNKNOWN else rating
    return rating is None or _changeable(rating)


def _changeable(rating: Rating) -> bool:
    return utcnow() - rating.created_at <= timedelta(days=current_app.config["RATING_CHANGE_DAYS"])


@use_case
def rate(ticket: Ticket, level, comment: str = "") -> Rating:
    """One rating per ticket, changeable for RATING_CHANGE_DAYS; only once the ticket is done."""
    if not rateable(ticket):
        raise DomainError(_l("You can rate the service once your request is done and its result is in your hands."))
    value = record_id(level)
    if value not in RATING_LABELS:
        raise InvalidInput({"level": str(_l("Choose one of the five answers."))})
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise InvalidInput({"comment": str(_l("Please keep the comment to %(max)d characters.", max=COMMENT_MAX))})
    rating = rating_of(ticket)
    now = utcnow()
    if rating is None:
        rating = Rating(ticket_id=ticket.id, level=value, comment=comment, created_at=now, updated_at=now,
                        community_id=ticket.community_id, grid_id=ticket.grid_id, service_id=ticket.service_id)
        db.session.add(rating)
    elif not _changeable(rating):
        raise DomainError(_l("A rating can be changed for %(days)d days; this one can no longer be changed.",
                             days=current_app.config["RATING_CHANGE_DAYS"]))
    else:
        rating.level, rating.comment, rating.updated_at = value, comment, now
    ticket.events.append(TicketEvent(action=TicketEventKind.RATED, note=comment, params=params_json(level=value),
                                     actor_label="resident", public=False, created_at=now))
    follow_up = _open_follow_up(ticket)
    if follow_up is not None:
        follow_up.level = value  # the list and the page show the rating as it stands
        if value not in POOR:  # the resident is satisfied after all: nothing left to follow up
            follow_up.state, follow_up.closed_at, follow_up.closed_reason = FollowUpState.CLOSED, now, RATING_RAISED
            ticket.events.append(TicketEvent(action=TicketEventKind.FOLLOW_UP_CLOSED, actor_label="resident",
                                             params=params_json(reason=RATING_RAISED, level=value), public=False,
                                             created_at=now))
    elif value in POOR:
        db.session.add(FollowUp(ticket_id=ticket.id, community_id=ticket.community_id, level=value,
                                due_date=workdays.add_working_days(workdays.local_date(now),
                                                                   current_app.config["FOLLOW_UP_DAYS"])))
    return rating


def _open_follow_up(ticket: Ticket) -> FollowUp | None:
    return db.session.scalar(select(FollowUp).where(FollowUp.ticket_id == ticket.id,
                                                    FollowUp.state == FollowUpState.OPEN))


# ---------------------------------------------------------------- follow-ups (community admins)

def _require_admin(actor: Staff) -> None:
    if actor.role not in (Role.COMMUNITY_ADMIN, Role.DISTRICT_ADMIN):
        raise Forbidden(_l("Follow-ups of poor ratings are for community admins."))


def follow_ups(actor: Staff) -> list[FollowUp]:
    """Open ones first, most urgent first; then recently closed ones."""
    from sqlalchemy.orm import selectinload

    _require_admin(actor)
    stmt = (select(FollowUp).where(FollowUp.community_id.in_(scope.community_ids_select(actor)))
            .options(selectinload(FollowUp.ticket).selectinload(Ticket.service))
            .order_by(FollowUp.state, FollowUp.due_date, FollowUp.id).limit(200))
    return list(db.session.scalars(stmt))


def rating_followed(item: FollowUp):
    """The rating a follow-up is about, as it stands: a ticket's, or a household's judgement (民评)."""
    if item.ticket is not None:
        return rating_of(item.ticket)
    from ..models import ConsultationRating

    return db.session.scalar(select(ConsultationRating).where(ConsultationRating.consultation_id == item.consultation_id,
                                                              ConsultationRating.household_id == item.household_id))


def get_follow_up(actor: Staff, follow_up_id) -> FollowUp:
    _require_admin(actor)
    item = db.session.scalar(select(FollowUp).where(
        FollowUp.id == (record_id(follow_up_id) or 0),
        FollowUp.community_id.in_(scope.community_ids_select(actor))))
    if item is None:
        raise NotFound(_l("No such follow-up."))
    return item


@use_case
def close_follow_up(actor: Staff, follow_up_id, findings: str, actions_taken: str) -> FollowUp:
    item = get_follow_up(actor, follow_up_id)
    if item.state == FollowUpState.CLOSED:
        raise DomainError(_l("This follow-up is already closed."))
    errors = {}
    findings, actions_taken = (findings or "").strip(), (actions_taken or "").strip()
    if not findings:
        errors["findings"] = str(_l("Write what the resident said and what you found."))
    if not actions_taken:
        errors["actions_taken"] = str(_l("Write what was done about it."))
    for field, value in (("findings", findings), ("actions_taken", actions_taken)):
        if len(value) > 2000:
            errors[field] = str(_l("Please keep it to %(max)d characters.", max=2000))
    if errors:
        raise InvalidInput(errors)
    item.findings, item.actions_taken = findings, actions_taken
    item.state, item.closed_at, item.closed_by_id = FollowUpState.CLOSED, utcnow(), actor.id
    if item.ticket is None:  # a household's judgement of a consultation's result (services/judging.py)
        return item
    item.ticket.events.append(TicketEvent(action=TicketEventKind.FOLLOW_UP_CLOSED, actor_staff_id=actor.id,
                                          note=findings, public=False, created_at=utcnow()))
    return item
