"""Sign-in, lockout after five wrong passwords, and sign-out everywhere on a password change."""

import pytest

from kiosk_app.extensions import db
from kiosk_app.services import accounts, sessions
from kiosk_app.services.errors import DomainError, InvalidInput

from ..helpers import STAFF_PASSWORD, staff


def test_sign_in_with_the_right_password(ctx):
    assert accounts.authenticate(" staff-hq ", STAFF_PASSWORD).staff.username == "staff-hq"


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(ctx):
    for attempt in range(4):
        with pytest.raises(DomainError) as caught:
            accounts.authenticate("staff-hq", "wrong")
        assert str(caught.value.message) == "用户名或密码错误。"
    with pytest.raises(DomainError) as caught:
        accounts.authenticate("staff-hq", "wrong")
    assert "已锁定15分钟" in str(caught.value.message)
    with pytest.raises(DomainError) as caught:
        accounts.authenticate("staff-hq", STAFF_PASSWORD)
    assert "已锁定15分钟" in str(caught.value.message)
    # Another account is not affected.
    assert accounts.authenticate("admin-hq", STAFF_PASSWORD).staff.username == "admin-hq"


def test_unknown_usernames_behave_like_known_ones(ctx):
    for _ in range(5):
        with pytest.raises(DomainError):
            accounts.authenticate("nobody", "x")
    with pytest.raises(DomainError) as caught:
        accounts.authenticate("nobody", "x")
    assert "已锁定15分钟" in str(caught.value.message)


def test_an_inactive_account_cannot_sign_in(ctx):
    member = staff("staff-hq")
    member.active = False
    db.session.commit()
    with pytest.raises(DomainError):
        accounts.authenticate("staff-hq", STAFF_PASSWORD)


def test_a_password_change_ends_every_session(ctx):
    member = staff("staff-hq")
    old_identity = member.get_id()
    elsewhere = accounts.authenticate("staff-hq", STAFF_PASSWORD).token
    assert sessions.load(old_identity, elsewhere).id == member.id
    accounts.change_password(member, STAFF_PASSWORD, "a-new-long-password", "a-new-long-password")
    assert sessions.load(old_identity, elsewhere) is None
    assert sessions.load(member.get_id(), elsewhere) is None  # the session itself has ended
    signed_in = accounts.authenticate("staff-hq", "a-new-long-password")
    assert sessions.load(member.get_id(), signed_in.token).id == member.id


@pytest.mark.parametrize("current, new, repeat, field", [
    ("wrong", "a-new-long-password", "a-new-long-password", "current"),
    (STAFF_PASSWORD, "short", "short", "new"),
    (STAFF_PASSWORD, STAFF_PASSWORD, STAFF_PASSWORD, "new"),
    (STAFF_PASSWORD, "a-new-long-password", "another-long-one", "repeat"),
])
def test_password_changes_are_checked(ctx, current, new, repeat, field):
    with pytest.raises(InvalidInput) as caught:
        accounts.change_password(staff("staff-hq"), current, new, repeat)
    assert field in caught.value.errors


@pytest.mark.parametrize("identity", ["", "x", "1", "1.", ".1", "999.1", "1.999"])
def test_broken_session_identities_are_nobody(ctx, identity):
    token = accounts.authenticate("staff-hq", STAFF_PASSWORD).token
    assert sessions.load(identity, token) is None


def test_guesses_sent_in_parallel_are_all_counted(app):
    import threading

    from kiosk_app.extensions import db
    from kiosk_app.models import Throttle

    barrier = threading.Barrier(8)
    outcomes = []

    def guess():
        with app.app_context():
            barrier.wait()
            try:
                accounts.authenticate("staff-hq", "wrong")
            except DomainError as error:
                outcomes.append(str(error.message))
            except Exception as error:  # noqa: BLE001
                outcomes.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(outcomes) == 8 and all(o == "用户名或密码错误。" or "已锁定" in o for o in outcomes), outcomes
    with app.app_context():
        assert db.session.get(Throttle, "login:staff-hq").failures == 8
        with pytest.raises(DomainError):
            accounts.authenticate("staff-hq", STAFF_PASSWORD)


def test_an_overlong_new_password_is_refused(ctx):
    with pytest.raises(InvalidInput) as caught:
        accounts.change_password(staff("staff-hq"), STAFF_PASSWORD, "x" * 257, "x" * 257)
    assert "new" in caught.value.errors


@pytest.mark.parametrize("weak", ["aaaaaaaaaa", "1234567890", "qwertyuiop", "password123", "Password2026",
                                  "woaini1314", "staff-hq-2026!", "STAFF-HQ-staff", "王社工的密码王社工", "cloudlocker2026",
                                  "我的社区云柜密码", "short"])
def test_weak_passwords_are_refused(ctx, weak):
    with pytest.raises(InvalidInput) as caught:
        accounts.change_password(staff("staff-hq"), STAFF_PASSWORD, weak, weak)
    assert set(caught.value.errors) == {"new"}


def test_a_password_of_unrelated_words_is_taken(ctx):
    accounts.change_password(staff("staff-hq"), STAFF_PASSWORD, "lantern orchard seventy", "lantern orchard seventy")
    assert accounts.authenticate("staff-hq", "lantern orchard seventy").staff.username == "staff-hq"


def test_the_command_line_refuses_weak_passwords_too(ctx):
    from kiosk_app.services import administration

    with pytest.raises(InvalidInput):
        administration.save_staff("new-worker", role="community_staff", area_code="HQ", password="1234567890")


def test_old_attempt_counters_are_purged_and_current_ones_kept(ctx):
    from datetime import timedelta

    from kiosk_app.models import Throttle
    from kiosk_app.models.base import utcnow
    from kiosk_app.services import throttle

    for n in range(3):
        throttle.count_attempt(f"login:someone{n}", 900)
    old = db.session.get(Throttle, "login:someone0")
    old.window_started_at = utcnow() - timedelta(days=3)
    db.session.commit()
    assert throttle.purge() == 1
    assert sorted(db.session.scalars(db.select(Throttle.key))) == ["login:someone1", "login:someone2"]
