"""Pickup codes against guessing: 8 digits, a per-terminal ceiling of wrong codes sized from the cabinet,
a growing wait for the screen or phone that types wrong codes (nobody else), and an alert for staff."""

import math
import re
import threading
from datetime import timedelta
from fractions import Fraction

import pytest
from sqlalchemy import func, select

from kiosk_app.extensions import db
from kiosk_app.models import Compartment, DoorState, ItemState, Size, Terminal, Throttle
from kiosk_app.models.base import utcnow
from kiosk_app.services import locker, workflow
from kiosk_app.services.errors import DomainError

from ..helpers import make_ticket, sign_in, staff

CLOSED = "本柜输错取件码次数过多"
WAIT = "本屏幕或手机输错取件码次数过多"


def terminal(code="HQ-L1") -> Terminal:
    return db.session.scalar(select(Terminal).filter_by(code=code))


def place_result(at: Terminal | None = None):
    """A completed ticket's result behind a closed door: (item, its code)."""
    admin = staff("admin-hq")
    ticket = make_ticket()
    workflow.apply_action(admin, ticket.id, "accept")
    workflow.apply_action(admin, ticket.id, "complete", note="证明已开具", physical_result=True)
    item = locker.start_return(admin, at or terminal(), ticket.id)
    locker.door_closed(item.compartment, actor=admin)
    found, code = locker.pickup_code_for_ticket(ticket)
    assert found.id == item.id
    return item, code


def wrong_code(*codes: str) -> str:
    return next(c for c in ("00000000", "11111111", "22222222") if c not in codes)


def refusal(terminal_, code, source) -> str:
    with pytest.raises(DomainError) as caught:
        locker.pick_up(terminal_, code, source=source)
    return str(caught.value.message)


def throttle_row(key) -> Throttle:
    db.session.expire_all()
    return db.session.get(Throttle, key)


def time_passes(key, seconds):
    """Move a counter's clock back, as if ``seconds`` had passed since its last attempt."""
    row = throttle_row(key)
    if row.last_at is not None:
        row.last_at -= timedelta(seconds=seconds)
    row.window_started_at -= timedelta(seconds=seconds)
    db.session.commit()


def expected_ceiling(app, compartments: int) -> tuple[int, int]:
    """F and W from the settings: W is the number of windows one 365-day year can touch."""
    window = app.config["PICKUP_WINDOW_SECONDS"]
    windows = math.ceil(365 * 24 * 3600 / window) + 1
    budget = Fraction(str(app.config["PICKUP_GUESS_BUDGET"]))
    return math.floor(budget * 10 ** locker.CODE_DIGITS / (windows * compartments)), windows


def test_codes_have_eight_digits_and_the_text_message_carries_them(ctx):
    item, code = place_result()
    assert re.fullmatch(r"\d{8}", code) and locker.CODE_DIGITS == 8
    assert code not in item.pickup_code_hash
    from kiosk_app.models import Notification

    message = db.session.scalar(select(Notification).filter_by(kind="pickup_ready"))
    assert code in message.body
    # Typed as the status page shows it, or with a phone keyboard's full-width digits.
    spaced = f"{code[:4]} {code[4:]}"
    full_width = spaced.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert locker.pick_up(terminal(), full_width).id == item.id


@pytest.mark.parametrize("compartments", [12, 48])
def test_the_ceiling_keeps_a_year_of_guessing_below_the_budget(ctx, compartments):
    t = terminal()
    have = db.session.scalar(select(func.count()).select_from(Compartment).filter_by(terminal_id=t.id))
    assert have == 12  # the demo cabinet
    for number in range(have + 1, compartments + 1):
        db.session.add(Compartment(terminal_id=t.id, number=number, size=Size.M, board=2, lock=number - have))
    db.session.commit()
    ceiling, windows = expected_ceiling(ctx, compartments)
    assert locker.keypad_ceiling(t) == ceiling > 0
    # Guessing at the highest rate the keypad allows, every compartment holding a result: each wrong
    # code hits one of `compartments` codes out of 10^8, at most `ceiling` of them in each window.
    expected_doors_a_year = Fraction(windows * ceiling * compartments, 10 ** locker.CODE_DIGITS)
    assert expected_doors_a_year <= Fraction(str(ctx.config["PICKUP_GUESS_BUDGET"]))
    assert expected_doors_a_year < 0.01
    # ... and the ceiling is the largest that keeps it so.
    assert Fraction(windows * (ceiling + 1) * compartments, 10 ** locker.CODE_DIGITS) > 0.01


def test_wrong_codes_slow_their_source_with_a_growing_wait_but_nobody_else(ctx):
    mine, my_code = place_result()
    theirs, their_code = place_result()
    wrong = wrong_code(my_code, their_code)
    key = f"pickup:{terminal().id}:screen"
    for _ in range(3):  # the first three cost nothing
        assert refusal(terminal(), wrong, "screen") == str(locker.CODE_REFUSED)
    assert "请10秒钟后再试" in refusal(terminal(), wrong, "screen")  # the fourth: wait before the next
    # Still waiting: the right code is not even checked, and not counted.
    assert WAIT in refusal(terminal(), my_code, "screen") and throttle_row(key).failures == 4
    assert mine.state == ItemState.HELD and mine.compartment.door == DoorState.CLOSED
    # Someone else, at their phone, opens their door at once.
    assert locker.pick_up(terminal(), their_code, source="phone").id == theirs.id
    # The wait doubles after each further wrong code: 10 s, 20 s, 40 s …
    for wait, next_wait in ((10, "20秒钟"), (20, "40秒钟"), (40, "2分钟"), (80, "3分钟")):  # 80 s, 160 s
        time_passes(key, wait - 1)
        assert WAIT in refusal(terminal(), wrong, "screen")  # not yet
        time_passes(key, 1)
        assert f"请{next_wait}后再试" in refusal(terminal(), wrong, "screen")
    # ... up to 15 minutes.
    row = throttle_row(key)
    row.failures = 40
    db.session.commit()
    time_passes(key, 0)
    assert "请15分钟后再试" in refusal(terminal(), wrong, "screen")
    assert locker._waits()[:7] == [0, 0, 0, 0, 10, 20, 40] and locker._waits()[-1] == 15 * 60


def test_a_right_code_after_the_wait_opens_and_starts_its_source_afresh(ctx):
    item, code = place_result()
    key = f"pickup:{terminal().id}:screen"
    for _ in range(4):
        refusal(terminal(), wrong_code(code), "screen")
    assert WAIT in refusal(terminal(), code, "screen")
    time_passes(key, 10)
    assert locker.pick_up(terminal(), code, source="screen").id == item.id
    assert item.compartment.door == DoorState.OPEN
    assert throttle_row(key) is None  # no wait left for the next code from there
    assert throttle_row(f"pickup:{terminal().id}").failures == 4  # the right code was not counted


def test_reaching_the_ceiling_closes_the_keypad_for_every_source_and_alerts_staff(ctx):
    item, code = place_result()
    t = terminal()
    ceiling = locker.keypad_ceiling(t)
    assert ceiling == expected_ceiling(ctx, 12)[0]
    wrong = wrong_code(code)
    for n in range(ceiling - 1):  # a new source each time: a deliberate attack, cookies cleared
        assert refusal(t, wrong, f"attacker-{n}") == str(locker.CODE_REFUSED)
    assert locker.keypad_closed_notice(t) is None
    assert CLOSED in refusal(t, wrong, "attacker-last")  # the ceiling's own code says so
    # Now no code is checked, at any screen or phone, not even the right one.
    for source in ("screen", "phone", "someone-new"):
        message = refusal(t, code, source)
        assert CLOSED in message and "扫描本柜屏幕上的二维码" in message
    assert item.state == ItemState.HELD and item.compartment.door == DoorState.CLOSED
    assert CLOSED in str(locker.keypad_closed_notice(t))
    assert throttle_row(f"pickup:{t.id}").failures == ceiling
    db.session.expire_all()
    alert = locker.keypad_alert(terminal())
    assert alert.closed and alert.failures == ceiling and alert.ceiling == ceiling
    assert alert.until > utcnow() + timedelta(hours=23)
    # Another terminal's keypad is not closed.
    assert refusal(terminal("XJ-L1"), code, "screen") == str(locker.CODE_REFUSED)
    # When the window ends the keypad takes codes again, and the alert is over.
    time_passes(f"pickup:{t.id}", ctx.config["PICKUP_WINDOW_SECONDS"])
    t = terminal()
    t.keypad_alert_until -= timedelta(seconds=ctx.config["PICKUP_WINDOW_SECONDS"])
    db.session.commit()
    assert locker.keypad_alert(terminal()) is None
    assert locker.pick_up(terminal(), code, source="screen").id == item.id


def test_ten_wrong_codes_alert_staff_on_the_terminals_pages(app):
    with app.app_context():
        _item, code = place_result()
        t = terminal()
        terminal_id, wrong = t.id, wrong_code(code)
        for n in range(app.config["PICKUP_ALERT_FAILURES"] - 1):
            refusal(t, wrong, f"source-{n}")
        assert locker.keypad_alert(terminal()) is None
    admin = sign_in(app, "admin-hq")
    assert "data-keypad-alert" not in admin.get("/staff/terminals").get_data(as_text=True)
    with app.app_context():
        refusal(terminal(), wrong, "source-last")
        alert = locker.keypad_alert(terminal())
        assert alert is not None and not alert.closed and alert.failures == 10
    listing = admin.get("/staff/terminals").get_data(as_text=True)
    assert 'data-keypad-alert="guessing"' in listing
    assert "自" in listing and "起已输错取件码 10 次，可能有人在猜测取件码" in listing
    detail = admin.get(f"/staff/terminals/{terminal_id}").get_data(as_text=True)
    assert 'data-keypad-alert="guessing"' in detail
    # A district admin sees it too, among all the district's terminals.
    assert 'data-keypad-alert="guessing"' in sign_in(app, "admin-district").get("/staff/terminals").get_data(
        as_text=True)


def test_a_taken_back_or_picked_up_result_s_code_opens_nothing(ctx):
    picked, picked_code = place_result()
    assert locker.pick_up(terminal(), picked_code, source="resident").id == picked.id
    locker.door_closed(picked.compartment, actor_label="resident")
    assert picked.state == ItemState.DONE
    assert refusal(terminal(), picked_code, "resident") == str(locker.CODE_REFUSED)

    taken, taken_code = place_result()
    taken.pickup_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    locker.take_back(staff("staff-hq"), terminal(), taken.id)
    # From the moment staff open the door, even before it closes, and even if the period were extended.
    taken.pickup_expires_at = utcnow() + timedelta(days=1)
    db.session.commit()
    assert refusal(terminal(), taken_code, "resident") == str(locker.CODE_REFUSED)
    locker.door_closed(taken.compartment, actor=staff("staff-hq"))
    assert taken.state == ItemState.TAKEN_BACK and taken.pickup_code_hash is None
    assert refusal(terminal(), taken_code, "resident") == str(locker.CODE_REFUSED)


def test_parallel_wrong_codes_from_one_source_are_all_counted(app):
    with app.app_context():
        _item, code = place_result()
        terminal_id, wrong = terminal().id, wrong_code(code)
    barrier = threading.Barrier(8)
    outcomes = []

    def guess():
        with app.app_context():
            try:
                barrier.wait()
                locker.pick_up(db.session.get(Terminal, terminal_id), wrong, source="one-phone")
                outcomes.append("opened")
            except DomainError as error:
                outcomes.append("waited" if WAIT in str(error.message) else "checked")
            except Exception as error:  # noqa: BLE001
                outcomes.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # The three free tries and the fourth were checked, each counted for the source and for the
    # keypad; the rest waited, unchecked: no request slipped through on another's count.
    assert sorted(outcomes) == ["checked"] * 4 + ["waited"] * 4, outcomes
    with app.app_context():
        assert db.session.get(Throttle, f"pickup:{terminal_id}:one-phone").failures == 4
        assert db.session.get(Throttle, f"pickup:{terminal_id}").failures == 4



def test_results_waiting_at_the_upgrade_keep_a_working_code(ctx):
    """Migration 0010 gives a result already waiting the 8-digit code its ticket's page now shows
    (and its downgrade the 6-digit one that the code of that time showed)."""
    import hashlib
    import hmac
    import importlib.util
    from pathlib import Path

    from alembic.migration import MigrationContext
    from alembic.operations import Operations
    from sqlalchemy import text

    path = Path(__file__).resolve().parents[2] / "migrations/versions/0010_pickup_guessing.py"
    spec = importlib.util.spec_from_file_location("migration_0010", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)

    def rehash(digits):
        with db.engine.begin() as connection, Operations.context(MigrationContext.configure(connection)):
            migration._rehash_waiting_codes(digits)

    def stored_hash(item_id) -> str:
        return db.session.execute(text("SELECT pickup_code_hash FROM locker_items WHERE id = :id"),
                                  {"id": item_id}).scalar_one()

    item, code = place_result()
    moment = int(item.held_at.timestamp() * 1_000_000)
    message = f"pickup:{item.id}:{item.ticket.token}:{moment}".encode()
    mac = hmac.new(ctx.config["SECRET_KEY"].encode(), message, hashlib.sha256).digest()
    six = f"{int.from_bytes(mac[:8], 'big') % 10 ** 6:06d}"
    assert code[-6:] == six  # the same digest, two digits more
    item_id = item.id
    db.session.commit()
    rehash(6)
    assert stored_hash(item_id) == locker._code_hash(six)
    rehash(8)
    assert stored_hash(item_id) == locker._code_hash(code)
    db.session.expire_all()
    assert locker.pick_up(terminal(), code).id == item_id
