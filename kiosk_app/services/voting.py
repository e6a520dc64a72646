"""民决: one vote per household of a consultation's scope.

A vote is one row keyed by (consultation, household), written by one atomic upsert: a later vote of the
same household replaces the earlier one (however many arrive at once), never adds to it.  The choice is
sealed, as a value of fixed width (a sealed value's length would otherwise tell "9" from "10"); the
household is shown its own vote, staff only how many households voted, until the vote is counted
(services/consultations.close).  A vote and the close take the consultation's row lock (PostgreSQL)
or the write turn (SQLite) and check the phase under it: no vote slips in after the count.

Staff enter a paper vote collected at a meeting for a household, recorded as such, while the vote
runs; it never replaces a vote the household cast itself (a later vote of the household replaces it).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models import Consultation, ConsultationOption, Household, Staff, Vote, VoteChannel
from ..models.base import utcnow
from . import consultations, participation
from .admin.audit import AuditAction, record
from .consultations import Phase
from .errors import InvalidInput
from .participation import Voter
from .uow import use_case, write_turn
from .validation import record_id


def sealed_choice(option_id: int) -> str:
    return f"{option_id:010d}"


def _option(consultation: Consultation, option_id) -> ConsultationOption:
    option = next((o for o in consultation.options if o.id == record_id(option_id)), None)
    if option is None:
        raise InvalidInput({"option": _l("Choose one of the choices listed.")})
    return option


def _voting(consultation: Consultation) -> Consultation:
    """The consultation locked against a concurrent close, its vote checked open under the lock."""
    locked = consultations.lock(consultation.id)
    if consultations.phase(locked) != Phase.VOTING:
        raise InvalidInput({"option": _l("The vote is not open now.")})
    return locked


def _upsert(consultation: Consultation, household_id: int, option: ConsultationOption, channel: VoteChannel, *,
            member_id: int | None = None, staff_id: int | None = None) -> int:
    """Write the household's vote; returns 1, or 0 for a paper vote refused by the household's own vote."""
    table = Vote.__table__
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table).values(consultation_id=consultation.id, household_id=household_id,
                                choice=sealed_choice(option.id), channel=channel, member_id=member_id,
                                staff_id=staff_id, cast_at=utcnow(), times=1)
    written = db.session.execute(stmt.on_conflict_do_update(
        index_elements=[table.c.consultation_id, table.c.household_id],
        set_={"choice": stmt.excluded.choice, "channel": stmt.excluded.channel, "member_id": stmt.excluded.member_id,
              "staff_id": stmt.excluded.staff_id, "cast_at": stmt.excluded.cast_at, "times": table.c.times + 1},
        where=(table.c.channel == VoteChannel.PAPER) if channel == VoteChannel.PAPER else None)
        .returning(table.c.id)).first()  # (a rowcount is not told with RETURNING, which PostgreSQL adds)
    return 1 if written is not None else 0


def cast(consultation: Consultation, voter: Voter | None, option_id) -> None:
    """The household's vote (replacing its earlier one) while the vote is open."""
    with write_turn():
        _cast(consultation, voter, option_id)


@use_case
def _cast(consultation: Consultation, voter: Voter | None, option_id) -> None:
    voter = participation.check(consultation, voter)
    if voter is None:
        raise InvalidInput({"option": _l("Confirm your household first: only households taking part may vote.")})
    consultation = _voting(consultation)
    _upsert(consultation, voter.household_id, _option(consultation, option_id), VoteChannel.PHONE,
            member_id=voter.member_id)


def cast_at_kiosk(consultation: Consultation, terminal, id_number: str | None, option_id) -> None:
    """A vote at an enrolled terminal of the consultation's community, by a member's ID number (a kiosk
    is shared: nobody stays confirmed on it after the vote).  An ID number is easier to come by than a
    phone: the household's registered mobiles are told of the vote, so that one cast by someone else
    does not go unnoticed."""
    with write_turn():
        _cast_at_kiosk(consultation, terminal, id_number, option_id)


@use_case
def _cast_at_kiosk(consultation: Consultation, terminal, id_number: str | None, option_id) -> None:
    participation.require_kiosk(consultation, terminal)
    consultation = _voting(consultation)
    option = _option(consultation, option_id)
    voter = participation.voter_by_id_number(consultation, id_number)
    _upsert(consultation, voter.household_id, option, VoteChannel.KIOSK, member_id=voter.member_id)
    participation.tell_household(consultation, voter.household_id)


def household_vote(consultation: Consultation, voter: Voter | None) -> ConsultationOption | None:
    """How the voter's household voted (for the household alone)."""
    if participation.check(consultation, voter) is None:
        return None
    choice = db.session.scalar(select(Vote.choice).where(Vote.consultation_id == consultation.id,
                                                         Vote.household_id == voter.household_id))
    return next((o for o in consultation.options if choice and int(choice) == o.id), None)


def paper(actor: Staff, consultation_id, household_id, option_id) -> None:
    """A paper vote collected at the meeting, entered by staff for a household of the scope while the
    vote runs; it replaces an earlier paper vote of the household (a correction), never its own vote."""
    with write_turn():
        _paper(actor, consultation_id, household_id, option_id)


@use_case
def _paper(actor: Staff, consultation_id, household_id, option_id) -> None:
    consultation = consultations.get_for_staff(actor, consultation_id, files=True)
    try:
        consultation = _voting(consultation)
    except InvalidInput:
        raise InvalidInput({"household": _l("Paper votes are entered while the vote runs.")}) from None
    household = db.session.scalar(select(Household).where(Household.id == (record_id(household_id) or 0),
                                                          consultations.in_scope(consultation)))
    if household is None:
        raise InvalidInput({"household": _l("This household does not take part in this consultation.")})
    option = _option(consultation, option_id)
    if not _upsert(consultation, household.id, option, VoteChannel.PAPER, staff_id=actor.id):
        raise InvalidInput({"household": _l("This household has voted itself: its own vote stands.")})
    record(actor, AuditAction.UPDATE, "consultation", consultation.id, name=consultation.title,
           area_id=consultation.community_id, after={"paper_vote": household.id})
