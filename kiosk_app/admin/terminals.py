"""Terminals' administration pages (``/staff/admin/terminals``): create a kiosk or locker, enrol its
device (a one-time code shown once, with a QR), revoke it, wire its compartments, set and test its
lock line and printer."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..models import Size, TerminalKind
from ..services import locker, qr, receipts, urls
from ..services.admin import terminals
from ..services.errors import Conflict, InvalidInput
from ..web import htmx
from .routes import bp


def _form(names) -> dict:
    return {name: request.form.get(name, "")[:200] for name in names}


def _options() -> dict:
    return {"kind_options": [(TerminalKind.KIOSK.value, _("Kiosk")), (TerminalKind.LOCKER.value, _("Locker terminal"))],
            "community_options": [(c.id, c.name) for c in terminals.communities_for(current_user)],
            "size_options": [(s.value, s.label) for s in Size]}


@bp.get("/terminals")
def terminals_page():
    q = request.args.get("q", "")[:64]
    return render_template("pages/admin/terminals.html", q=q,
                           page=terminals.list_terminals(current_user, q=q, page=request.args.get("page", 1)))


@bp.get("/terminals/new")
def terminal_new():
    return render_template("pages/admin/terminal_form.html", terminal=None, errors={},
                           form={"kind": "kiosk", "lock_url": "sim://", "printer_url": "none"}, **_options())


@bp.post("/terminals/new")
def terminal_create():
    form = _form(terminals.FIELDS)
    try:
        terminal = terminals.create_terminal(current_user, form)
    except InvalidInput as error:
        return render_template("pages/admin/terminal_form.html", terminal=None, errors=error.errors, form=form,
                               **_options()), 422
    flash(_("Saved."), "ok")
    return redirect(url_for("admin.terminal_settings", terminal_id=terminal.id), code=303)


@bp.post("/terminals/check/<field>")
@bp.post("/terminals/<int:terminal_id>/check/<field>")
def terminal_check(field: str, terminal_id: int | None = None):
    terminal = locker.admin_terminal(current_user, terminal_id) if terminal_id else None
    message = terminals.field_message(current_user, field, request.form.get(field, "")[:200], terminal=terminal) \
        if field in terminals.FIELDS else None
    return htmx.partial("partials/kiosk/field_error.html", field=field, message=message)


def _settings(terminal, *, form=None, errors=None, status=200, **shown):
    form = form or {name: str(getattr(terminal, name) or "") for name in terminals.FIELDS}
    return render_template("pages/admin/terminal_settings.html", terminal=terminal, form=form, errors=errors or {},
                           compartments=terminals.compartments_of(terminal), **_options(),
                           **shown), status


@bp.get("/terminals/<int:terminal_id>")
def terminal_settings(terminal_id: int):
    return _settings(locker.admin_terminal(current_user, terminal_id))


@bp.post("/terminals/<int:terminal_id>")
def terminal_update(terminal_id: int):
    terminal = locker.admin_terminal(current_user, terminal_id)
    form = _form(terminals.FIELDS)
    try:
        terminals.update_terminal(current_user, terminal_id, form)
    except InvalidInput as error:
        return _settings(terminal, form=form, errors=error.errors, status=422)
    flash(_("Saved."), "ok")
    return redirect(url_for("admin.terminal_settings", terminal_id=terminal_id), code=303)


@bp.post("/terminals/<int:terminal_id>/enrolment")
def terminal_enrolment(terminal_id: int):
    terminal, code = terminals.issue_code(current_user, terminal_id)
    address = urls.public_url(url_for("kiosk.enrol_form", code=code))
    return render_template("pages/admin/enrolment_code.html", terminal=terminal, code=code, address=address,
                           qr_svg=qr.svg(address, _("QR code of the enrolment address")))


@bp.post("/terminals/<int:terminal_id>/revoke")
def terminal_revoke(terminal_id: int):
    terminals.revoke_device(current_user, terminal_id)
    flash(_("The terminal's device is signed out. Issue a new code to enrol a screen again."), "ok")
    return redirect(url_for("admin.terminal_settings", terminal_id=terminal_id), code=303)


COMPARTMENT_FIELDS = ("number", "size", "board", "lock")


@bp.post("/terminals/<int:terminal_id>/compartments")
@bp.post("/terminals/<int:terminal_id>/compartments/<int:compartment_id>")
def terminal_compartment(terminal_id: int, compartment_id: int | None = None):
    terminal = locker.admin_terminal(current_user, terminal_id)
    form = _form(COMPARTMENT_FIELDS)
    try:
        terminals.save_compartment(current_user, terminal_id, form, compartment_id)
    except InvalidInput as error:
        return _settings(terminal, errors=error.errors, compartment_form=form, status=422)
    except Conflict as error:
        return _settings(terminal, compartment_form=form, problem=str(error.message), status=409)
    flash(_("Saved."), "ok")
    return redirect(url_for("admin.terminal_settings", terminal_id=terminal_id) + "#compartments", code=303)


@bp.post("/terminals/<int:terminal_id>/test-locks")
def terminal_test_locks(terminal_id: int):
    terminal = locker.admin_terminal(current_user, terminal_id)
    return _settings(terminal, lock_answers=terminals.test_lock_line(current_user, terminal_id))


@bp.post("/terminals/<int:terminal_id>/test-printer")
def terminal_test_printer(terminal_id: int):
    terminal = locker.admin_terminal(current_user, terminal_id)
    fault = receipts.print_test_page(current_user, terminal) if terminal.has_printer else None
    return _settings(terminal, printer_tested=True, printer_fault=fault, status=409 if fault else 200)
