"""A volunteer-eligible ticket offered to the community's volunteers (志愿云), from the ticket's page:
how many are wanted, who signed up, the check-in QR to print, and the minutes staff confirm."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..services import qr, scope, ticket_help, urls, volunteer_tasks
from ..services.errors import InvalidInput, NotFound
from ..web import htmx
from ..web.transactions import reads_only
from .routes import _ticket_context, bp


def _done(ticket_id: int, act, message: str, **typed):
    try:
        act()
    except InvalidInput as invalid:
        ticket = scope.get_ticket(current_user, ticket_id)
        form_shown = ticket.service.volunteer_eligible and not ticket.status.is_final
        return htmx.render("pages/staff/ticket.html", "partials/staff/ticket_panel.html", invalid.status_code,
                           **_ticket_context(ticket, revealed=False, errors=invalid.errors, **typed,
                                             problem=None if form_shown else str(invalid.message)))
    flash(message, "ok")
    return redirect(url_for("staff.ticket_detail", ticket_id=ticket_id) + "#ticket-volunteers", code=303)


@bp.post("/tickets/<int:ticket_id>/volunteers")
@login_required
def ticket_volunteers(ticket_id: int):
    wanted = request.form.get("wanted", "")[:12]  # (longer than a number wanted: refused, not cut short)
    return _done(ticket_id, lambda: ticket_help.offer(current_user, ticket_id, wanted),
                 _("The offer to volunteers is taken back.") if volunteer_tasks.count_typed(wanted, 0) == 0
                 else _("The ticket is offered to the community's volunteers."), wanted=wanted)


@bp.post("/tickets/<int:ticket_id>/shifts/<int:shift_id>")
@login_required
def ticket_shift_confirm(ticket_id: int, shift_id: int):
    return _done(ticket_id, lambda: volunteer_tasks.confirm_minutes(current_user, shift_id, request.form.get("minutes"),
                                                               of=("ticket", ticket_id)),
                 _("The volunteer's minutes are confirmed."))


@bp.post("/tickets/<int:ticket_id>/shifts/<int:shift_id>/remove")
@login_required
def ticket_shift_remove(ticket_id: int, shift_id: int):
    return _done(ticket_id, lambda: volunteer_tasks.remove_sign_up(current_user, shift_id, of=("ticket", ticket_id)),
                 _("The sign-up is removed: the place is free for another volunteer."))


@bp.get("/tickets/<int:ticket_id>/volunteers/qr")
@login_required
@reads_only
def ticket_volunteers_qr(ticket_id: int):
    """The check-in QR printed for a resident without a phone (it is on their ticket's page otherwise)."""
    ticket = ticket_help.ticket_for_staff(current_user, ticket_id)
    task = ticket_help.task_of(ticket.id)
    if task is None or not task.check_token:
        raise NotFound(_("We could not find this task."))
    address = urls.public_url(url_for("public.volunteer_check_page", token=task.check_token))
    return render_template("pages/staff/task_qr.html", task=task, address=address, qr=qr.svg(address, task.shown_title),
                           back=(url_for("staff.ticket_detail", ticket_id=ticket.id), ticket.number),
                           renew=url_for("staff.ticket_volunteers_qr_renew", ticket_id=ticket.id))


@bp.post("/tickets/<int:ticket_id>/volunteers/qr")
@login_required
def ticket_volunteers_qr_renew(ticket_id: int):
    task = ticket_help.task_of(ticket_help.ticket_for_staff(current_user, ticket_id).id)
    volunteer_tasks.renew_check(current_user, task.id if task else 0, of=("ticket", ticket_id))
    flash(_("A new QR: the old one no longer checks anyone in. Print this one and put it up in place of the old."), "ok")
    return redirect(url_for("staff.ticket_volunteers_qr", ticket_id=ticket_id), code=303)
