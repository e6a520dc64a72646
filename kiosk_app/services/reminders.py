"""Reminders the worker sends (flask worker, job "reminders"): one text to a resident whose result is
still in the locker shortly before its pickup code runs out, and one to a resident who was asked for
more information and has not answered.  Each is sent once: the outbox row it leaves is how the next
round knows.  Only to residents who accepted texts, and within a number's share of texts.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased, contains_eager, joinedload

from ..extensions import db
from ..models import ItemKind, ItemState, LockerItem, Notification, Status, Ticket
from ..models.base import utcnow
from . import notifications, workdays
from .locker.codes import pickup_code
from .uow import unit_of_work

BATCH = 200  # reminders a round writes at most; the next round takes the rest


def _sent_since(kind: str, moment) -> exists:
    return exists().where(Notification.ticket_id == Ticket.id, Notification.kind == kind,
                          Notification.created_at >= moment)


def pickups_due(now) -> list[LockerItem]:
    """Results still in a compartment whose code runs out within PICKUP_REMINDER_HOURS, not yet
    reminded of since they were put in."""
    soon = now + timedelta(hours=current_app.config["PICKUP_REMINDER_HOURS"])
    return db.session.scalars(
        select(LockerItem).join(Ticket, Ticket.id == LockerItem.ticket_id).where(
            LockerItem.kind == ItemKind.RESULT, LockerItem.state == ItemState.HELD,
            LockerItem.pickup_expires_at > now, LockerItem.pickup_expires_at <= soon, Ticket.sms_opt_in,
            ~_sent_since("pickup_reminder", LockerItem.held_at))
        .options(contains_eager(LockerItem.ticket), joinedload(LockerItem.compartment))
        .order_by(LockerItem.pickup_expires_at).limit(BATCH)).all()


def answers_due(now) -> list[Ticket]:
    """Tickets still waiting for the resident's information NEEDS_INFO_REMINDER_DAYS after they were
    asked by text, and not reminded since."""
    asked = aliased(Notification)
    last_asked = (select(func.max(asked.created_at)).where(asked.ticket_id == Ticket.id, asked.kind == "needs_info")
                  .correlate(Ticket).scalar_subquery())
    before = now - timedelta(days=current_app.config["NEEDS_INFO_REMINDER_DAYS"])
    return db.session.scalars(
        select(Ticket).where(Ticket.status == Status.NEEDS_INFO, Ticket.sms_opt_in, last_asked <= before,
                             ~_sent_since("needs_info_reminder", last_asked))
        .order_by(Ticket.id).limit(BATCH)).all()


def send_reminders(now=None) -> dict[str, int]:
    """Queue the reminders that are due; returns how many of each were queued."""
    now = now or utcnow()
    counts = {"pickup": 0, "needs_info": 0}
    with unit_of_work():
        for item in pickups_due(now):
            message = notifications.enqueue(
                item.ticket, "pickup_reminder", door=item.compartment.number, code=pickup_code(item),
                until=workdays.local_date(item.pickup_expires_at).isoformat())
            counts["pickup"] += message is not None
        for ticket in answers_due(now):
            counts["needs_info"] += notifications.enqueue(ticket, "needs_info_reminder") is not None
    return counts

