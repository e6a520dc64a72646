"""The org tree's administration pages (``/staff/admin/org``): streets, communities, grids and their
posts, buildings, the grid ladder."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..models import AreaLevel, Role
from ..services.admin import accounts, org
from ..services.errors import InvalidInput
from .routes import bp

FIELDS = ("code", "name_zh", "name_en", "grid_id", "units", "position", "rank", "active", "sensitive")


def _form() -> dict:
    return {name: request.form.get(name, "")[:100] for name in FIELDS}


def _saved(endpoint: str, **values):
    flash(_("Saved."), "ok")
    return redirect(url_for(endpoint, **values), code=303)


@bp.get("/org")
def org_page(errors=None, status=200):
    q = request.args.get("q", "")[:64]
    return render_template("pages/admin/org.html", tree=org.tree(current_user, q=q), q=q, errors=errors or {},
                           may_edit=current_user.role == Role.DISTRICT_ADMIN), status


@bp.post("/org/areas/new")
def area_create():
    try:
        area = org.save_area(current_user, None, _form(), parent_id=request.form.get("parent_id"))
    except InvalidInput as error:
        return org_page(errors=error.errors, status=422)
    return _saved("admin.area_page", area_id=area.id)


def _area_page(area, *, form=None, errors=None, status=200):
    community = area.level == AreaLevel.COMMUNITY
    grids = org.grids_of(area) if community else []
    q = request.args.get("q", "")[:64]
    return render_template(
        "pages/admin/area.html", area=area, form=form or {"name_zh": area.name_zh, "name_en": area.name_en},
        errors=errors or {}, grids=grids, q=q,
        buildings=org.buildings_of(area, q=q, page=request.args.get("page", 1)) if community else None,
        grid_options=[(g.id, g.name) for g in grids if g.active],
        may_edit=current_user.role == Role.DISTRICT_ADMIN), status


@bp.get("/org/areas/<int:area_id>")
def area_page(area_id: int):
    return _area_page(org.get_area(current_user, area_id))


@bp.post("/org/areas/<int:area_id>")
def area_update(area_id: int):
    area = org.get_area(current_user, area_id)
    try:
        org.save_area(current_user, area_id, _form())
    except InvalidInput as error:
        return _area_page(area, form=_form(), errors=error.errors, status=422)
    return _saved("admin.area_page", area_id=area_id)


@bp.post("/org/areas/<int:area_id>/<any(retire, restore):change>")
def area_active(area_id: int, change: str):
    org.set_area_active(current_user, area_id, change == "restore")
    return _saved("admin.area_page", area_id=area_id)


@bp.post("/org/areas/<int:area_id>/grids")
def grid_create(area_id: int):
    area = org.get_area(current_user, area_id)
    try:
        grid = org.save_grid(current_user, area_id, None, _form())
    except InvalidInput as error:
        return _area_page(area, errors=error.errors, status=422)
    return _saved("admin.grid_page", grid_id=grid.id)


@bp.post("/org/areas/<int:area_id>/buildings")
def building_create(area_id: int):
    area = org.get_area(current_user, area_id)
    try:
        org.save_building(current_user, area_id, None, _form())
    except InvalidInput as error:
        return _area_page(area, errors=error.errors, status=422)
    return _saved("admin.area_page", area_id=area_id, _anchor="buildings")


def _grid_page(grid, *, errors=None, status=200):
    levels = org.ladder(current_user)
    return render_template(
        "pages/admin/grid.html", grid=grid, posts=org.posts_of(grid), errors=errors or {},
        form={"name_zh": grid.name_zh, "name_en": grid.name_en},
        staff_options=[(s.id, f"{s.display_name} ({s.username})") for s in org.post_candidates(grid)],
        level_options=[(level.id, level.name) for level in levels],
        may_edit=current_user.role == Role.DISTRICT_ADMIN), status


@bp.get("/org/grids/<int:grid_id>")
def grid_page(grid_id: int):
    return _grid_page(org.get_grid(current_user, grid_id))


@bp.post("/org/grids/<int:grid_id>")
def grid_update(grid_id: int):
    grid = org.get_grid(current_user, grid_id)
    try:
        org.save_grid(current_user, None, grid_id, _form())
    except InvalidInput as error:
        return _grid_page(grid, errors=error.errors, status=422)
    return _saved("admin.grid_page", grid_id=grid_id)


@bp.post("/org/grids/<int:grid_id>/<any(retire, restore):change>")
def grid_active(grid_id: int, change: str):
    grid = org.get_grid(current_user, grid_id)
    try:
        org.set_grid_active(current_user, grid_id, change == "restore")
    except InvalidInput as error:
        return _grid_page(grid, errors=error.errors, status=409)
    return _saved("admin.grid_page", grid_id=grid_id)


@bp.post("/org/grids/<int:grid_id>/posts")
def grid_post_add(grid_id: int):
    """A post in this grid for an account of its community (the same rule as from the account's page)."""
    grid = org.get_grid(current_user, grid_id)
    try:
        accounts.set_post(current_user, request.form.get("staff_id"), grid.id, request.form.get("level_id"))
    except InvalidInput as error:
        return _grid_page(grid, errors=error.errors, status=422)
    return _saved("admin.grid_page", grid_id=grid_id)


@bp.post("/org/grids/<int:grid_id>/posts/<int:staff_id>/remove")
def grid_post_remove(grid_id: int, staff_id: int):
    grid = org.get_grid(current_user, grid_id)
    accounts.remove_post(current_user, staff_id, grid.id)
    return _saved("admin.grid_page", grid_id=grid_id)


def _building_page(building, *, form=None, errors=None, status=200):
    grids = org.grids_of(building.community)
    form = form or {"name_zh": building.name_zh, "name_en": building.name_en, "grid_id": str(building.grid_id),
                    "units": str(building.units), "position": str(building.position)}
    return render_template("pages/admin/building.html", building=building, form=form, errors=errors or {},
                           grid_options=[(g.id, g.name) for g in grids if g.active]), status


@bp.get("/org/buildings/<int:building_id>")
def building_page(building_id: int):
    return _building_page(org.get_building(current_user, building_id))


@bp.post("/org/buildings/<int:building_id>")
def building_update(building_id: int):
    building = org.get_building(current_user, building_id)
    try:
        org.save_building(current_user, None, building_id, _form())
    except InvalidInput as error:
        return _building_page(building, form=_form(), errors=error.errors, status=422)
    return _saved("admin.building_page", building_id=building_id)


@bp.post("/org/buildings/<int:building_id>/<any(retire, restore):change>")
def building_active(building_id: int, change: str):
    building = org.get_building(current_user, building_id)
    org.set_building_active(current_user, building_id, change == "restore")
    return _saved("admin.area_page", area_id=building.community_id, _anchor="buildings")


@bp.get("/org/ladder")
def ladder_page(errors=None, status=200):
    return render_template("pages/admin/ladder.html", levels=org.ladder(current_user), errors=errors or {},
                           may_edit=current_user.role == Role.DISTRICT_ADMIN), status


@bp.post("/org/ladder")
@bp.post("/org/ladder/<int:level_id>")
def level_save(level_id: int | None = None):
    try:
        org.save_level(current_user, level_id, _form())
    except InvalidInput as error:
        return ladder_page(errors=error.errors, status=422)
    return _saved("admin.ladder_page")


@bp.get("/org/tags")
def tags_page(errors=None, status=200):
    return render_template("pages/admin/tags.html", tags=org.tag_list(current_user), errors=errors or {},
                           may_edit=current_user.role == Role.DISTRICT_ADMIN), status


@bp.post("/org/tags")
@bp.post("/org/tags/<int:tag_id>")
def tag_save(tag_id: int | None = None):
    try:
        org.save_tag(current_user, tag_id, _form())
    except InvalidInput as error:
        return tags_page(errors=error.errors, status=422)
    return _saved("admin.tags_page")


# ---------------------------------------------------------------- the working-day calendar

@bp.get("/calendar")
def calendar_page(form=None, errors=None, status=200):
    from ..services.admin import calendar

    return render_template("pages/admin/calendar.html", days=calendar.days(current_user), form=form or {},
                           errors=errors or {}), status


@bp.post("/calendar")
def calendar_set():
    from ..services.admin import calendar

    form = {name: request.form.get(name, "")[:120] for name in ("day", "workday", "note")}
    try:
        calendar.set_day(current_user, form)
    except InvalidInput as error:
        return calendar_page(form=form, errors=error.errors, status=422)
    return _saved("admin.calendar_page")


@bp.post("/calendar/<day>/remove")
def calendar_remove(day: str):
    from ..services.admin import calendar

    calendar.remove_day(current_user, day)
    return _saved("admin.calendar_page")
