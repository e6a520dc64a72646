"""Submitting a request: what is stored, what is refused, and numbering under concurrency."""

import threading
from datetime import date

import pytest

from kiosk_app.extensions import db
from kiosk_app.models import Channel, Status, Ticket, TicketEvent
from kiosk_app.services import tickets
from kiosk_app.services.errors import DomainError, InvalidInput

from ..helpers import building_of, community, service_by_code

VALID_ID = "11010519491231002X"


def form(**changes):
    data = {"name": "张三", "mobile": "13812345678", "building": str(building_of("HQ").id),
            "details": "楼道灯不亮", "id_number": ""}
    data.update(changes)
    return data


def submit(service_code="facility-repair", community_code="HQ", **kwargs):
    return tickets.submit_request(
        kwargs.pop("data", None) or form(),
        service=service_by_code(service_code),
        community=community(community_code),
        channel=kwargs.pop("channel", Channel.KIOSK),
        **kwargs,
    )


def test_a_submission_stores_the_ticket_and_its_first_event(ctx):
    ticket = submit()
    stored = db.session.get(Ticket, ticket.id)
    assert stored.status == Status.SUBMITTED
    assert stored.resident_name == "张三" and stored.mobile_last4 == "5678"
    assert stored.grid_id == building_of("HQ").grid_id
    assert stored.id_number is None
    assert stored.number.startswith("HQ-") and stored.number.endswith("-001")
    assert len(stored.token) >= 32
    assert stored.due_date > date(2026, 1, 1)
    [event] = db.session.scalars(db.select(TicketEvent).filter_by(ticket_id=ticket.id)).all()
    assert (event.action, event.to_status, event.actor_label) == ("submitted", Status.SUBMITTED, "resident:kiosk")


def test_numbers_run_per_community_and_day(ctx):
    first, second = submit(), submit()
    other = submit(community_code="XJ", data=form(building=str(building_of("XJ").id)))
    assert first.number[-3:] == "001" and second.number[-3:] == "002"
    assert other.number.startswith("XJ-") and other.number.endswith("-001")


def test_a_busy_day_goes_past_999_and_the_message_carries_the_number(ctx):
    from kiosk_app.models import Notification, TicketCounter

    first = submit()
    db.session.execute(db.update(TicketCounter).values(last=998))
    db.session.commit()
    numbers = [submit().number for _ in range(2)]
    prefix = first.number[:-3]
    assert numbers == [prefix + "999", prefix + "1000"]
    stored = db.session.scalars(db.select(Ticket.number).order_by(Ticket.id)).all()
    assert stored == [first.number, *numbers]  # what the page shows is what is stored
    bodies = db.session.scalars(db.select(Notification.body).order_by(Notification.id)).all()
    assert [number in body for number, body in zip(stored, bodies)] == [True, True, True]
    assert not any("#" in body for body in bodies)  # no provisional number left anywhere
    params = db.session.scalars(db.select(Notification.params).order_by(Notification.id)).all()
    assert [f'"number": "{number}"' in text for number, text in zip(stored, params)] == [True, True, True]


def test_id_number_is_stored_only_where_the_service_needs_it(ctx):
    assert submit(data=form(id_number=VALID_ID)).id_number is None
    ticket = submit("floating-registration", data=form(id_number=f" {VALID_ID.lower()} "))
    assert ticket.id_number == VALID_ID
    with pytest.raises(InvalidInput) as caught:
        submit("floating-registration", data=form(id_number="110105194912310021"))
    assert set(caught.value.errors) == {"id_number"}


def test_invalid_fields_are_all_reported_and_nothing_is_stored(ctx):
    with pytest.raises(InvalidInput) as caught:
        submit(data=form(name="", mobile="123", building="999999", details="字" * 40_000))
    assert set(caught.value.errors) == {"name", "mobile", "building", "details"}
    assert db.session.query(Ticket).count() == 0


def test_a_building_of_another_community_is_refused(ctx):
    with pytest.raises(InvalidInput) as caught:
        submit(data=form(building=str(building_of("XJ").id)))
    assert set(caught.value.errors) == {"building"}


def test_guidance_only_items_create_no_ticket(ctx):
    with pytest.raises(DomainError):
        submit("no-criminal-record")
    assert db.session.query(Ticket).count() == 0


def test_the_same_form_sent_twice_makes_one_ticket(ctx):
    key = tickets.new_submission_key()
    first = submit(submission_key=key)
    again = submit(submission_key=key)
    assert again.id == first.id
    assert db.session.query(Ticket).count() == 1


def _in_threads(app, count, work):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run(i):
        with app.app_context():
            try:
                barrier.wait()
                results.append(work(i))
            except Exception as error:  # noqa: BLE001
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results, errors


def test_twenty_concurrent_submissions_get_twenty_distinct_numbers(app):
    with app.app_context():
        data = form()

    def work(i):
        return submit(data=dict(data, mobile=f"139{i:08d}")).number

    numbers, errors = _in_threads(app, 20, work)
    assert errors == []
    assert len(numbers) == 20 and len(set(numbers)) == 20
    with app.app_context():
        stored = db.session.scalars(db.select(Ticket.number)).all()
    assert sorted(stored) == sorted(numbers)
    assert sorted(int(n.rsplit("-", 1)[1]) for n in stored) == list(range(1, 21))


def test_a_double_tap_racing_itself_makes_one_ticket(app):
    with app.app_context():
        data = form()
    key = "double-tap-key-0123456789abcdef"
    ids, errors = _in_threads(app, 5, lambda i: submit(data=data, submission_key=key).id)
    assert errors == []
    assert len(set(ids)) == 1
    with app.app_context():
        assert db.session.query(Ticket).count() == 1


def test_lookup_by_number_and_last_four_digits(ctx):
    ticket = submit()
    found = tickets.find_for_resident(ticket.number.lower(), "5678", client="1.2.3.4", limit=5, window_seconds=900)
    assert found.id == ticket.id


@pytest.mark.parametrize("number, last4", [("HQ-000000-001", "5678"), (None, "0000"), (None, "56"), ("", "")])
def test_lookup_failures_all_look_the_same(ctx, number, last4):
    ticket = submit()
    with pytest.raises(InvalidInput) as caught:
        tickets.find_for_resident(number if number is not None else ticket.number, last4,
                                  client="1.2.3.4", limit=5, window_seconds=900)
    assert caught.value.errors == {"number": tickets.LOOKUP_REFUSED}


def test_lookup_pauses_after_five_failures_even_with_the_right_digits(ctx):
    ticket = submit()
    for _ in range(5):
        with pytest.raises(InvalidInput):
            tickets.find_for_resident(ticket.number, "0000", client="1.2.3.4", limit=5, window_seconds=900)
    with pytest.raises(DomainError) as caught:
        tickets.find_for_resident(ticket.number, "5678", client="5.6.7.8", limit=5, window_seconds=900)
    assert caught.value.message == tickets.LOOKUP_PAUSED
