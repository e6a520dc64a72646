"""Every line the system writes on a ticket's timeline reads in the reader's language: English for an
English reader, Chinese for a Chinese one, whatever language the ticket was written in."""

import re

import pytest
from flask_babel import force_locale

from kiosk_app.extensions import db
from kiosk_app.models import Status, TicketEvent, TicketEventKind
from kiosk_app.services import locker, ratings, workflow
from kiosk_app.services.event_texts import LOCKER_NOTES, event_note, params_json
from kiosk_app.services.ticket_status import event_label

from ..helpers import csrf_token, make_ticket, sign_in

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# What each kind of event carries, as the code that writes it gives it.
PARAMS = {**{kind: {"number": 5} for kind in LOCKER_NOTES},
          TicketEventKind.RATED: {"level": 2},
          TicketEventKind.REASSIGN: {"assignee": "Li Wei"},
          TicketEventKind.FOLLOW_UP_CLOSED: {"reason": "rating_raised", "level": 4}}
STATUS_REACHED = {TicketEventKind(action.value): to for (_, action), to in
                  [*workflow.TRANSITIONS.items(), *workflow.PROPOSAL_TRANSITIONS.items()]}


def an_event(kind: TicketEventKind) -> TicketEvent:
    return TicketEvent(action=kind, to_status=STATUS_REACHED.get(kind), note="", public=True,
                       params=params_json(**PARAMS.get(kind, {})))


@pytest.mark.parametrize("kind", list(TicketEventKind))
def test_every_kind_of_event_reads_in_english_and_in_chinese(app, kind):
    event = an_event(kind)
    with app.test_request_context():
        with force_locale("en"):
            english = f"{event_label(event)} {event_note(event)}"
        with force_locale("zh_CN"):
            chinese = f"{event_label(event)} {event_note(event)}"
    assert english.strip() and not CJK.search(english), english
    assert CJK.search(chinese), chinese
    assert chinese != english


def test_a_ticket_written_in_chinese_reads_in_english_on_both_timelines(app):
    # (no app context around the requests: each request's language is its own)
    with app.app_context():
        ticket = make_ticket(service_code="residence-permit")
        item = locker.reserve_and_open(locker_terminal(), ticket, locker.ItemKind.SUBMISSION,
                                       locker.DoorReason.DROP_OFF, min_size=locker.Size.M)
        locker.door_closed(item.compartment)
        ticket.status = Status.CLOSED
        db.session.commit()
        ratings.rate(ticket, 2, "等太久")
        token, ticket_id = ticket.token, ticket.id
        db.session.remove()
    resident = in_english(app.test_client(), "/kiosk/")
    english = resident.get(f"/t/{token}").get_data(as_text=True)
    assert "Papers placed in compartment 5" in english and "材料已放入" not in english
    desk = in_english(sign_in(app, "admin-hq"), "/staff/")
    panel = desk.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True)
    assert "Dissatisfied: 等太久" in panel and "不满意" not in panel  # the comment stays as typed
    assert "Papers placed in compartment 5" in panel


def in_english(client, page: str):
    client.post("/prefs", data={"csrf_token": csrf_token(client, page), "lang": "en", "next": page})
    return client


def locker_terminal():
    from kiosk_app.services import terminals

    return terminals.get_by_code("HQ-L1")


@pytest.mark.parametrize("step, params", [
    ("adopted", {"title": "加装电梯", "address": "http://x/c/t", "voted": 4, "households": 6}),
    ("put", {"title": "加装电梯", "address": "http://x/c/t"}),
])
def test_a_proposals_step_reads_in_the_readers_language(app, step, params):
    event = TicketEvent(action=TicketEventKind.DECIDE, note="（存档的中文说明）", public=True,
                        params=params_json(proposal=step, **params))
    with app.test_request_context(), force_locale("en"):
        english = event_note(event)
    assert english.startswith("Put to the residents" if step == "put" else "The residents adopted it")
    assert "加装电梯" in english and "http://x/c/t" in english and ("4 of 6" in english or step == "put")


@pytest.mark.parametrize("params", [
    {"proposal": "adopted", "title": "t", "address": "a"},  # its counts missing
    {"proposal": "not_adopted", "title": "t", "address": "a", "voted": "1e999", "households": 3},
    {"proposal": "adopted", "title": "t", "address": "a", "voted": float("inf"), "households": 3},
    {"proposal": ["put"], "title": "t", "address": "a"},
    {"proposal": "put", "address": "a"},
])
def test_a_step_whose_parameters_do_not_fit_reads_as_stored(app, params):
    event = TicketEvent(action=TicketEventKind.DECIDE, note="存档的说明", public=True, params=params_json(**params))
    with app.test_request_context(), force_locale("en"):
        assert event_note(event) == "存档的说明"
