"""Who speaks for a household in a consultation (民议 · 民决): a resident proves it with a one-time
code texted to a mobile the household archive holds for a member, or at an enrolled kiosk with a
member's ID number.  Either way the resident becomes a ``Voter``: the household and the member, checked
again at every comment and vote (a member who left, or a household that moved out of the scope since,
no longer speaks for it).

A code (services/codes.py) goes only to a number the archive holds for a household of the
consultation's scope, and the page, and the work behind it, is the same whatever the number: it does
not tell a passer-by who lives where.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import Building, Consultation, Household, Member
from ..models.base import utcnow
from ..models.sealed import lookups
from . import codes, consultations, notifications
from .consultations import Phase
from .errors import InvalidInput
from .locales import parsed_locale
from .uow import use_case
from .validation import FieldError, clean_id_number, mask_name

LABEL_MAX = 60  # models/consultation.py: Comment.author_label
HOUSEHOLDS_MOST = 8  # households one number speaks for, at most
TAKES_PART = (Phase.DISCUSSION, Phase.BEFORE_VOTE, Phase.VOTING)  # when a resident may verify

CODE_TEXT = _l("[Community Cloud Locker] Your code to take part in “%(title)s” is %(code)s, valid %(minutes)d "
               "minutes. Do not give it to anyone.")


@dataclass(frozen=True)
class Voter:
    consultation_id: int
    household_id: int
    member_id: int
    label: str  # as the discussion shows the household: "3号楼 张*"
    place: str = ""  # the household's flat in the reader's language ("3号楼 1-301"): which one, for a number in two


def _member_in_scope(consultation: Consultation, condition) -> Member | None:
    return db.session.scalar(select(Member).join(Household, Household.id == Member.household_id)
                             .where(condition, Member.moved_out.is_(None), consultations.in_scope(consultation))
                             .order_by(Member.position, Member.id).limit(1))


def _voter(consultation: Consultation, member: Member) -> Voter:
    building = db.session.get(Building, member.household.building_id)
    room = member.household.room
    return Voter(consultation.id, member.household_id, member.id,
                 f"{building.name_zh[:40]} {mask_name(member.name)}"[:LABEL_MAX],
                 f"{building.name[:40]} {room.label}" if room is not None else building.name[:40])


def check(consultation: Consultation, voter: Voter | None) -> Voter | None:
    """The voter still speaks for the household in this consultation (or None)."""
    if voter is None or voter.consultation_id != consultation.id:
        return None
    member = db.session.get(Member, voter.member_id)
    if member is None or member.household_id != voter.household_id or member.moved_out is not None:
        return None
    in_scope = db.session.scalar(select(Household.id).where(Household.id == member.household_id,
                                                            consultations.in_scope(consultation)))
    return voter if in_scope else None


def voter_of(consultation: Consultation, household_id: int, member_id: int) -> Voter | None:
    """The voter for a household and member kept since the code (None if they no longer speak for it)."""
    member = db.session.get(Member, member_id)
    if member is None or member.household_id != household_id:
        return None
    return check(consultation, _voter(consultation, member))


def purpose(consultation: Consultation) -> str:
    return f"consultation:{consultation.id}"


def send_code(consultation: Consultation, mobile: str | None, locale: str = "zh_CN") -> None:
    """Text a code to ``mobile`` if the archive holds it for a member of a household in scope (and say
    nothing either way).  A number may ask again after a growing wait."""
    from .judging import judging_open

    if consultations.phase(consultation) not in TAKES_PART and not judging_open(consultation):
        raise InvalidInput({"mobile": _l("This consultation is not taking part now.")})
    mobile = codes.clean(mobile)
    codes.may_ask(purpose(consultation), mobile)
    _send(consultation, mobile, locale)


@use_case
def _send(consultation: Consultation, mobile: str, locale: str) -> None:
    """A code row is written for any number, so that a number the archive holds and one it does not
    take the same work and the same time; only the first is texted."""
    member = _member_in_scope(consultation, Member.mobile_lookup.in_(lookups(mobile)))

    def text(code: str) -> tuple[str, dict]:
        params = {"title": consultation.title[:30], "code": code, "minutes": codes.CODE_MINUTES}
        with force_locale(parsed_locale(locale)):
            return str(CODE_TEXT) % params, params

    codes.write(purpose(consultation), mobile, text, kind="resident_code", member_id=member.id if member else None,
                texted=member is not None, consultation_id=consultation.id)


number_of = codes.number_of


def confirm_code(consultation: Consultation, number: str | None, code: str | None, page: str = "") -> Voter:
    """The household of the member the code was sent for, if ``code`` is the latest code sent for the
    number (``number``: its digest, from ``number_of``), in time, unused (services/codes.py)."""
    found = codes.redeem(purpose(consultation), number, code, page)
    member = db.session.get(Member, found.member_id) if found.member_id else None
    voter = check(consultation, _voter(consultation, member)) if member else None
    if voter is None:  # the member left (or the household moved) since the code was sent
        raise InvalidInput({"code": codes.WRONG})
    return voter


def households(consultation: Consultation, voter: Voter) -> list[Voter]:
    """Every household of the scope the confirmed number speaks for, ``voter``'s first: an owner of two
    flats whose number is in both files speaks for each (one at a time, each with its own vote)."""
    member = db.session.get(Member, voter.member_id)
    found, seen = [voter], {voter.household_id}
    if member is None or not member.mobile:
        return found
    for other in db.session.scalars(select(Member).join(Household, Household.id == Member.household_id)
                                    .where(Member.mobile_lookup.in_(lookups(member.mobile)), Member.moved_out.is_(None),
                                           consultations.in_scope(consultation))
                                    .order_by(Member.household_id, Member.position, Member.id)
                                    .limit(HOUSEHOLDS_MOST * 4)):
        if other.household_id not in seen and len(found) < HOUSEHOLDS_MOST:
            seen.add(other.household_id)
            found.append(_voter(consultation, other))
    return found


KIOSK_VOTE_TEXT = _l("[Community Cloud Locker] A vote for your household in “%(title)s” was cast at the community's "
                     "kiosk at %(time)s. If it was not your household's, please tell the community.")
KIOSK_JUDGEMENT_TEXT = _l("[Community Cloud Locker] Your household's judgement of “%(title)s” was given at the "
                          "community's kiosk at %(time)s. If it was not your household's, please tell the community.")
TOLD_MOST = 3  # members told of a kiosk vote


def tell_household(consultation: Consultation, household_id: int, template=KIOSK_VOTE_TEXT) -> None:
    """Text the household's members who have a mobile in the archive (within their share of texts)."""
    from .workdays import LOCAL_TZ

    now = utcnow()
    for member in db.session.scalars(select(Member).where(Member.household_id == household_id,
                                                          Member.moved_out.is_(None), Member.mobile_lookup.is_not(None))
                                     .order_by(Member.position).limit(TOLD_MOST)):
        if not member.mobile:
            continue
        params = {"title": consultation.title[:30], "time": now.astimezone(LOCAL_TZ).strftime("%H:%M")}
        with force_locale(parsed_locale("zh_CN")):
            body = str(template) % params
        notifications.enqueue_text(member.mobile, "kiosk_vote", body, params, consultation_id=consultation.id)


def require_kiosk(consultation: Consultation, terminal) -> None:
    """A vote or a judgement by ID card is taken at an enrolled terminal of the consultation's community."""
    if terminal is None or terminal.revoked_at is not None or terminal.community_id != consultation.community_id:
        raise InvalidInput({"id_number": _l("Votes by ID card are taken at the community's own kiosks.")})


def voter_by_id_number(consultation: Consultation, id_number: str | None) -> Voter:
    """At an enrolled kiosk: the household of the member with this ID number (the kiosk's own limits
    count the tries)."""
    try:
        number = clean_id_number(id_number)
    except FieldError as error:
        raise InvalidInput({"id_number": error.message}) from None
    member = _member_in_scope(consultation, Member.id_number_lookup.in_(lookups(number)))
    if member is None:
        raise InvalidInput({"id_number": _l("This ID number cannot vote here. Check it, or ask your grid worker to "
                                            "check your household's file.")})
    return _voter(consultation, member)
