"""The grid's archive in the back office: the overview, a building's register (一楼一册, printable) and
a household's file (一户一档, printable), with its members, visits and tickets."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..services import archive, archive_figures, household_changes, plans, registers, rounds, scope, site_plans
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
        return _register_page(building_id, form, invalid.messages, 422)
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


def _changed(household_id: int, change, message: str, *, revealed: bool = False):
    """Run a change to a file; its page again with the messages when the form was refused (unmasked,
    and so recorded again, for a form that was shown only unmasked)."""
    form = _form()
    try:
        change(form)
    except InvalidInput as invalid:
        file = archive.reveal(current_user, household_id) if revealed else archive.household_file(current_user,
                                                                                                    household_id)
        return _file_page(file, form, invalid.messages, 422)
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
    return _changed(household_id, lambda form: household_changes.move(current_user, household_id, form),
                    _("The move is recorded."))


@bp.post("/archive/households/<int:household_id>/details")
@login_required
def household_details_save(household_id: int):
    return _changed(household_id, lambda form: household_changes.save_details(current_user, household_id, form),
                    _("The file's basis and notes are saved."), revealed=True)


@bp.post("/archive/members/<int:member_id>")
@login_required
def member_correct(member_id: int):
    household_id = household_changes.household_of(current_user, member_id)
    return _changed(household_id, lambda form: household_changes.correct_member(current_user, member_id, form),
                    _("The member's details are corrected."), revealed=True)


@bp.post("/archive/members/<int:member_id>/left")
@login_required
def member_leave(member_id: int):
    household_id = household_changes.household_of(current_user, member_id)
    return _changed(household_id, lambda form: household_changes.member_left(current_user, member_id, form),
                    _("The member is marked as having left the household."), revealed=True)


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
def my_round():  # (not reads-only: a round narrowed to a sensitive tag is recorded)
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
def grid_plan(grid_id: int):
    return _plan_page(grid_id)


def _plan_page(grid_id: int, errors: dict | None = None, status: int = 200):
    return render_template("pages/staff/grid_plan.html", plan=plans.plan(
        current_user, grid_id, request.args.get("layer"), request.args.get("tag")), layers=list(plans.Layer),
        tags=archive.tags(), may_see_sensitive=scope.may_see_sensitive(current_user, grid_id),
        errors=errors or {}), status


@bp.get("/archive/grids/<int:grid_id>/site-plan")
@login_required
@reads_only
def grid_site_plan(grid_id: int):
    """The picture behind the plan; its address changes with each upload, so it may be kept a while."""
    picture = site_plans.picture(current_user, grid_id)
    response = current_app.response_class(picture.data, mimetype=picture.content_type)
    response.headers["Cache-Control"] = "private, max-age=86400"
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.post("/archive/grids/<int:grid_id>/site-plan")
@login_required
def grid_site_plan_save(grid_id: int):
    if request.form.get("action") == "remove":
        site_plans.remove(current_user, grid_id)
        flash(_("The site plan is removed."), "ok")
    else:
        upload = request.files.get("file")
        try:
            try:
                data = upload.read(site_plans.MAX_BYTES + 1) if upload else b""
            finally:
                if upload:
                    upload.close()
            site_plans.upload(current_user, grid_id, data)
        except InvalidInput as invalid:
            return _plan_page(grid_id, invalid.messages, 422)
        flash(_("The site plan is saved: drag the buildings onto it."), "ok")
    return redirect(url_for("staff.grid_plan", grid_id=grid_id), code=303)


spreadsheets.UPLOAD_ENDPOINTS.add("staff.grid_site_plan_save")  # (a picture: larger than any form)


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

