"""Consultations (民议 · 民决): drafted and published by community staff, with a timetable, a scope of
households (buildings, a grid or the community, as the household archive holds them) and the rule
that decides them; closed after the vote, when the rule is applied (services/deciding.py).

Staff see who took part (turnout), never how a household voted: the choices are sealed, and opened
only to be counted when the vote closes.  The page of a consultation for residents is ``/c/<token>``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
import json
import secrets
from collections import Counter
from datetime import datetime, timedelta, timezone
from fractions import Fraction

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..models import (Area, Building, Consultation, ConsultationOption, ConsultationScope, ConsultationState, Grid,
                      Household, OptionKind, Role, Staff, Ticket, Vote)
from ..models.base import utcnow
from . import deciding, proposals, scope, workdays
from .admin.audit import AuditAction, record
from .errors import Forbidden, InvalidInput, NotFound
from .uow import use_case, write_turn
from .validation import record_id

TITLE_MAX, MATTER_MAX, OPTION_MAX, OPTIONS_MOST = 100, 4000, 100, 10
RUNS = {Role.COMMUNITY_STAFF, Role.COMMUNITY_ADMIN, Role.DISTRICT_ADMIN}  # who drafts, publishes and closes


class Phase(enum.StrEnum):
    DRAFT = "draft"
    ANNOUNCED = "announced"  # published; the discussion has not begun
    DISCUSSION = "discussion"
    BEFORE_VOTE = "before_vote"  # the discussion is over; the vote has not begun
    VOTING = "voting"
    COUNTING = "counting"  # the vote is over; staff close it and the result is published
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return str(PHASE_LABELS[self])


PHASE_LABELS = {Phase.DRAFT: _l("Draft"), Phase.ANNOUNCED: _l("Announced"), Phase.DISCUSSION: _l("Under discussion"),
                Phase.BEFORE_VOTE: _l("Discussion over; the vote opens soon"), Phase.VOTING: _l("Voting"),
                Phase.COUNTING: _l("The vote is over; the result follows"), Phase.CLOSED: _l("Decided")}


def phase(consultation: Consultation, now: datetime | None = None) -> Phase:
    now = now or utcnow()
    if consultation.state == ConsultationState.DRAFT:
        return Phase.DRAFT
    if consultation.state == ConsultationState.CLOSED:
        return Phase.CLOSED
    for ends, during in ((consultation.discussion_from, Phase.ANNOUNCED), (consultation.discussion_to, Phase.DISCUSSION),
                         (consultation.vote_from, Phase.BEFORE_VOTE), (consultation.vote_to, Phase.VOTING)):
        if now < ends:
            return during
    return Phase.COUNTING


def rule_of(consultation: Consultation) -> deciding.Rule:
    return deciding.Rule(Fraction(consultation.turnout_num, consultation.turnout_den),
                         Fraction(consultation.agree_num, consultation.agree_den), consultation.agree_strict)


# -- who sees what -------------------------------------------------------------------------------------

def _runs(actor: Staff) -> None:
    if not actor.active or actor.role not in RUNS:
        raise Forbidden(_l("Consultations are run by community staff."))


def for_staff(actor: Staff) -> list[Consultation]:
    _runs(actor)
    return list(db.session.scalars(select(Consultation).where(
        Consultation.community_id.in_(scope.community_ids_select(actor))).order_by(Consultation.id.desc()).limit(200)))


def get_for_staff(actor: Staff, consultation_id, *, files: bool = False) -> Consultation:
    """A consultation of a community the account serves (another is as if it did not exist).  ``files``:
    for what names households one by one (paper votes), which a district admin does not see."""
    _runs(actor)
    if files and actor.role == Role.DISTRICT_ADMIN:
        raise Forbidden(_l("Households are entered by the community's own staff."))
    consultation = db.session.get(Consultation, record_id(consultation_id) or 0)
    if consultation is None or consultation.community_id not in set(db.session.scalars(scope.community_ids_select(actor))):
        raise NotFound(_l("We could not find this consultation."))
    return consultation


def get_public(token: str) -> Consultation:
    """A published consultation by its address; a draft, or a token that is none, is not found."""
    consultation = db.session.scalar(select(Consultation).where(Consultation.token == (token or "")[:32]))
    if consultation is None or consultation.state == ConsultationState.DRAFT:
        raise NotFound(_l("We could not find this consultation."))
    return consultation


def for_community(community_id: int) -> list[Consultation]:
    """What a community's residents see at its kiosk (居民议事): consultations published and not closed,
    and results of the last 30 days."""
    recent = utcnow() - timedelta(days=30)
    return list(db.session.scalars(select(Consultation).where(
        Consultation.community_id == community_id, Consultation.state != ConsultationState.DRAFT,
        (Consultation.state == ConsultationState.OPEN) | (Consultation.closed_at >= recent))
        .order_by(Consultation.vote_to.desc()).limit(50)))


def in_scope(consultation: Consultation):
    """The condition on ``Household`` of the households that take part."""
    present = (Household.active.is_(True), Household.community_id == consultation.community_id)
    if consultation.scope == ConsultationScope.GRID:
        return db.and_(*present, Household.grid_id == consultation.grid_id)
    if consultation.scope == ConsultationScope.BUILDINGS:
        return db.and_(*present, Household.building_id.in_([b.id for b in consultation.buildings]))
    return db.and_(*present)


def households_in_scope(consultation: Consultation) -> int:
    return db.session.scalar(select(func.count(Household.id)).where(in_scope(consultation))) or 0


def counted_votes(consultation: Consultation):
    """The votes that count: those of households in scope now (one that moved away no longer counts,
    as it no longer counts among the households)."""
    return (select(Vote).join(Household, Household.id == Vote.household_id)
            .where(Vote.consultation_id == consultation.id, in_scope(consultation)))


def turnout(consultation: Consultation) -> tuple[int, int]:
    """(households that voted, households in scope): what staff see while the vote runs."""
    if consultation.state == ConsultationState.CLOSED:
        data = json.loads(consultation.result or "{}")
        return data.get("voted", 0), data.get("households", 0)
    voted = db.session.scalar(select(func.count()).select_from(counted_votes(consultation).subquery())) or 0
    return voted, households_in_scope(consultation)


def lock(consultation_id: int) -> Consultation:
    """The consultation read again under its row lock (PostgreSQL; on SQLite the caller's write turn
    serialises), so that a vote and the count cannot pass each other."""
    return db.session.scalar(select(Consultation).where(Consultation.id == consultation_id).with_for_update()
                             .execution_options(populate_existing=True))


def scope_text(consultation: Consultation) -> str:
    if consultation.scope == ConsultationScope.BUILDINGS:
        return str(_l(", ")).join(b.name for b in consultation.buildings)
    if consultation.scope == ConsultationScope.GRID:
        return db.session.get(Grid, consultation.grid_id).name
    return db.session.get(Area, consultation.community_id).name


# -- drafting ------------------------------------------------------------------------------------------

def _moment(text: str | None, field: str, errors: dict, *, required: bool = True) -> datetime | None:
    """A local date and time from the form (2026-12-01T19:30), in UTC."""
    text = (text or "").strip()
    if not text:
        if required:
            errors[field] = _l("Please give the date and time.")
        return None
    try:
        moment = datetime.fromisoformat(text[:40])
        if not 2000 <= moment.year <= 2100:
            raise ValueError(moment.year)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=workdays.LOCAL_TZ)
        return moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        errors[field] = _l("Write the date and time as 2026-12-01 19:30.")
        return None


def _rule(form: dict, errors: dict) -> dict:
    preset = form.get("rule") or "two_thirds"
    if preset in deciding.PRESETS:
        rule = deciding.PRESETS[preset][0]
    else:
        turnout, agree = deciding.parse_percent(form.get("turnout")), deciding.parse_percent(form.get("agree"))
        if turnout is None or agree is None:
            errors["rule"] = _l("Give the turnout and the agreeing share as percentages from 1 to 100.")
            return {}
        rule = deciding.Rule(turnout, agree, bool(form.get("strict")))
    return dict(turnout_num=rule.turnout.numerator, turnout_den=rule.turnout.denominator, agree_num=rule.agree.numerator,
                agree_den=rule.agree.denominator, agree_strict=rule.strict)


def _options(form: dict, errors: dict) -> list[ConsultationOption]:
    lines = [" ".join(line.split()) for line in (form.get("choices") or "").splitlines()]
    agreeing = list(dict.fromkeys(line for line in lines if line))
    if not agreeing:
        errors["choices"] = _l("Give at least one choice that agrees (e.g. 同意).")
    elif len(agreeing) > OPTIONS_MOST or any(len(line) > OPTION_MAX for line in agreeing):
        errors["choices"] = _l("At most %(most)d choices of at most %(max)d characters each.", most=OPTIONS_MOST,
                               max=OPTION_MAX)
    options = [ConsultationOption(label=label, kind=OptionKind.FOR) for label in agreeing]
    if form.get("against"):  # (their labels are translated as shown)
        options.append(ConsultationOption(label="", kind=OptionKind.AGAINST))
    if form.get("abstain"):
        options.append(ConsultationOption(label="", kind=OptionKind.ABSTAIN))
    for position, option in enumerate(options):
        option.position = position
    return options


def _where(actor: Staff, form: dict, errors: dict, community_id: int | None) -> dict:
    kind = form.get("scope")
    if kind not in set(ConsultationScope):
        errors["scope"] = _l("Choose who takes part: buildings, a grid or the community.")
        return {}
    if kind == ConsultationScope.BUILDINGS:
        ids = [record_id(value) for value in (form.get("buildings") or [])][:200]
        buildings = list(db.session.scalars(select(Building).where(
            Building.id.in_([i for i in ids if i]), Building.active.is_(True),
            Building.community_id.in_(scope.community_ids_select(actor)))))
        if not buildings or len({b.community_id for b in buildings}) > 1:
            errors["buildings"] = _l("Choose one or more buildings of one community.")
            return {}
        return {"scope": ConsultationScope.BUILDINGS, "community_id": buildings[0].community_id, "buildings": buildings,
                "grid_id": None}
    if kind == ConsultationScope.GRID:
        grid = db.session.get(Grid, record_id(form.get("grid")) or 0)
        if grid is None or grid.community_id not in set(db.session.scalars(scope.community_ids_select(actor))):
            errors["grid"] = _l("Choose a grid.")
            return {}
        return {"scope": ConsultationScope.GRID, "community_id": grid.community_id, "grid_id": grid.id, "buildings": []}
    community = db.session.get(Area, record_id(form.get("community")) or community_id or 0)
    if community is None or community.id not in set(db.session.scalars(scope.community_ids_select(actor))):
        errors["community"] = _l("Choose a community.")
        return {}
    return {"scope": ConsultationScope.COMMUNITY, "community_id": community.id, "grid_id": None, "buildings": []}


@use_case
def save_draft(actor: Staff, form: dict, consultation_id=None) -> Consultation:
    """Make a consultation (from a proposal, ``form["ticket"]``, if given) or change a draft."""
    _runs(actor)
    consultation = get_for_staff(actor, consultation_id) if consultation_id else None
    if consultation is not None and consultation.state != ConsultationState.DRAFT:
        raise InvalidInput({"title": _l("A published consultation cannot be changed.")})
    errors: dict = {}
    values: dict = {"title": " ".join((form.get("title") or "").split()), "matter": (form.get("matter") or "").strip()}
    if not values["title"] or len(values["title"]) > TITLE_MAX:
        errors["title"] = _l("Give a title of at most %(max)d characters.", max=TITLE_MAX)
    if not values["matter"] or len(values["matter"]) > MATTER_MAX:
        errors["matter"] = _l("Describe the matter in at most %(max)d characters.", max=MATTER_MAX)
    for field in ("discussion_from", "discussion_to", "vote_from", "vote_to"):
        values[field] = _moment(form.get(field), field, errors)
    values["meeting_at"] = _moment(form.get("meeting_at"), "meeting_at", errors, required=False)
    values["meeting_place"] = (form.get("meeting_place") or "").strip()
    if len(values["meeting_place"]) > 200:
        errors["meeting_place"] = _l("At most %(max)d characters.", max=200)
    times = [values[f] for f in ("discussion_from", "discussion_to", "vote_from", "vote_to")]
    if all(times) and not (times[0] < times[1] <= times[2] < times[3]):
        errors["vote_to"] = _l("The discussion comes first, then the vote: each ends after it begins.")
    values.update(_rule(form, errors))
    values.update(_where(actor, form, errors, consultation.community_id if consultation else None))
    options = _options(form, errors)
    ticket = None
    if form.get("ticket") and consultation is None:
        ticket = db.session.scalar(select(Ticket).where(Ticket.id == (record_id(form.get("ticket")) or 0),
                                                        scope.ticket_filter(actor)))
        if ticket is None:
            errors["title"] = _l("We could not find this proposal.")
    if errors:
        raise InvalidInput(errors)
    if consultation is None:
        consultation = Consultation(token=secrets.token_urlsafe(16), created_by_id=actor.id,
                                    ticket_id=ticket.id if ticket else None)
        db.session.add(consultation)
    for name, value in values.items():
        setattr(consultation, name, value)
    consultation.options = options
    db.session.flush()
    record(actor, AuditAction.CREATE if consultation_id is None else AuditAction.UPDATE, "consultation",
           consultation.id, name=consultation.title, area_id=consultation.community_id, after={"state": "draft"})
    return consultation


@use_case
def publish(actor: Staff, consultation_id) -> Consultation:
    """Residents can read it from now on; nothing in it changes after this."""
    consultation = get_for_staff(actor, consultation_id)
    if consultation.state != ConsultationState.DRAFT:
        raise InvalidInput({"state": _l("This consultation is already published.")})
    if consultation.vote_to <= utcnow():
        raise InvalidInput({"vote_to": _l("The vote would be over before it is published: change the timetable.")})
    consultation.state, consultation.published_at = ConsultationState.OPEN, utcnow()
    record(actor, AuditAction.UPDATE, "consultation", consultation.id, name=consultation.title,
           area_id=consultation.community_id, after={"state": "open"})
    proposals.published(actor, consultation)
    return consultation


# -- closing -------------------------------------------------------------------------------------------

def close(actor: Staff, consultation_id) -> Consultation:
    """Count the votes once the vote is over, apply the rule and publish the result (once)."""
    with write_turn():
        return _close(actor, consultation_id)


@use_case
def _close(actor: Staff, consultation_id) -> Consultation:
    consultation = lock(get_for_staff(actor, consultation_id).id)
    if phase(consultation) != Phase.COUNTING:
        raise InvalidInput({"state": _l("A consultation is closed once its vote is over.")})
    households = households_in_scope(consultation)
    counts = Counter(int(vote.choice) for vote in db.session.scalars(counted_votes(consultation)))
    agreeing = [o.id for o in consultation.options if o.kind == OptionKind.FOR]
    outcome = deciding.decide(rule_of(consultation), households, {o.id: counts.get(o.id, 0) for o in consultation.options},
                              agreeing)
    consultation.state, consultation.closed_at = ConsultationState.CLOSED, utcnow()
    consultation.households_in_scope, consultation.adopted = households, outcome.adopted
    consultation.adopted_option_id = outcome.adopted_option
    consultation.result = json.dumps({"households": households, "voted": outcome.voted,
                                      "counts": {str(k): v for k, v in outcome.counts.items()},
                                      "turnout_met": outcome.turnout_met})
    record(actor, AuditAction.UPDATE, "consultation", consultation.id, name=consultation.title,
           area_id=consultation.community_id, after={"state": "closed", "adopted": outcome.adopted,
                                                     "voted": outcome.voted, "households": households})
    proposals.decided(actor, consultation, outcome.voted, households)
    return consultation


def result(consultation: Consultation) -> dict | None:
    """The published result: households, votes, turnout, counts per option (labels), the outcome."""
    if consultation.state != ConsultationState.CLOSED or not consultation.result:
        return None
    data = json.loads(consultation.result)
    counts = data["counts"]
    return {"households": data["households"], "voted": data["voted"], "turnout_met": data["turnout_met"],
            "lines": [(option, counts.get(str(option.id), 0)) for option in consultation.options],
            "adopted": consultation.adopted,
            "alternatives": sum(1 for o in consultation.options if o.kind == OptionKind.FOR) > 1,
            "adopted_option": next((o for o in consultation.options if o.id == consultation.adopted_option_id), None)}


@dataclass(frozen=True)
class CommunityFigures:
    community: str
    published: int
    running: int
    closed: int
    adopted: int
    households: int  # in scope, summed over the closed ones
    voted: int

    @property
    def turnout(self) -> float | None:
        return self.voted / self.households if self.households else None


def figures(actor: Staff) -> list[CommunityFigures]:
    """Consultations per community the account serves: published, running, closed, adopted, and the
    turnout of the closed ones (households that voted of households in scope)."""
    _runs(actor)
    rows: dict[int, dict] = {}
    names = {area.id: area.name for area in scope.communities(actor)}
    for community_id, state, adopted, voted_json in db.session.execute(
            select(Consultation.community_id, Consultation.state, Consultation.adopted, Consultation.result)
            .where(Consultation.community_id.in_(scope.community_ids_select(actor)),
                   Consultation.state != ConsultationState.DRAFT)):
        row = rows.setdefault(community_id, {"published": 0, "running": 0, "closed": 0, "adopted": 0,
                                             "households": 0, "voted": 0})
        row["published"] += 1
        if state == ConsultationState.OPEN:
            row["running"] += 1
        else:
            data = json.loads(voted_json or "{}")
            row["closed"] += 1
            row["adopted"] += 1 if adopted else 0
            row["households"] += data.get("households", 0)
            row["voted"] += data.get("voted", 0)
    return [CommunityFigures(names.get(community_id, ""), **row) for community_id, row in sorted(rows.items())]
