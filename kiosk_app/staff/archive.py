"""The grid's archive in the back office: the overview, a building's register (一楼一册, printable) and
a household's file (一户一档, printable), with its members, visits and tickets."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..services import archive, archive_figures, plans, registers, rounds, scope
from ..services.admin import household_sheet, spreadsheets
from ..services.errors import InvalidInput
from ..web import htmx, sheets
from ..web.transactions import reads_only
from .routes import _date_arg, bp


def _form() -> dict:
    form = {key: request.form.get(key, "")[:2000] for key in request.form}
    form["tags"] = request.form.getlist("tags")[:50]
    return form


@bp.get("/archive/")
@login_required
@reads_only
def archive_home():
    return render_template("pages/staff/archive.html", grids=registers.overview(current_user),
                           files=current_user.role.value != "district_admin")


@bp.get("/archive/figures")
@login_required
@reads_only
def archive_figures_page():
    return render_template("pages/staff/archive_figures.html",
                           figures=archive_figures.figures(current_user, _date_arg("from"), _date_arg("to")))


@bp.get("/archive/buildings/<int:building_id>")
@login_required
def building_register(building_id: int):
    return _register_page(building_id)


def _register_page(building_id: int, form: dict | None = None, errors: dict | None = None, status: int = 200):
    found = registers.register(current_user, building_id, request.args.get("tag") or None, request.args.get("age"))
    return render_template("pages/staff/building_register.html", register=found, tags=archive.tags(),
                           may_see_sensitive=scope.may_see_sensitive(current_user, found.building.grid_id),
                           relations=archive.RELATIONS,
                           form=form or {"unit": "1", "basis": "consent"}, errors=errors or {}), status


@bp.post("/archive/buildings/<int:building_id>/households")
@login_required
def household_create(building_id: int):
    form = _form()
    try:
        household = archive.create_household(current_user, building_id, form)
    except InvalidInput as invalid:
        return _register_page(building_id, form, {k: str(v) for k, v in invalid.errors.items()}, 422)
    flash(_("The household's file is made."), "ok")
    return redirect(url_for("staff.household_file", household_id=household.id), code=303)


@bp.get("/archive/households/<int:household_id>")
@login_required
@reads_only
def household_file(household_id: int):
    return _file_page(archive.household_file(current_user, household_id))


@bp.post("/archive/households/<int:household_id>/reveal")
@login_required
def household_reveal(household_id: int):
    return _file_page(archive.reveal(current_user, household_id))


def _file_page(file, form: dict | None = None, errors: dict | None = None, status: int = 200):
    return render_template("pages/staff/household.html", file=file, tags=archive.tags(), relations=archive.RELATIONS,
                           may_see_sensitive=scope.may_see_sensitive(current_user, file.household.grid_id), form=form or {},
                           errors=errors or {}, buildings=registers.buildings(current_user)), status


def _changed(household_id: int, change, message: str):
    """Run a change to a file; its page again with the messages when the form was refused."""
    form = _form()
    try:
        change(form)
    except InvalidInput as invalid:
        return _file_page(archive.household_file(current_user, household_id), form,
                          {k: str(v) for k, v in invalid.errors.items()}, 422)
    flash(message, "ok")
    return redirect(url_for("staff.household_file", household_id=household_id), code=303)


@bp.post("/archive/households/<int:household_id>/members")
@login_required
def household_member_add(household_id: int):
    return _changed(household_id, lambda form: archive.add_member(current_user, household_id, form),
                    _("The member is added."))


@bp.post("/archive/households/<int:household_id>/visits")
@login_required
def household_visit_add(household_id: int):
    return _changed(household_id, lambda form: archive.record_visit(current_user, household_id, form),
                    _("The visit is recorded."))


@bp.post("/archive/households/<int:household_id>/move")
@login_required
def household_move(household_id: int):
    return _changed(household_id, lambda form: archive.move(current_user, household_id, form),
                    _("The move is recorded."))


@bp.post("/archive/households/<int:household_id>/tickets")
@login_required
def household_ticket_link(household_id: int):
    linked = request.form.get("linked", "1") != "0"
    return _changed(household_id, lambda form: archive.link_ticket(current_user, household_id, form.get("number", ""),
                                                                   linked),
                    _("The ticket is linked to this household.") if linked else
                    _("The ticket is no longer linked to this household."))


@bp.get("/archive/round")
@login_required
@reads_only
def my_round():
    return render_template("pages/staff/round.html", round=rounds.my_round(
        current_user, request.args.get("tag"), request.args.get("days")), tags=archive.tags(),
        may_see_sensitive=scope.may_see_sensitive(current_user))


@bp.post("/archive/households/<int:household_id>/visited")
@login_required
def household_visited(household_id: int):
    """One tap on the round: visited today, all well (a full record is on the household's file)."""
    archive.record_visit(current_user, household_id, {"found": _("Visited: all well.")})
    flash(_("The visit is recorded."), "ok")
    return redirect(url_for("staff.my_round"), code=303)


@bp.post("/archive/visits/<int:visit_id>/done")
@login_required
def visit_follow_up_done(visit_id: int):
    archive.close_follow_up(current_user, visit_id)
    flash(_("The follow-up is done."), "ok")
    return redirect(url_for("staff.my_round"), code=303)


@bp.get("/archive/grids/<int:grid_id>/plan")
@login_required
@reads_only
def grid_plan(grid_id: int):
    return render_template("pages/staff/grid_plan.html", plan=plans.plan(
        current_user, grid_id, request.args.get("layer"), request.args.get("tag")), layers=list(plans.Layer),
        tags=archive.tags(), may_see_sensitive=scope.may_see_sensitive(current_user, grid_id))


@bp.post("/archive/buildings/<int:building_id>/place")
@login_required
def building_place(building_id: int):
    """A building's place on its grid's plan (an admin's drag, or the numbers typed in)."""
    building = plans.place(current_user, building_id, request.form.get("x"), request.form.get("y"))
    if htmx.is_swap():  # the plan's script: the building already stands where it was dropped
        return current_app.response_class(status=204)
    flash(_("The building's place is saved."), "ok")
    return redirect(url_for("staff.grid_plan", grid_id=building.grid_id), code=303)


# -- the archive as a spreadsheet (community admins): the admin pages' sheet page, at the archive's address

@bp.get("/archive/import")
@login_required
def archive_import_page():
    return sheets.show(household_sheet.SHEET, "staff.archive")


@bp.post("/archive/import")
@login_required
def archive_import():
    return sheets.upload(household_sheet.SHEET, "staff.archive")


@bp.get("/archive/<any(export, template):what>.<any(csv, xlsx):kind>")
@login_required
def archive_sheet(what: str, kind: str):
    return sheets.download(household_sheet.SHEET, what, kind)


spreadsheets.UPLOAD_ENDPOINTS.add("staff.archive_import")

