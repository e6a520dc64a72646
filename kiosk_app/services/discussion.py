"""民议: residents of the scope say what they think of a consultation's matter, and staff answer.

A resident's comment is shown with a masked name and building ("3号楼 张*"), fixed when written.  Staff
may hide a comment: the reason is shown in its place, its words are removed (what is hidden is often
personal data), and the audit trail keeps who did it.  Comments are taken while the discussion runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import Comment, Consultation, Staff
from ..models.base import utcnow
from . import consultations, participation, throttle
from .admin.audit import AuditAction, record
from .consultations import Phase
from .errors import InvalidInput, NotFound, Throttled
from .participation import Voter
from .uow import use_case
from .validation import record_id

BODY_MAX = 1000
COMMENTS_PER_HOUR = 10  # per household and consultation
REASON_MAX = 200


@dataclass(frozen=True)
class Shown:
    id: int
    author: str  # "3号楼 张*", or "" for staff (shown as the community's answer)
    by_staff: bool
    body: str | None  # None: hidden
    hidden_reason: str
    at: datetime


def comments(consultation: Consultation) -> list[Shown]:
    return [Shown(c.id, c.author_label, c.staff_id is not None, None if c.hidden_at else c.body, c.hidden_reason,
                  c.created_at)
            for c in db.session.scalars(select(Comment).where(Comment.consultation_id == consultation.id)
                                        .order_by(Comment.id))]


def _body(text: str | None) -> str:
    body = (text or "").strip()
    if not body:
        raise InvalidInput({"body": _l("Write what you think first.")})
    if len(body) > BODY_MAX:
        raise InvalidInput({"body": _l("At most %(max)d characters.", max=BODY_MAX)})
    return body


def comment(consultation: Consultation, voter: Voter | None, text: str | None) -> Comment:
    """A verified resident's comment while the discussion runs."""
    voter = participation.check(consultation, voter)
    if voter is None:
        raise InvalidInput({"body": _l("Confirm your household first: only households taking part may comment.")})
    if consultations.phase(consultation) != Phase.DISCUSSION:
        raise InvalidInput({"body": _l("The discussion is not open now.")})
    body = _body(text)
    if throttle.count_attempt(f"comment:{consultation.id}:{voter.household_id}", 3600) > COMMENTS_PER_HOUR:
        raise Throttled(_l("Your household has written many comments this hour. Please wait a while."))
    return _add(consultation.id, voter, body)


@use_case
def _add(consultation_id: int, voter: Voter, body: str) -> Comment:
    added = Comment(consultation_id=consultation_id, household_id=voter.household_id, author_label=voter.label,
                    body=body)
    db.session.add(added)
    return added


@use_case
def answer(actor: Staff, consultation_id, text: str | None) -> Comment:
    """The community's answer in the discussion (shown as the community's, not by a person's name)."""
    consultation = consultations.get_for_staff(actor, consultation_id)
    if consultations.phase(consultation) in (Phase.DRAFT, Phase.CLOSED):
        raise InvalidInput({"body": _l("The discussion is not open now.")})
    added = Comment(consultation_id=consultation.id, staff_id=actor.id, author_label="", body=_body(text))
    db.session.add(added)
    return added


@use_case
def hide(actor: Staff, comment_id, reason: str | None) -> Comment:
    """Hide a comment (abuse, personal data, advertising …) with the reason residents will read."""
    found = db.session.get(Comment, record_id(comment_id) or 0)
    if found is None:
        raise NotFound(_l("We could not find this comment."))
    consultation = consultations.get_for_staff(actor, found.consultation_id)
    reason = " ".join((reason or "").split())
    if not reason or len(reason) > REASON_MAX:
        raise InvalidInput({"reason": _l("Give the reason residents will read (at most %(max)d characters).",
                                         max=REASON_MAX)})
    if found.hidden_at is None:  # (its words go: what is hidden is often personal data)
        found.hidden_at, found.hidden_reason, found.hidden_by_id, found.body = utcnow(), reason, actor.id, ""
        record(actor, AuditAction.UPDATE, "consultation", consultation.id, name=consultation.title,
               area_id=consultation.community_id, after={"comment_hidden": found.id, "reason": reason})
    return found
