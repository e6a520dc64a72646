"""A consultation's page for residents, ``/c/<token>`` (民议 · 民决): the matter, its timetable and rule,
the discussion, and — for a resident who confirmed their household with a texted code — a comment and
the household's vote; after the vote, the result.

Who confirmed is kept in the resident's session for ``VOTER_MINUTES``, for this consultation only.
"""

from __future__ import annotations

import secrets
import time

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..models import RATING_LABELS
from ..services import carrying_out, catalogue, consultations, discussion, judging, participation, voting
from ..services.errors import InvalidInput, Throttled
from ..web import i18n, limits
from ..web.context import current_terminal
from ..web.transactions import reads_only
from .routes import bp

VOTER_MINUTES = 30
SESSION_KEY = "voters"  # {consultation id: [household id, member id, label, until, households]} (web/context.forget_voters)
# households: [[household id, member id], …] when the number speaks for more than one (ids only: a cookie)
PAGE_KEY = "code_page"  # a random mark: whose tries are whose (services/codes.redeem)
NUMBER_KEY = "code_number"  # the keyed digest of the number a code was asked for (never the number)


def _voter(consultation) -> participation.Voter | None:
    """Whom the resident speaks for here; nobody on an enrolled terminal (shared: a vote there is one
    step with an ID number)."""
    if current_terminal() is not None:
        return None
    held = (session.get(SESSION_KEY) or {}).get(str(consultation.id))
    if not held or held[3] < time.time():
        return None
    return participation.Voter(consultation.id, held[0], held[1], held[2])


def _households(consultation) -> list[participation.Voter]:
    """The households the confirmed number speaks for, when it is more than one: those it still speaks
    for (a member who moved out, a household that left the scope, drop out)."""
    held = (session.get(SESSION_KEY) or {}).get(str(consultation.id))
    if _voter(consultation) is None or len(held) < 5:
        return []
    found = [participation.voter_of(consultation, *pair[:2]) for pair in held[4][:participation.HOUSEHOLDS_MOST]]
    return [voter for voter in found if voter is not None]


def _current(consultation) -> tuple[participation.Voter | None, list[participation.Voter]]:
    """Whom the resident speaks for now, and the households to choose from; if the current one no
    longer holds, the first that does."""
    voter, households = participation.check(consultation, _voter(consultation)), _households(consultation)
    if voter is None and households:
        voter = households[0]
        _remember(voter, households, until=session[SESSION_KEY][str(consultation.id)][3])
    return voter, households if len(households) > 1 else []


def _remember(voter: participation.Voter, households: list[participation.Voter] = (), until: int | None = None) -> None:
    voters = {k: v for k, v in (session.get(SESSION_KEY) or {}).items() if v[3] >= time.time()}
    voters[str(voter.consultation_id)] = [voter.household_id, voter.member_id, voter.label,
                                          until or int(time.time()) + VOTER_MINUTES * 60,
                                          [[h.household_id, h.member_id] for h in households]]
    session[SESSION_KEY] = dict(list(voters.items())[-5:])


def _speaking(consultation, field: str) -> participation.Voter | None:
    """The voter a comment, vote or judgement is from: the household the page showed.  With more than
    one household to speak for, one switched in another tab does not take a vote meant for the other."""
    voter, households = _current(consultation)
    shown = request.form.get("household", "")[:12]
    if voter is not None and (shown or households) and shown != str(voter.household_id):
        who = next((h.place for h in households if h.household_id == voter.household_id), voter.label)
        raise InvalidInput({field: _("You now speak for another household: %(who)s. Check the page and send "
                                     "again.", who=who)})
    return voter


def _elsewhere(terminal, consultation) -> str:
    """On another community's kiosk: the consultation's community, where its kiosks take part ("" here)."""
    if terminal is None or terminal.community_id == consultation.community_id:
        return ""
    return catalogue.get_community_by_id(consultation.community_id).name


def _page(consultation, errors: dict | None = None, form: dict | None = None, status: int = 200, sent: bool = False):
    voter, households = _current(consultation)
    terminal = current_terminal()
    response = render_template("pages/public/consultation.html", consultation=consultation,
                               at_kiosk=terminal is not None,
                               kiosk_elsewhere=_elsewhere(terminal, consultation),
                               kiosk_voted=request.args.get("kiosk_voted") == "1",
                               phase=consultations.phase(consultation), voter=voter,
                               households=households,
                               household_vote=voting.household_vote(consultation, voter),
                               comments=discussion.comments(consultation), result=consultations.result(consultation),
                               scope_text=consultations.scope_text(consultation),
                               rule=consultations.rule_of(consultation), tasks=carrying_out.tasks(consultation),
                               judging=judging.judging_open(consultation), judgements=judging.judgements(consultation),
                               household_judgement=judging.household_judgement(consultation, voter),
                               rating_labels=RATING_LABELS, judged=request.args.get("judged") == "1",
                               errors=errors or {}, form=form or {}, sent=sent)
    return response, status, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@bp.get("/c/<token>")
@reads_only
def consultation_page(token: str):
    return _page(consultations.get_public(token), sent=request.args.get("sent") == "1")


def _form() -> dict:
    return {key: request.form.get(key, "")[:2000] for key in ("mobile", "code", "body", "option")}


@bp.post("/c/<token>/code")
@limits.attempts("LIMIT_RESIDENT_CODES", "resident-code")
def consultation_code(token: str):
    consultation, form = consultations.get_public(token), _form()
    if current_terminal() is not None:  # (a shared screen takes part by ID number)
        return _page(consultation, {"mobile": _("On this kiosk, vote with the ID card of a member of your household.")},
                     form, 422)
    try:
        participation.send_code(consultation, form["mobile"], i18n.select_locale())
    except InvalidInput as invalid:
        return _page(consultation, invalid.messages, form, 422)
    except Throttled as wait:  # (asked again too soon: the code sent before still works, its box stays)
        return _page(consultation, {"mobile": str(wait.message)}, form, 429, sent=NUMBER_KEY in session)
    session[NUMBER_KEY] = participation.number_of(form["mobile"])
    session.setdefault(PAGE_KEY, secrets.token_hex(8))
    return redirect(url_for("public.consultation_page", token=token, sent=1) + "#take-part", code=303)


@bp.post("/c/<token>/verify")
@limits.attempts("LIMIT_RESIDENT_CODES", "resident-code")
def consultation_verify(token: str):
    consultation, form = consultations.get_public(token), _form()
    if current_terminal() is not None:
        return _page(consultation, {"code": _("On this kiosk, vote with the ID card of a member of your household.")},
                     form, 422)
    try:
        voter = participation.confirm_code(consultation, session.get(NUMBER_KEY), form["code"], session.get(PAGE_KEY, ""))
    except InvalidInput as invalid:
        return _page(consultation, invalid.messages, form, 422, sent=True)
    except Throttled as wait:
        return _page(consultation, {"code": str(wait.message)}, form, 429, sent=True)
    found = participation.households(consultation, voter)
    _remember(voter, found if len(found) > 1 else [])
    session.pop(NUMBER_KEY, None)
    return redirect(url_for("public.consultation_page", token=token) + "#take-part", code=303)


@bp.post("/c/<token>/household")
def consultation_household(token: str):
    """Speak for another of the households the confirmed number speaks for."""
    consultation = consultations.get_public(token)
    choices = _households(consultation)  # (only those the number still speaks for)
    chosen = next((h for h in choices if str(h.household_id) == request.form.get("household", "")[:12]), None)
    if chosen is not None:
        _remember(chosen, choices, until=session[SESSION_KEY][str(consultation.id)][3])
    return redirect(url_for("public.consultation_page", token=token) + "#take-part", code=303)


@bp.post("/c/<token>/comments")
def consultation_comment(token: str):
    consultation, form = consultations.get_public(token), _form()
    try:
        discussion.comment(consultation, _speaking(consultation, "body"), form["body"])
    except InvalidInput as invalid:
        return _page(consultation, invalid.messages, form, 422)
    return redirect(url_for("public.consultation_page", token=token) + "#discussion", code=303)


@bp.post("/c/<token>/vote")
def consultation_vote(token: str):
    consultation, form = consultations.get_public(token), _form()
    try:
        voting.cast(consultation, _speaking(consultation, "option"), form["option"])
    except InvalidInput as invalid:
        return _page(consultation, invalid.messages, form, 422)
    return redirect(url_for("public.consultation_page", token=token, voted=1) + "#take-part", code=303)


@bp.post("/c/<token>/kiosk-vote")
@limits.attempts("LIMIT_KIOSK_VOTES", "kiosk-vote")
def consultation_kiosk_vote(token: str):
    """At the community's kiosk: a member's ID number and the household's choice, in one step."""
    consultation, form = consultations.get_public(token), _form()
    form["id_number"] = request.form.get("id_number", "")[:32]
    try:
        voting.cast_at_kiosk(consultation, current_terminal(), form["id_number"], form["option"])
    except InvalidInput as invalid:
        form["id_number"] = ""  # (not shown again on a shared screen)
        return _page(consultation, invalid.messages, form, 422)
    return redirect(url_for("public.consultation_page", token=token, kiosk_voted=1) + "#take-part", code=303)


@bp.post("/c/<token>/judge")
@limits.attempts("LIMIT_KIOSK_VOTES", "kiosk-vote")
def consultation_judge(token: str):
    """民评: the household judges how the matter was carried out (a phone, or a kiosk with an ID number)."""
    consultation, form = consultations.get_public(token), _form()
    form.update(level=request.form.get("level", "")[:2], comment=request.form.get("comment", "")[:2000],
                id_number=request.form.get("id_number", "")[:32])
    try:
        if current_terminal() is not None:
            judging.judge_at_kiosk(consultation, current_terminal(), form["id_number"], form["level"])
        else:
            judging.judge(consultation, _speaking(consultation, "level"), form["level"], form["comment"])
    except InvalidInput as invalid:
        form["id_number"] = ""
        return _page(consultation, invalid.messages, form, 422)
    return redirect(url_for("public.consultation_page", token=token, judged=1) + "#judging", code=303)


@bp.post("/c/<token>/leave")
def consultation_leave(token: str):
    """Forget, on this device, whom the resident speaks for (a shared phone, a kiosk)."""
    consultation = consultations.get_public(token)
    voters = dict(session.get(SESSION_KEY) or {})
    voters.pop(str(consultation.id), None)
    session[SESSION_KEY] = voters
    return redirect(url_for("public.consultation_page", token=token), code=303)
