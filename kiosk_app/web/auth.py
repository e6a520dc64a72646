"""Staff sessions (Flask-Login).  The back office builds on this."""

from __future__ import annotations

from ..extensions import db, login_manager
from ..models import Staff


@login_manager.user_loader
def load_staff(staff_id: str) -> Staff | None:
    if not staff_id.isdigit():
        return None
    staff = db.session.get(Staff, int(staff_id))
    return staff if staff is not None and staff.active else None
