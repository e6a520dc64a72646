"""Helpers for tests: reading forms as a resident's browser would, and finding demo rows."""

from __future__ import annotations

import re

from kiosk_app.extensions import db
from kiosk_app.models import Area, Building, Service

HX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/"}
STAFF_PASSWORD = "correct-horse-battery"


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
KEY_RE = re.compile(r'name="submission_key" value="([^"]*)"')


def csrf_token(client, url="/kiosk/") -> str:
    html = client.get(url).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def service_by_code(code: str) -> Service:
    return db.session.scalar(db.select(Service).filter_by(code=code))


def community(code: str = "HQ") -> Area:
    return db.session.scalar(db.select(Area).filter_by(code=code))


def building_of(code: str = "HQ", index: int = 0) -> Building:
    return community(code).buildings[index]


def valid_form(app, *, service_code: str = "facility-repair", **changes) -> dict:
    with app.app_context():
        building_id = building_of("HQ").id
    form = {
        "name": "张三",
        "mobile": "13812345678",
        "building": str(building_id),
        "details": "3单元楼道灯不亮",
        "id_number": "",
    }
    form.update(changes)
    return form


def open_form(client, app, service_code: str = "facility-repair"):
    """Open a service's form as a resident would: returns (service id, csrf token, submission key)."""
    with app.app_context():
        service_id = service_by_code(service_code).id
    html = client.get(f"/kiosk/services/{service_id}/request").get_data(as_text=True)
    return service_id, CSRF_RE.search(html).group(1), KEY_RE.search(html).group(1)


class QueryCounter:
    """Counts the SQL statements run on an engine: ``with QueryCounter(db.engine) as q: ...; q.count``."""

    def __init__(self, engine):
        self.engine, self.statements, self.parameters = engine, [], []

    def _record(self, conn, cursor, statement, parameters, *args):
        self.statements.append(statement)
        self.parameters.append(parameters)

    def plan(self, index: int) -> str:
        """SQLite's plan of the ``index``-th statement run (EXPLAIN QUERY PLAN), on one line."""
        from kiosk_app.extensions import db

        return " ".join(row[-1] for row in db.session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + self.statements[index], self.parameters[index]))

    def __enter__(self):
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._record)

    @property
    def count(self) -> int:
        return len(self.statements)


def staff(username: str):
    from kiosk_app.models import Staff

    return db.session.scalar(db.select(Staff).filter_by(username=username))


_mobile_counter = [0]


def make_ticket(community_code="HQ", service_code="facility-repair", building_index=0, *, status=None,
                assignee=None, due_date=None, created_at=None, name="张三", mobile=None, details="测试"):
    """A ticket submitted as a resident would, then put straight into the state a test needs."""
    from kiosk_app.models import Channel
    from kiosk_app.services import tickets

    _mobile_counter[0] += 1
    mobile = mobile or f"1380000{_mobile_counter[0] % 10000:04d}"
    ticket = tickets.submit_request(
        {"name": name, "mobile": mobile, "building": str(building_of(community_code, building_index).id),
         "details": details, "id_number": "11010519491231002X"},
        service=service_by_code(service_code), community=community(community_code), channel=Channel.KIOSK,
    )
    if status is not None:
        ticket.status = status
    if assignee is not None:
        ticket.assignee_id = staff(assignee).id
    if due_date is not None:
        ticket.due_date = due_date
    if created_at is not None:
        ticket.created_at = created_at
    db.session.commit()
    return ticket


def completed(ticket, *, physical_result: bool = False, by: str = "admin-hq"):
    """A ticket accepted and completed by staff (with a physical result to hand back, if asked)."""
    from kiosk_app.services import workflow

    workflow.apply_action(staff(by), ticket.id, "accept")
    return workflow.apply_action(staff(by), ticket.id, "complete", note="证明已开具", physical_result=physical_result)


def completed_at(ticket, moment, office_hours: str = "09:00-12:00,13:30-17:30"):
    """A completed ticket's completion moved to ``moment``, with the office time it then took (as
    completing it then would have kept)."""
    from kiosk_app.services import workdays

    ticket.completed_at = moment
    ticket.working_seconds = workdays.office_seconds(ticket.created_at, moment, office_hours)
    db.session.commit()
    return ticket


def sign_in(app, username: str, password: str = STAFF_PASSWORD):
    """A test client signed in to the back office as ``username``."""
    client = app.test_client()
    token = csrf_token(client, "/staff/login")
    response = client.post("/staff/login", data={"csrf_token": token, "username": username, "password": password})
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


def assert_one_item_per_compartment() -> None:
    """The locker's first invariant: no compartment holds two active items."""
    from sqlalchemy import func

    from kiosk_app.models import ItemState, LockerItem

    counts = db.session.execute(db.select(LockerItem.compartment_id, func.count()).where(
        LockerItem.state.in_([ItemState.RESERVED, ItemState.HELD])).group_by(LockerItem.compartment_id)).all()
    assert all(n == 1 for _, n in counts), counts


# Sign-ins, refusals and session ends are in the audit trail beside the changes.
SESSION_ACTIONS = ("sign_in", "sign_in_failed", "sign_out", "end_sessions")


def audited_changes(*columns):
    """A SELECT of the audit events of changes (sign-ins and session ends left out), oldest first."""
    from kiosk_app.models import AuditEvent

    return db.select(*(columns or (AuditEvent,))).where(AuditEvent.action.not_in(SESSION_ACTIONS)) \
        .order_by(AuditEvent.id)
