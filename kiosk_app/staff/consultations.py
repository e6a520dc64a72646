"""Consultations in the back office (民议 · 民决): drafting, publishing, the discussion's answers and
hidden comments, turnout while the vote runs, paper votes, closing, and the printable notices."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..extensions import db
from ..models import Building, Household, Room, TaskOwner, TaskState, Ticket
from ..models.base import utcnow
from ..services import (carrying_out, consultations, deciding, discussion, figures, judging, qr, scope, urls,
                        volunteer_tasks, volunteers, voting, workdays)
from ..services.errors import InvalidInput
from ..web.transactions import reads_only
from .routes import bp


def _form() -> dict:
    form = {key: request.form.get(key, "")[:5000] for key in request.form}
    form["buildings"] = request.form.getlist("buildings")[:200]
    return form


def _local(moment) -> str:
    return moment.astimezone(workdays.LOCAL_TZ).strftime("%Y-%m-%dT%H:%M") if moment else ""


@bp.get("/consultations/")
@login_required
@reads_only
def consultations_page():
    found = consultations.for_staff(current_user)
    return render_template("pages/staff/consultations.html", consultations=found,
                           phases={c.id: consultations.phase(c) for c in found},
                           figures=consultations.figures(current_user), hours=figures.volunteer_hours(current_user))


def _draft_page(form: dict, errors: dict | None = None, consultation=None, status: int = 200, proposal=None):
    return render_template("pages/staff/consultation_form.html", form=form, errors=errors or {}, proposal=proposal,
                           consultation=consultation, presets=deciding.PRESETS, grids=scope.grids(current_user),
                           communities=scope.communities(current_user),
                           buildings=list(db.session.scalars(select(Building).where(
                               Building.community_id.in_(scope.community_ids_select(current_user)),
                               Building.active.is_(True)).order_by(Building.community_id, Building.position)))), status


@bp.get("/consultations/new")
@login_required
@reads_only
def consultation_new():
    consultations.for_staff(current_user)  # (who may run them)
    start = utcnow().astimezone(workdays.LOCAL_TZ).replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=1)
    form = {"scope": "buildings", "choices": _("Agree"), "against": "1", "abstain": "1", "rule": "two_thirds",
            "discussion_from": _local(start), "discussion_to": _local(start + timedelta(days=7)),
            "vote_from": _local(start + timedelta(days=7)), "vote_to": _local(start + timedelta(days=14))}
    ticket = db.session.scalar(select(Ticket).where(Ticket.id == (request.args.get("ticket", type=int) or 0),
                                                    scope.ticket_filter(current_user)))
    if ticket is not None:  # a proposal (民事民提) put to the residents: its words for staff, not published
        form.update(ticket=str(ticket.id), scope="buildings", buildings=[str(ticket.building_id)])
    return _draft_page(form, proposal=ticket)


@bp.post("/consultations/new")
@login_required
def consultation_create():
    form = _form()
    try:
        consultation = consultations.save_draft(current_user, form)
    except InvalidInput as invalid:
        return _draft_page(form, invalid.messages, status=422)
    flash(_("The draft is saved. Publish it when it is ready."), "ok")
    return redirect(url_for("staff.consultation_detail", consultation_id=consultation.id), code=303)


@bp.get("/consultations/<int:consultation_id>")
@login_required
@reads_only
def consultation_detail(consultation_id: int):
    return _detail(consultations.get_for_staff(current_user, consultation_id))


def _detail(consultation, errors: dict | None = None, form: dict | None = None, status: int = 200):
    if consultation.state.value == "draft":
        values = {"title": consultation.title, "matter": consultation.matter, "scope": consultation.scope.value,
                  "buildings": [str(b.id) for b in consultation.buildings], "grid": str(consultation.grid_id or ""),
                  "community": str(consultation.community_id),
                  "choices": "\n".join(o.label for o in consultation.options if o.kind.value == "for"),
                  "against": "1" if any(o.kind.value == "against" for o in consultation.options) else "",
                  "abstain": "1" if any(o.kind.value == "abstain" for o in consultation.options) else "",
                  "rule": _preset(consultation), "turnout": _percent(consultation.turnout_num, consultation.turnout_den),
                  "agree": _percent(consultation.agree_num, consultation.agree_den),
                  "strict": "1" if consultation.agree_strict else "",
                  **{f: _local(getattr(consultation, f)) for f in ("discussion_from", "discussion_to", "vote_from",
                                                                   "vote_to", "meeting_at")},
                  "meeting_place": consultation.meeting_place}
        return _draft_page(form or values, errors, consultation, status)
    phase = consultations.phase(consultation)
    households = []
    if phase == consultations.Phase.VOTING and current_user.role.value != "district_admin":
        households = [(household_id, f"{building} {unit}-{number}" if number else building)
                      for household_id, building, unit, number in db.session.execute(
                          select(Household.id, Building.name_zh, Room.unit, Room.number)
                          .join(Building, Building.id == Household.building_id)
                          .outerjoin(Room, Room.id == Household.room_id).where(consultations.in_scope(consultation))
                          .order_by(Building.position, Room.unit, Room.number, Household.id).limit(5000))]
    return render_template("pages/staff/consultation.html", consultation=consultation, phase=phase,
                           turnout=consultations.turnout(consultation), result=consultations.result(consultation),
                           comments=discussion.comments(consultation), scope_text=consultations.scope_text(consultation),
                           rule=consultations.rule_of(consultation), households=households,
                           tasks=carrying_out.tasks(consultation), owners=list(TaskOwner), task_states=list(TaskState),
                           judgements=judging.judgements(consultation),
                           shifts={t.id: volunteers.shifts(t) for t in carrying_out.tasks(consultation)},
                           address=urls.public_url(url_for("public.consultation_page", token=consultation.token)),
                           errors=errors or {}, form=form or {}), status


def _preset(consultation) -> str:
    rule = consultations.rule_of(consultation)
    return next((name for name, (preset, _label) in deciding.PRESETS.items() if preset == rule), "custom")


def _percent(num: int, den: int) -> str:
    return f"{num * 100 / den:g}"


@bp.post("/consultations/<int:consultation_id>")
@login_required
def consultation_save(consultation_id: int):
    form = _form()
    try:
        consultations.save_draft(current_user, form, consultation_id)
    except InvalidInput as invalid:
        return _detail(consultations.get_for_staff(current_user, consultation_id), invalid.messages, form, 422)
    flash(_("The draft is saved. Publish it when it is ready."), "ok")
    return redirect(url_for("staff.consultation_detail", consultation_id=consultation_id), code=303)


def _act(consultation_id: int, change, message: str):
    form = _form()
    try:
        change(form)
    except InvalidInput as invalid:
        return _detail(consultations.get_for_staff(current_user, consultation_id), invalid.messages, form, 422)
    flash(message, "ok")
    return redirect(url_for("staff.consultation_detail", consultation_id=consultation_id), code=303)


@bp.post("/consultations/<int:consultation_id>/publish")
@login_required
def consultation_publish(consultation_id: int):
    return _act(consultation_id, lambda form: consultations.publish(current_user, consultation_id),
                _("Published: residents of its scope can read it and take part as its timetable says."))


@bp.post("/consultations/<int:consultation_id>/close")
@login_required
def consultation_close(consultation_id: int):
    return _act(consultation_id, lambda form: consultations.close(current_user, consultation_id),
                _("The votes are counted and the result is published."))


@bp.post("/consultations/<int:consultation_id>/answer")
@login_required
def consultation_answer(consultation_id: int):
    return _act(consultation_id, lambda form: discussion.answer(current_user, consultation_id, form.get("body")),
                _("Your answer is published in the discussion."))


@bp.post("/consultations/<int:consultation_id>/comments/<int:comment_id>/hide")
@login_required
def consultation_comment_hide(consultation_id: int, comment_id: int):
    return _act(consultation_id, lambda form: discussion.hide(current_user, comment_id, form.get("reason")),
                _("The comment is hidden; its place shows the reason."))


@bp.post("/consultations/<int:consultation_id>/paper")
@login_required
def consultation_paper_vote(consultation_id: int):
    return _act(consultation_id, lambda form: voting.paper(current_user, consultation_id, form.get("household"),
                                                           form.get("option")),
                _("The paper vote is entered for the household."))


@bp.post("/consultations/<int:consultation_id>/tasks")
@login_required
def consultation_task_add(consultation_id: int):
    return _act(consultation_id, lambda form: carrying_out.add(current_user, consultation_id, form),
                _("The task is added; residents follow it on the consultation's page."))


@bp.post("/consultations/<int:consultation_id>/tasks/<int:task_id>")
@login_required
def consultation_task_update(consultation_id: int, task_id: int):
    return _act(consultation_id, lambda form: carrying_out.update(current_user, task_id, form),
                _("The task is updated."))


@bp.post("/consultations/<int:consultation_id>/tasks/<int:task_id>/volunteers")
@login_required
def consultation_task_volunteers(consultation_id: int, task_id: int):
    return _act(consultation_id, lambda form: volunteer_tasks.offer(current_user, task_id, form.get("wanted")),
                _("The offer to volunteers is taken back.") if volunteer_tasks.count_typed(request.form.get("wanted"), 0) == 0
                else _("The task is offered to the community's volunteers."))


@bp.post("/consultations/<int:consultation_id>/shifts/<int:shift_id>")
@login_required
def consultation_shift_confirm(consultation_id: int, shift_id: int):
    return _act(consultation_id, lambda form: volunteer_tasks.confirm_minutes(
        current_user, shift_id, form.get("minutes"), of=("consultation", consultation_id)),
                _("The volunteer's minutes are confirmed."))


@bp.post("/consultations/<int:consultation_id>/shifts/<int:shift_id>/remove")
@login_required
def consultation_shift_remove(consultation_id: int, shift_id: int):
    return _act(consultation_id, lambda form: volunteer_tasks.remove_sign_up(current_user, shift_id,
                                                                       of=("consultation", consultation_id)),
                _("The sign-up is removed: the place is free for another volunteer."))


@bp.get("/consultations/<int:consultation_id>/tasks/<int:task_id>/qr")
@login_required
@reads_only
def consultation_task_qr(consultation_id: int, task_id: int):
    """The QR volunteers scan on the spot to check in and out (printable)."""
    consultation = consultations.get_for_staff(current_user, consultation_id)
    task = next((t for t in carrying_out.tasks(consultation) if t.id == task_id and t.check_token), None)
    if task is None:
        from ..services.errors import NotFound

        raise NotFound(_("We could not find this task."))
    address = urls.public_url(url_for("public.volunteer_check_page", token=task.check_token))
    return render_template("pages/staff/task_qr.html", consultation=consultation, task=task, address=address,
                           qr=qr.svg(address, task.shown_title),
                           renew=url_for("staff.consultation_task_qr_renew", consultation_id=consultation.id, task_id=task.id))


@bp.post("/consultations/<int:consultation_id>/tasks/<int:task_id>/qr")
@login_required
def consultation_task_qr_renew(consultation_id: int, task_id: int):
    volunteer_tasks.renew_check(current_user, task_id, of=("consultation", consultation_id))
    flash(_("A new QR: the old one no longer checks anyone in. Print this one and put it up in place of the old."), "ok")
    return redirect(url_for("staff.consultation_task_qr", consultation_id=consultation_id, task_id=task_id), code=303)


@bp.get("/consultations/<int:consultation_id>/notice")
@login_required
@reads_only
def consultation_notice(consultation_id: int):
    """公示: the A4 notice for the building's board (how to take part, with the QR), or the result."""
    consultation = consultations.get_for_staff(current_user, consultation_id)
    address = urls.public_url(url_for("public.consultation_page", token=consultation.token))
    return render_template("pages/staff/consultation_notice.html", consultation=consultation,
                           phase=consultations.phase(consultation), result=consultations.result(consultation),
                           scope_text=consultations.scope_text(consultation), rule=consultations.rule_of(consultation),
                           address=address, qr=qr.svg(address, consultation.title))
