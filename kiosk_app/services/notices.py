"""Texts to the households of a consultation's scope that agreed to them (a member's consent, recorded
in the household's file): when the vote opens, and the result.  One text per household, to the first
member who agreed and has a mobile, within each number's share of texts (services/notifications.py).
Run by the worker's reminders job; each consultation is told once of each, in one unit of work.
"""

from __future__ import annotations


from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import Consultation, ConsultationState, Household, Member
from ..models.base import utcnow
from . import consultations, notifications, workdays
from .locales import parsed_locale
from .uow import use_case

VOTE_OPEN_TEXT = _l("[Community Cloud Locker] The vote on “%(title)s” is open until %(until)s: one vote per household. "
                    "Scan the code on the notice, or vote at the community's kiosk.")
RESULT_TEXT = _l("[Community Cloud Locker] The result of “%(title)s”: %(outcome)s. %(voted)d of %(households)d "
                 "households voted. See the notice board.")
KINDS = ("vote_open", "vote_result")


def send_due() -> dict[str, int]:
    """Tell the households of every consultation whose vote opened, or whose result came out, and
    that were not told yet: how many consultations of each."""
    now = utcnow()
    opened = list(db.session.scalars(select(Consultation.id).where(
        Consultation.state == ConsultationState.OPEN, Consultation.vote_texted_at.is_(None),
        Consultation.vote_from <= now, Consultation.vote_to > now)))
    decided = list(db.session.scalars(select(Consultation.id).where(
        Consultation.state == ConsultationState.CLOSED, Consultation.result_texted_at.is_(None))))
    for consultation_id in opened:
        _tell(consultation_id, "vote_open")
    for consultation_id in decided:
        _tell(consultation_id, "vote_result")
    return {"vote_open": len(opened), "vote_result": len(decided)}


@use_case
def _tell(consultation_id: int, kind: str) -> int:
    consultation = consultations.lock(consultation_id)
    if (consultation.vote_texted_at if kind == "vote_open" else consultation.result_texted_at) is not None:
        return 0  # (another worker did)
    now = utcnow()
    if kind == "vote_open":
        consultation.vote_texted_at = now
        params = {"title": consultation.title[:30],
                  "until": consultation.vote_to.astimezone(workdays.LOCAL_TZ).strftime("%m-%d %H:%M")}
        template = VOTE_OPEN_TEXT
    else:
        consultation.result_texted_at = now
        result = consultations.result(consultation) or {"voted": 0, "households": 0, "adopted": False}
        with force_locale(parsed_locale("zh_CN")):
            outcome = str(_l("adopted") if result["adopted"] else _l("not adopted"))
        params = {"title": consultation.title[:30], "outcome": outcome, "voted": result["voted"],
                  "households": result["households"]}
        template = RESULT_TEXT
    with force_locale(parsed_locale("zh_CN")):
        body = str(template) % params
    told, sent = set(), 0
    for member in db.session.scalars(select(Member).join(Household, Household.id == Member.household_id).where(
            consultations.in_scope(consultation), Member.moved_out.is_(None), Member.consultation_texts.is_(True),
            Member.mobile_lookup.is_not(None)).order_by(Member.household_id, Member.position)):
        if member.household_id in told or not member.mobile:
            continue
        told.add(member.household_id)
        sent += notifications.enqueue_text(member.mobile, kind, body, params, consultation_id=consultation.id)
    return sent
