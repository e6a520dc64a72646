"""Administration in the browser (``/staff/admin/``): accounts and the audit trail.

Routes parse the form, call one service and render; the services check role and scope and write
the audit trail.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import __version__
from ..models import Role
from ..services.admin import accounts, audit
from ..services.errors import InvalidInput
from ..services.validation import record_id
from ..staff.routes import navigation
from ..web import htmx, no_store
from ..web.auth import enforce_idle_timeout

bp = Blueprint("admin", __name__)
bp.after_request(no_store)
bp.before_request(enforce_idle_timeout)


@bp.before_request
@login_required
def _signed_in():
    return None


@bp.get("/")
def index():
    from ..services import monitoring, scheduler

    accounts.require_account_admin(current_user)
    return render_template("pages/admin/index.html", jobs=scheduler.status(), job_labels=scheduler.JOB_LABELS,
                           version=__version__, schema=monitoring.schema_revision())


# ---------------------------------------------------------------- accounts

@bp.get("/accounts")
def accounts_page():
    order = "recent" if request.args.get("order") == "recent" else "name"
    page = accounts.list_accounts(current_user, q=request.args.get("q", ""), page=request.args.get("page", 1),
                                  order=order)
    return render_template("pages/admin/accounts.html", page=page, q=request.args.get("q", "")[:64], order=order,
                           locked=accounts.locked_usernames(page.items))


def _account_form(form: dict, errors: dict, *, account=None, status: int = 200):
    return render_template("pages/admin/account_form.html", form=form, errors=errors, account=account,
                           **_account_options()), status


def _account_options() -> dict:
    return {"role_options": [(r.value, r.label) for r in accounts.roles_for(current_user)],
            "area_options": [(a.id, a.name) for a in accounts.areas_for(current_user)]}


@bp.get("/accounts/new")
def account_new():
    accounts.require_account_admin(current_user)
    return _account_form({}, {})


@bp.post("/accounts/new")
def account_create():
    form = {k: request.form.get(k, "")[:200] for k in accounts.FIELDS}
    try:
        staff, password = accounts.create_account(current_user, form)
    except InvalidInput as error:
        return _account_form(form, error.errors, status=422)
    return render_template("pages/admin/one_time_password.html", account=staff, password=password, created=True)


@bp.post("/accounts/check/<field>")
@bp.post("/accounts/<int:staff_id>/check/<field>")
def account_check(field: str, staff_id: int | None = None):
    account = accounts.get_account(current_user, staff_id) if staff_id else None
    accounts.require_account_admin(current_user)
    message = accounts.field_message(current_user, field, request.form.get(field, "")[:200], account=account) \
        if field in accounts.FIELDS else None
    return htmx.partial("partials/kiosk/field_error.html", field=field, message=message)


def _account_page(account, *, form=None, errors=None, status: int = 200):
    grids, levels = accounts.post_choices(current_user, account)
    level_names = {level.id: level.name for level in levels}
    form = form or {"display_name": account.display_name, "role": account.role.value, "area_id": account.area_id}
    return render_template("pages/admin/account.html", account=account, form=form, errors=errors or {},
                           **_account_options(), locked=accounts.is_locked(account), grids=grids,
                           grid_options=[(g.id, g.name) for g in grids], level_options=list(level_names.items()),
                           level_names=level_names), status


@bp.get("/accounts/<int:staff_id>")
def account_page(staff_id: int):
    return _account_page(accounts.get_account(current_user, staff_id))


@bp.post("/accounts/<int:staff_id>")
def account_update(staff_id: int):
    account = accounts.get_account(current_user, staff_id)
    form = {k: request.form.get(k, "")[:200] for k in accounts.FIELDS}
    try:
        accounts.update_account(current_user, staff_id, form)
    except InvalidInput as error:
        return _account_page(account, form=form, errors=error.errors, status=422)
    flash(_("Saved."), "ok")
    return redirect(url_for("admin.account_page", staff_id=staff_id), code=303)


@bp.post("/accounts/<int:staff_id>/reset")
def account_reset(staff_id: int):
    staff, password = accounts.reset_password(current_user, staff_id)
    return render_template("pages/admin/one_time_password.html", account=staff, password=password, created=False)


@bp.post("/accounts/<int:staff_id>/unlock")
def account_unlock(staff_id: int):
    accounts.unlock(current_user, staff_id)
    flash(_("The account is unlocked."), "ok")
    return redirect(url_for("admin.account_page", staff_id=staff_id), code=303)


@bp.post("/accounts/<int:staff_id>/two-factor/reset")
def account_two_factor_reset(staff_id: int):
    from ..services import two_factor

    two_factor.reset(current_user, staff_id)
    flash(_("Two-factor sign-in is reset: the account sets it up again with its new phone."), "ok")
    return redirect(url_for("admin.account_page", staff_id=staff_id), code=303)


@bp.post("/accounts/<int:staff_id>/<any(disable, enable):change>")
def account_active(staff_id: int, change: str):
    accounts.set_active(current_user, staff_id, change == "enable")
    flash(_("The account is enabled again.") if change == "enable"
          else _("The account is disabled and signed out everywhere."), "ok")
    return redirect(url_for("admin.account_page", staff_id=staff_id), code=303)


@bp.post("/accounts/<int:staff_id>/posts")
def account_post_add(staff_id: int):
    account = accounts.get_account(current_user, staff_id)
    try:
        accounts.set_post(current_user, staff_id, request.form.get("grid_id"), request.form.get("level_id"))
    except InvalidInput as error:
        return _account_page(account, errors=error.errors, status=422)
    flash(_("Saved."), "ok")
    return redirect(url_for("admin.account_page", staff_id=staff_id) + "#posts", code=303)


@bp.post("/accounts/<int:staff_id>/posts/<int:grid_id>/remove")
def account_post_remove(staff_id: int, grid_id: int):
    accounts.remove_post(current_user, staff_id, grid_id)
    flash(_("The post is removed."), "ok")
    return redirect(url_for("admin.account_page", staff_id=staff_id) + "#posts", code=303)


# ---------------------------------------------------------------- the audit trail

def _audit_filters() -> audit.AuditFilters:
    def day(name):
        try:
            return date.fromisoformat(request.args.get(name, "")[:10])
        except ValueError:
            return None

    entity = request.args.get("entity", "")
    action = request.args.get("action", "")
    return audit.AuditFilters(actor=request.args.get("actor", "")[:64].strip(),
                              entity=entity if entity in audit.ENTITY_LABELS else "",
                              action=action if action in [a.value for a in audit.AuditAction] else "",
                              date_from=day("from"), date_to=day("to"),
                              page=min(record_id(request.args.get("page")) or 1, 100_000))


@bp.get("/audit")
def audit_page():
    filters = _audit_filters()
    query = {name: request.args[name][:64] for name in ("actor", "entity", "action", "from", "to")
             if request.args.get(name)}
    return render_template("pages/admin/audit.html", page=audit.events(current_user, filters), filters=filters,
                           query=query, audit=audit)


@bp.get("/audit.csv")
def audit_export():
    text = audit.export_csv(current_user, _audit_filters())
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=audit-{date.today().isoformat()}.csv"})


bp.context_processor(navigation)


@bp.context_processor
def _roles():
    return {"Role": Role}


from . import catalogue as _catalogue_pages  # noqa: E402,F401  (their routes join this blueprint)
from . import org as _org_pages  # noqa: E402,F401
from . import terminals as _terminal_pages  # noqa: E402,F401
from . import sheets as _sheet_pages  # noqa: E402,F401
