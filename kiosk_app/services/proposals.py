"""A resident's proposal (民事民提) follows its consultation: when the consultation is published the
proposal is put up for discussion, and when it is decided the proposal is decided (or, not adopted,
rejected) — each a public step on the proposal's status page, with the consultation's address, so the
resident who proposed it finds the discussion, the vote and the result."""

from __future__ import annotations

from flask import url_for
from flask_babel import force_locale

from ..extensions import db
from ..models import Consultation, Staff, Status, Ticket
from . import event_texts, urls, workflow
from .locales import parsed_locale


def _step(actor: Staff, consultation: Consultation, wanted: Status, action: str, step: str, **numbers) -> None:
    """Move the proposal on (in the caller's unit of work), if it is where this step starts and the
    account may take it; otherwise leave it to staff."""
    ticket = db.session.get(Ticket, consultation.ticket_id) if consultation.ticket_id else None
    if ticket is None or ticket.status != wanted or not workflow.check(actor, ticket, workflow.Action(action)).allowed:
        return
    params = {"proposal": step, "title": consultation.title,
              "address": urls.public_url(url_for("public.consultation_page", token=consultation.token)), **numbers}
    with force_locale(parsed_locale("zh_CN")):  # stored as staff write the proposal's notes; read in one's language
        note = str(event_texts.PROPOSAL_NOTES[step]) % {"voted": 0, "households": 0, **params}
    workflow._apply(actor, ticket.id, action, note=note[:workflow.NOTE_MAX], version=None, physical_result=False,
                    assignee_id=None, params=event_texts.params_json(**params))


def published(actor: Staff, consultation: Consultation) -> None:
    _step(actor, consultation, Status.SUBMITTED, "discuss", "put")


def decided(actor: Staff, consultation: Consultation, voted: int, households: int) -> None:
    if consultation.adopted:
        _step(actor, consultation, Status.DISCUSSING, "decide", "adopted", voted=voted, households=households)
    else:
        _step(actor, consultation, Status.DISCUSSING, "reject", "not_adopted", voted=voted, households=households)
