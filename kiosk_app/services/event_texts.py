"""What a timeline line says, in the reader's language.

The system writes no sentences into a ticket's events: it stores the kind of event and its
parameters (``TicketEvent.params``, JSON: a door's number, a rating's level, who a ticket was given
to), and each reader sees them in their own language: a resident in English reads "Papers placed in
compartment 5" where a Chinese reader reads "材料已放入 5 号格口".  Only what a person typed (a staff
note, a rating's comment, a follow-up's findings) is stored as text, and shown as typed.
"""

from __future__ import annotations

import json

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..models import RATING_LABELS, TicketEventKind

LOCKER_NOTES = {
    "papers_deposited": _l("Papers placed in compartment %(number)d"),
    "result_ready": _l("The result is waiting in compartment %(number)d; pick it up with the code on this page"),
    "result_taken_back": _l("The uncollected result was taken back from compartment %(number)d; ask the service centre"),
    "locker_full": _l("No compartment of a fitting size was free, so no door opened. Please hand the papers in at "
                      "the service centre with this ticket number."),
    "locker_fault": _l("The locker could not open a door (staff have been told). Please hand the papers in at the "
                       "service centre with this ticket number."),
    "door_jammed": _l("Door %(number)d did not open (staff have been told). Try another compartment, or hand the "
                      "papers in at the service centre with this ticket number."),
    "door_unknown": _l("The locker could not confirm that door %(number)d opened. If it is open, please close it "
                       "without putting anything in, and hand the papers in at the service centre with this "
                       "ticket number."),
    "dropoff_released": _l("No door opened for your papers. Please hand them in at the service centre with this "
                           "ticket number."),
    "dropoff_escalated": _l("Door %(number)d was not closed in time; staff will check the compartment. If your "
                            "papers are not found there, please hand them in at the service centre."),
}
RATING_RAISED = "rating_raised"  # a follow-up closed because the resident changed a poor rating
# A resident's proposal following its consultation (services/proposals.py), by ``params["proposal"]``.
PROPOSAL_NOTES = {
    "put": _l("Put to the residents: “%(title)s”, %(address)s"),
    "adopted": _l("The residents adopted it: “%(title)s” (%(voted)d of %(households)d households voted), "
                  "%(address)s"),
    "not_adopted": _l("The residents did not adopt it: “%(title)s” (%(voted)d of %(households)d households "
                      "voted), %(address)s"),
}


def params_of(event) -> dict:
    """An event's parameters (tolerant of rows from before they existed, or written by hand)."""
    try:
        params = json.loads(getattr(event, "params", "") or "{}")
    except ValueError:
        return {}
    return params if isinstance(params, dict) else {}


def params_json(**params) -> str:
    return json.dumps(params, ensure_ascii=False, sort_keys=True)


def event_note(event) -> str:
    """The text under a timeline line: the system's words in the reader's language, a person's as typed."""
    params, kind, typed = params_of(event), str(event.action), event.note or ""
    try:
        if kind in LOCKER_NOTES and "number" in params:
            return str(LOCKER_NOTES[kind]) % {"number": int(params["number"])}
        if kind == TicketEventKind.RATED and int(params.get("level", 0)) in RATING_LABELS:
            label = str(RATING_LABELS[int(params["level"])])
            return f"{label}: {typed}" if typed else label
        if kind == TicketEventKind.REASSIGN and params.get("assignee") and not typed:
            return _("Assigned to %(name)s", name=params["assignee"])
        if params.get("proposal") in PROPOSAL_NOTES:
            step = params["proposal"]
            counted = {"voted": int(params["voted"]), "households": int(params["households"])} if step != "put" else {}
            return str(PROPOSAL_NOTES[step]) % {"title": str(params["title"]), "address": str(params["address"]),
                                               **counted}
        if kind == TicketEventKind.FOLLOW_UP_CLOSED and params.get("reason") == RATING_RAISED:
            return _("Closed by itself: the resident changed the rating to “%(label)s”.",
                     label=RATING_LABELS[int(params["level"])])
    except (TypeError, ValueError, KeyError, OverflowError):
        pass  # parameters that do not fit: the stored text, whatever it is
    return typed
