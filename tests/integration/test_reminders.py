"""Reminders the worker sends: one text before a result's pickup code runs out, one to a resident who
has not answered a request for information; each once, only to residents who accepted texts."""

from datetime import timedelta

from kiosk_app.extensions import db
from kiosk_app.models import Notification, Status
from kiosk_app.models.base import utcnow
from kiosk_app.services import locker, scheduler, terminals, workflow
from kiosk_app.services.reminders import send_reminders

from ..helpers import make_ticket, staff


def texts(kind):
    return db.session.scalars(db.select(Notification).filter_by(kind=kind).order_by(Notification.id)).all()


def result_in_locker(opt_in=True):
    admin = staff("admin-hq")
    ticket = make_ticket()
    ticket.sms_opt_in = opt_in
    db.session.commit()
    workflow.apply_action(admin, ticket.id, "accept")
    workflow.apply_action(admin, ticket.id, "complete", note="证明已开具", physical_result=True)
    item = locker.start_return(admin, terminals.get_by_code("HQ-L1"), ticket.id)
    locker.door_closed(item.compartment)
    return ticket, item


def test_a_result_still_in_the_locker_two_days_before_its_code_ends_is_reminded_of_once(ctx):
    ticket, item = result_in_locker()
    expires = item.pickup_expires_at
    assert send_reminders(now=expires - timedelta(hours=72)) == {"pickup": 0, "needs_info": 0}  # not yet
    assert send_reminders(now=expires - timedelta(hours=47))["pickup"] == 1
    [reminder] = texts("pickup_reminder")
    _, code = locker.pickup_code_for_ticket(ticket)
    assert ticket.number in reminder.body and code in reminder.body
    assert f"{item.compartment.number} 号格口" in reminder.body  # the resident's language
    # Once: the next rounds find it sent.
    assert send_reminders(now=expires - timedelta(hours=46))["pickup"] == 0
    assert send_reminders(now=expires - timedelta(hours=1))["pickup"] == 0
    assert len(texts("pickup_reminder")) == 1


def test_no_reminder_for_a_result_collected_expired_or_to_a_resident_who_declined_texts(ctx):
    _, collected = result_in_locker()
    _, declined = result_in_locker(opt_in=False)
    collected.state = "done"
    db.session.commit()
    now = declined.pickup_expires_at - timedelta(hours=10)
    assert send_reminders(now=now)["pickup"] == 0
    assert send_reminders(now=declined.pickup_expires_at + timedelta(hours=1))["pickup"] == 0
    assert texts("pickup_reminder") == []


def test_a_resident_who_has_not_answered_in_three_days_is_reminded_once(ctx):
    admin = staff("admin-hq")
    ticket = make_ticket()
    workflow.apply_action(admin, ticket.id, "accept")
    workflow.apply_action(admin, ticket.id, "ask_info", note="请补充照片")
    [asked] = texts("needs_info")
    assert send_reminders(now=asked.created_at + timedelta(days=2))["needs_info"] == 0
    assert send_reminders(now=asked.created_at + timedelta(days=3, minutes=1))["needs_info"] == 1
    assert send_reminders(now=asked.created_at + timedelta(days=5))["needs_info"] == 0
    [reminder] = texts("needs_info_reminder")
    assert ticket.number in reminder.body and ticket.token in reminder.body
    # Answered (back in progress): asked again later, reminded again later.
    workflow.apply_action(admin, ticket.id, "resume")
    assert send_reminders(now=asked.created_at + timedelta(days=9))["needs_info"] == 0
    assert db.session.get(type(ticket), ticket.id).status == Status.IN_PROGRESS


def test_the_worker_runs_the_reminders(ctx):
    ticket, item = result_in_locker()
    item.pickup_expires_at = utcnow() + timedelta(hours=5)
    db.session.commit()
    ran = dict((name, ok) for name, ok, _ in scheduler.run_due("test"))
    assert ran["reminders"] is True
    assert len(texts("pickup_reminder")) == 1
