"""The catalogue's administration pages (``/staff/admin/catalogue``): items, categories, and what each
community offers."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..models import Size
from ..services.admin import catalogue
from ..services.errors import InvalidInput
from ..web import htmx
from .routes import bp

TEXT_LIMIT = 2000


def _form(names) -> dict:
    return {name: request.form.get(name, "")[:TEXT_LIMIT] for name in names}


@bp.get("/catalogue")
def catalogue_page():
    q = request.args.get("q", "")[:64]
    view = catalogue.catalogue_view(current_user, community_id=request.args.get("community"), q=q)
    return render_template("pages/admin/catalogue.html", view=view, q=q,
                           may_edit=current_user.role.value == "district_admin")


@bp.post("/catalogue/offer/<int:community_id>/<int:service_id>")
def catalogue_offer(community_id: int, service_id: int):
    try:
        catalogue.set_offering(current_user, community_id, service_id, offered=request.form.get("offered") == "1",
                               note_zh=request.form.get("note_zh", "")[:600],
                               note_en=request.form.get("note_en", "")[:600])
    except InvalidInput as error:
        flash(" ".join(error.errors.values()), "error")
        return redirect(url_for("admin.catalogue_page", community=community_id), code=303)
    flash(_("Saved."), "ok")
    return redirect(url_for("admin.catalogue_page", community=community_id) + f"#offer-{service_id}", code=303)


def _service_page(service, form, errors, status=200):
    categories = catalogue.catalogue_view(current_user).categories
    return render_template(
        "pages/admin/service_form.html", service=service, form=form, errors=errors,
        category_options=[(c.id, c.name) for c in categories],
        size_options=[(s.value, s.label) for s in Size],
        kind_options=[("request", _("A request (a ticket is issued)")),
                      ("guidance", _("Guidance only (社区事务准入: says where to go instead)")),
                      ("proposal", _("A proposal for the community (民事民提)"))]), status


@bp.get("/catalogue/services/new")
def service_new():
    catalogue.require_catalogue_admin(current_user)
    return _service_page(None, catalogue.service_form(None), {})


@bp.get("/catalogue/services/<int:service_id>")
def service_edit(service_id: int):
    service = catalogue.get_service(current_user, service_id)
    return _service_page(service, catalogue.service_form(service), {})


@bp.post("/catalogue/services/new")
@bp.post("/catalogue/services/<int:service_id>")
def service_save(service_id: int | None = None):
    service = catalogue.get_service(current_user, service_id) if service_id else None
    form = _form((*catalogue.SERVICE_FIELDS, *catalogue.SERVICE_FLAGS, "communities"))
    try:
        saved = catalogue.save_service(current_user, service_id, form)
    except InvalidInput as error:
        return _service_page(service, form, error.errors, 422)
    flash(_("Saved. Every kiosk shows the change within a second."), "ok")
    return redirect(url_for("admin.service_edit", service_id=saved.id), code=303)


@bp.post("/catalogue/services/check/<field>")
@bp.post("/catalogue/services/<int:service_id>/check/<field>")
def service_check(field: str, service_id: int | None = None):
    service = catalogue.get_service(current_user, service_id) if service_id else None
    catalogue.require_catalogue_admin(current_user)
    message = catalogue.field_message(field, request.form.get(field, "")[:TEXT_LIMIT], service=service,
                                      form=_form(("kind",))) if field in catalogue.SERVICE_FIELDS else None
    return htmx.partial("partials/kiosk/field_error.html", field=field, message=message)


@bp.post("/catalogue/services/<int:service_id>/<any(retire, restore):change>")
def service_active(service_id: int, change: str):
    catalogue.set_service_active(current_user, service_id, change == "restore")
    flash(_("The item is back on the kiosks.") if change == "restore"
          else _("The item is retired: off every kiosk, still named on its tickets."), "ok")
    return redirect(url_for("admin.catalogue_page"), code=303)


def _category_page(category, form, errors, status=200):
    return render_template("pages/admin/category_form.html", category=category, form=form, errors=errors), status


@bp.get("/catalogue/categories/new")
def category_new():
    catalogue.require_catalogue_admin(current_user)
    return _category_page(None, {"position": "0"}, {})


@bp.get("/catalogue/categories/<int:category_id>")
def category_edit(category_id: int):
    category = catalogue.get_category(current_user, category_id)
    form = {name: str(getattr(category, name) or "") for name in catalogue.CATEGORY_FIELDS}
    return _category_page(category, form, {})


@bp.post("/catalogue/categories/new")
@bp.post("/catalogue/categories/<int:category_id>")
def category_save(category_id: int | None = None):
    category = catalogue.get_category(current_user, category_id) if category_id else None
    form = _form(catalogue.CATEGORY_FIELDS)
    try:
        catalogue.save_category(current_user, category_id, form)
    except InvalidInput as error:
        return _category_page(category, form, error.errors, 422)
    flash(_("Saved."), "ok")
    return redirect(url_for("admin.catalogue_page"), code=303)


@bp.post("/catalogue/categories/<int:category_id>/<any(retire, restore):change>")
def category_active(category_id: int, change: str):
    catalogue.set_category_active(current_user, category_id, change == "restore")
    flash(_("Saved."), "ok")
    return redirect(url_for("admin.catalogue_page"), code=303)
