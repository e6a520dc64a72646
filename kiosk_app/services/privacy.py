"""Residents' personal data is kept only as long as it is needed (PIPL: purpose, minimum, retention).

``purge`` (``flask privacy purge``, and the ``notifications send --loop`` service every hour) erases,
``PERSONAL_DATA_DAYS`` after a ticket ended, everything on it that could identify someone: the name,
mobile number (and its last four digits), ID number, the request's own words, staff notes on its
timeline, the rating's comment, what a follow-up found and did, and the texts' numbers and words.
What the figures count stays: the service, community, grid, building, channel, statuses and their
times, the rating's score.  ``erase`` does the same for one ended ticket at once, when the resident
asks a member of staff; that is itself in the audit trail.  Both are idempotent.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from ..extensions import db
from ..models import (Consultation, ConsultationRating, FollowUp, MessageState, Notification, Rating, ResidentCode, Staff, Status,
                      Ticket, TicketEvent, Volunteer, Vote)
from ..models.base import utcnow
from . import codes, notices, scope
from .admin.audit import AuditAction, record
from .errors import DomainError
from .uow import use_case

ENDED = (Status.REJECTED, Status.CLOSED, Status.WITHDRAWN)
BATCH = 500


def _erase(ticket_ids: list[int]) -> None:
    now = utcnow()
    db.session.execute(update(Ticket).where(Ticket.id.in_(ticket_ids)).values(
        resident_name="", resident_mobile="", mobile_lookup="", mobile_last4="", id_number=None,
        id_number_lookup=None, details="",
        personal_data_erased_at=now))
    db.session.execute(update(TicketEvent).where(TicketEvent.ticket_id.in_(ticket_ids)).values(note=""))
    db.session.execute(update(Rating).where(Rating.ticket_id.in_(ticket_ids)).values(comment=""))
    db.session.execute(update(FollowUp).where(FollowUp.ticket_id.in_(ticket_ids)).values(findings="",
                                                                                       actions_taken=""))
    # A text still waiting is not sent to a number no longer known: given up, and blanked like the rest.
    db.session.execute(update(Notification).where(Notification.ticket_id.in_(ticket_ids),
                                                  Notification.state == MessageState.PENDING)
                       .values(state=MessageState.FAILED, last_error="personal data erased"))
    db.session.execute(update(Notification).where(Notification.ticket_id.in_(ticket_ids)).values(to_mobile="",
                                                                                               mobile_lookup="", body=""))


@use_case
def _purge_batch(cutoff) -> int:
    ids = list(db.session.scalars(select(Ticket.id).where(
        Ticket.status.in_(ENDED), Ticket.updated_at < cutoff, Ticket.personal_data_erased_at.is_(None))
        .order_by(Ticket.id).limit(BATCH)))
    if ids:
        _erase(ids)
        record(None, AuditAction.ERASE_PERSONAL_DATA, "ticket", None, name=f"{len(ids)} tickets",
               actor_label="retention", after={"tickets": len(ids), "days": current_app.config["PERSONAL_DATA_DAYS"]})
    return len(ids)


def purge() -> int:
    """Erase the personal data of every ticket that ended more than PERSONAL_DATA_DAYS ago, a batch
    of tickets a transaction; returns how many tickets.  (And the one-time codes residents were texted
    to take part in a consultation, a day after: spent by then.)"""
    cutoff = utcnow() - timedelta(days=current_app.config["PERSONAL_DATA_DAYS"])
    done = 0
    while count := _purge_batch(cutoff):
        done += count
    _purge_codes(utcnow() - CODES_KEPT)
    _purge_votes(cutoff)
    return done


@use_case
def _purge_votes(cutoff) -> None:
    """The votes — which household voted, how, and who for it — once the result has been published
    for PERSONAL_DATA_DAYS (time to question the count): the totals and the turnout in the result stay."""
    closed = select(Consultation.id).where(Consultation.closed_at < cutoff)
    db.session.execute(delete(Vote).where(Vote.consultation_id.in_(closed)))
    # and what a household wrote when it judged the result, and what its follow-up found (民评)
    db.session.execute(update(ConsultationRating).where(ConsultationRating.updated_at < cutoff,
                                                        ConsultationRating.comment != "").values(comment=""))
    db.session.execute(update(FollowUp).where(FollowUp.consultation_id.is_not(None), FollowUp.closed_at < cutoff,
                                              FollowUp.findings != "").values(findings="", actions_taken=""))


CODES_KEPT = timedelta(days=1)  # a day's texts count towards a number's daily share (services/notifications.py)


@use_case
def _purge_codes(cutoff) -> None:
    """Residents' one-time codes (services/participation.py) and the texts about consultations (codes,
    votes cast at a kiosk): the number, its digest and the words blanked, the codes deleted."""
    sent_codes = (Notification.kind.in_(codes.KINDS + notices.KINDS), Notification.created_at < cutoff)
    db.session.execute(update(Notification).where(*sent_codes, Notification.state == MessageState.PENDING)
                       .values(state=MessageState.FAILED, last_error="expired"))
    db.session.execute(update(Notification).where(*sent_codes, Notification.to_mobile != "")
                       .values(to_mobile="", mobile_lookup="", body="", params="{}"))
    db.session.execute(delete(ResidentCode).where(ResidentCode.created_at < cutoff))
    # a registration as a volunteer never confirmed by its code (perhaps made with someone else's number)
    db.session.execute(delete(Volunteer).where(Volunteer.verified_at.is_(None), Volunteer.created_at < cutoff))


@use_case
def erase(actor: Staff, ticket_id) -> Ticket:
    """Erase one ended ticket's personal data now, at the resident's request."""
    ticket = scope.get_ticket(actor, ticket_id)
    if not scope.may_see_personal_data(actor, ticket):
        raise DomainError(_l("Your role may not see this resident's personal data."))
    if ticket.status not in ENDED:
        raise DomainError(_l("The request is still open: finish, reject or withdraw it first, then erase."))
    if ticket.personal_data_erased_at is None:
        _erase([ticket.id])
        record(actor, AuditAction.ERASE_PERSONAL_DATA, "ticket", ticket.id, name=ticket.number,
               area_id=ticket.community_id, after={"by": "request"})
        db.session.refresh(ticket)
    return ticket
