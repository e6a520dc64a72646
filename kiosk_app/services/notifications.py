"""Messages to residents: an outbox written with the change that causes it, and a sender with retries.

Nothing is lost when the gateway is down: a message stays pending and is retried with growing
pauses (30 s, 1 min, 2 min … at most an hour), each try carrying the same idempotency key.
Texts come from the translation catalogue in the resident's language and carry no more personal
data than needed: the ticket number, a date, the status address, a pickup code.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, func, select

from ..extensions import db
from ..models import MessageState, Notification, Ticket
from ..models import sealed
from ..models.base import utcnow
from . import urls
from .locales import parsed_locale
from .uow import separate

log = logging.getLogger(__name__)

TEXTS = {
    # Anyone can hand in a request with any number: the one text they can cause carries no link.
    "issued": _l("[Community Cloud Locker] Ticket %(number)s received; expected by %(due)s. Check it at a "
                 "kiosk with the ticket number and the last four digits of this mobile number."),
    "needs_info": _l("[Community Cloud Locker] Ticket %(number)s: the community needs more information. See %(url)s"),
    "pickup_ready": _l("[Community Cloud Locker] Ticket %(number)s: your result is in locker door %(door)s, "
                       "pickup code %(code)s, until %(until)s."),
    "pickup_reminder": _l("[Community Cloud Locker] Ticket %(number)s: your result is still in locker door "
                          "%(door)s, pickup code %(code)s, until %(until)s. After that it goes back to the "
                          "service centre."),
    "needs_info_reminder": _l("[Community Cloud Locker] Ticket %(number)s is still waiting for the "
                              "information the community asked for. See %(url)s"),
    "done": _l("[Community Cloud Locker] Ticket %(number)s is done. Please rate the service: %(url)s"),
}


def enqueue(ticket: Ticket, kind: str, **params) -> Notification | None:
    """Add a message to the outbox in the caller's transaction (the caller commits)."""
    values = compose(ticket, kind, **params)
    if values is None:
        return None
    message = Notification(**values)
    db.session.add(message)
    return message


def enqueue_text(mobile: str, kind: str, body: str, params: dict, *, consultation_id: int | None = None) -> bool:
    """A text to a resident not about a ticket (a code, a consultation's news), in the caller's unit of
    work, if the number has texts left; whether it was queued."""
    if _texts_used_up(mobile):
        return False
    db.session.add(Notification(consultation_id=consultation_id, kind=kind, to_mobile=mobile,
                                mobile_lookup=sealed.lookup(mobile), body=body,
                                params=json.dumps(params, ensure_ascii=False), idempotency_key=uuid.uuid4().hex,
                                next_attempt_at=utcnow()))
    return True


def compose(ticket: Ticket, kind: str, **params) -> dict | None:
    """The outbox row of a message about ``ticket``; None when the resident declined messages, or the
    number has had its share of texts this hour or this day (TEXTS_PER_MOBILE_HOUR, …_DAY): a script
    handing in requests with someone's number cannot flood it."""
    if not ticket.sms_opt_in or _texts_used_up(ticket.resident_mobile):
        return None
    return message_values(ticket, kind, **params)


def message_values(ticket: Ticket, kind: str, **params) -> dict | None:
    """The outbox row as ``compose`` makes it, without asking whether the number has texts left: for a
    statement that writes it only then (``ALLOWANCE``), the question and the write in one round trip."""
    if not ticket.sms_opt_in:
        return None
    params = {"number": ticket.number, "url": urls.ticket_status(ticket.token), **params}
    with force_locale(parsed_locale(ticket.locale or "zh_CN")):
        body = str(TEXTS[kind]) % params
    return dict(ticket_id=ticket.id, kind=kind, to_mobile=ticket.resident_mobile,
                mobile_lookup=sealed.lookup(ticket.resident_mobile), body=body,
                params=json.dumps(params, ensure_ascii=False), idempotency_key=uuid.uuid4().hex,
                next_attempt_at=utcnow())


def _sent_since(name: str):
    return (select(func.count()).where(Notification.mobile_lookup.in_(bindparam("texts_lookups", expanding=True)),
                                       Notification.created_at >= bindparam(name)).scalar_subquery())


# True while the number has texts left this hour and this day (its parameters: ``allowance``).
ALLOWANCE = and_(_sent_since("texts_hour_ago") < bindparam("texts_per_hour"),
                 _sent_since("texts_day_ago") < bindparam("texts_per_day"))


def allowance(mobile: str) -> dict:
    now, config = utcnow(), current_app.config
    return {"texts_lookups": sealed.lookups(mobile), "texts_hour_ago": now - timedelta(hours=1),
            "texts_day_ago": now - timedelta(days=1), "texts_per_hour": config["TEXTS_PER_MOBILE_HOUR"],
            "texts_per_day": config["TEXTS_PER_MOBILE_DAY"]}


def not_queued(mobile: str) -> None:
    log.info("text to %s***%s not queued: its hourly or daily share is used up", mobile[:3], mobile[-2:])


def _texts_used_up(mobile: str) -> bool:
    used_up = not db.session.execute(select(ALLOWANCE), allowance(mobile)).scalar()
    if used_up:
        not_queued(mobile)
    return used_up


class SendError(Exception):
    pass


class LogSender:
    """Writes messages to the log: the default, and what the demo uses."""

    def send(self, message: Notification) -> None:
        log.info("SMS to %s***%s [%s]: %s", message.to_mobile[:3], message.to_mobile[-4:],
                 message.idempotency_key, message.body)


class HttpGatewaySender:
    """POSTs JSON to an SMS gateway: ``to``, ``template_id``, ``params``, ``text``, with the message's
    idempotency key in the ``Idempotency-Key`` header.  Any 2xx is success; anything else retries."""

    def __init__(self, url: str, template_ids: dict[str, str], token: str = "", timeout: float = 5.0):
        self.url, self.template_ids, self.token, self.timeout = url, template_ids, token, timeout

    def send(self, message: Notification) -> None:
        import urllib.error
        import urllib.request

        body = json.dumps({"to": message.to_mobile, "template_id": self.template_ids.get(message.kind, ""),
                           "params": json.loads(message.params or "{}"), "text": message.body}).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": message.idempotency_key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                if not 200 <= response.status < 300:
                    raise SendError(f"gateway answered {response.status}")
        except urllib.error.HTTPError as error:
            raise SendError(f"gateway answered {error.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise SendError(f"gateway unreachable: {error}") from None


def sender_from_config():
    kind = current_app.config["SMS_SENDER"]
    if kind == "http":
        return HttpGatewaySender(current_app.config["SMS_GATEWAY_URL"],
                                 json.loads(current_app.config["SMS_TEMPLATE_IDS"] or "{}"),
                                 current_app.config["SMS_GATEWAY_TOKEN"])
    return LogSender()


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def send_due(sender, now: datetime | None = None, limit: int = 100) -> dict[str, int]:
    """Try every message that is due; returns counts of sent, retried and given-up messages."""
    now = now or utcnow()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    due = db.session.scalars(select(Notification).where(
        Notification.state == MessageState.PENDING, Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at, Notification.id).limit(limit)).all()
    for message in due:
        try:
            sender.send(message)
        except SendError as error:
            failure = str(error)[:300]
        else:
            failure = None
        with separate("each message's outcome is recorded once the gateway has answered: a crash in the "
                      "middle of the batch sends none of the earlier ones again"):
            message.attempts += 1
            if failure is None:
                message.state, message.sent_at, message.last_error = MessageState.SENT, now, ""
                counts["sent"] += 1
            elif message.attempts >= current_app.config["SMS_MAX_ATTEMPTS"]:
                message.state, message.last_error = MessageState.FAILED, failure
                counts["failed"] += 1
            else:
                message.last_error, message.next_attempt_at = failure, now + backoff(message.attempts)
                counts["retry"] += 1
    return counts
