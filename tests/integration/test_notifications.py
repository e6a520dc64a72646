"""Messages to residents: written with the change, sent with retries, never lost, recognisably the same."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


from kiosk_app.extensions import db
from kiosk_app.models import MessageState, Notification
from kiosk_app.models.base import utcnow
from kiosk_app.services import locker, notifications, terminals, workflow
from kiosk_app.services.notifications import HttpGatewaySender

from ..helpers import make_ticket, staff


def outbox(kind=None):
    stmt = db.select(Notification).order_by(Notification.id)
    if kind:
        stmt = stmt.filter_by(kind=kind)
    return db.session.scalars(stmt).all()


def test_a_new_ticket_writes_its_message_in_the_same_transaction(ctx):
    ticket = make_ticket(name="欧阳娜娜", mobile="13912345678")
    [message] = outbox()
    assert message.kind == "issued" and message.to_mobile == "13912345678"
    assert ticket.number in message.body and "手机号码后四位" in message.body
    # Anyone may hand in a request with any number: the text that causes carries no link.
    assert ticket.token not in message.body and "http" not in message.body
    assert "欧阳" not in message.body  # no more personal data than needed
    assert message.body.startswith("【社区云柜】")
    assert message.state == MessageState.PENDING and len(message.idempotency_key) == 32


def test_residents_may_decline_messages(ctx):
    from kiosk_app.models import Channel
    from kiosk_app.services import tickets

    from ..helpers import building_of, community, service_by_code

    tickets.submit_request({"name": "张三", "mobile": "13812345678", "building": str(building_of().id)},
                           service=service_by_code("facility-repair"), community=community(),
                           channel=Channel.KIOSK, sms_opt_in=False)
    assert outbox() == []


def test_asking_for_information_completing_and_pickup_send_messages(ctx):
    admin = staff("admin-hq")
    ticket = make_ticket()
    workflow.apply_action(admin, ticket.id, "accept")
    workflow.apply_action(admin, ticket.id, "ask_info", note="请补充照片")
    workflow.apply_action(admin, ticket.id, "resume")
    workflow.apply_action(admin, ticket.id, "complete", note="已修好")
    assert [m.kind for m in outbox()] == ["issued", "needs_info", "done"]
    with_result = make_ticket()
    workflow.apply_action(admin, with_result.id, "accept")
    workflow.apply_action(admin, with_result.id, "complete", note="证明已开具", physical_result=True)
    item = locker.start_return(admin, terminals.get_by_code("HQ-L1"), with_result.id)
    locker.door_closed(item.compartment)
    [ready] = outbox("pickup_ready")
    _, code = locker.pickup_code_for_ticket(with_result)
    assert code in ready.body and str(item.compartment.number) in ready.body


def test_english_residents_get_english_messages(ctx):
    ticket = make_ticket()
    ticket.locale = "en"
    db.session.commit()
    workflow.apply_action(staff("admin-hq"), ticket.id, "accept")
    workflow.apply_action(staff("admin-hq"), ticket.id, "ask_info", note="photo please")
    assert outbox("needs_info")[0].body.startswith("[Community Cloud Locker]")


class FakeGateway:
    """An SMS gateway on 127.0.0.1 that fails the first ``failures`` requests, and can drop an answer."""

    def __init__(self, failures=0, drop_answers=0):
        self.failures, self.drop_answers = failures, drop_answers
        self.received, self.delivered = [], {}
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers["Idempotency-Key"]
                gateway.received.append(key)
                if gateway.failures > 0:
                    gateway.failures -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                gateway.delivered.setdefault(key, body)  # a repeated key is the same message
                if gateway.drop_answers > 0:
                    gateway.drop_answers -= 1
                    self.connection.close()  # delivered, but the answer is lost
                    return
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def drain(sender, rounds=12):
    """Run the sender as its loop would, with time moving on past each back-off."""
    moment = utcnow()
    history = []
    for _ in range(rounds):
        history.append(notifications.send_due(sender, now=moment))
        moment += timedelta(hours=1)
    return history


def test_a_gateway_that_fails_then_recovers_gets_every_message_once(ctx):
    for _ in range(3):
        make_ticket()
    gateway = FakeGateway(failures=5)
    try:
        drain(HttpGatewaySender(gateway.url, {"issued": "SMS_001"}, timeout=2))
    finally:
        gateway.stop()
    messages = outbox()
    assert all(m.state == MessageState.SENT for m in messages)
    assert set(gateway.delivered) == {m.idempotency_key for m in messages}
    assert all(body["template_id"] == "SMS_001" and body["to"].startswith("1380000") for body in gateway.delivered.values())
    retried = [m for m in messages if m.attempts > 1]
    assert retried and all(gateway.received.count(m.idempotency_key) == m.attempts for m in messages)


def test_a_lost_answer_is_retried_with_the_same_key(ctx):
    make_ticket()
    gateway = FakeGateway(drop_answers=1)
    try:
        drain(HttpGatewaySender(gateway.url, {}, timeout=2), rounds=3)
    finally:
        gateway.stop()
    [message] = outbox()
    assert message.state == MessageState.SENT and message.attempts == 2
    assert gateway.received == [message.idempotency_key] * 2 and len(gateway.delivered) == 1


def test_retries_back_off_and_a_dead_gateway_loses_nothing(ctx):
    make_ticket()
    sender = HttpGatewaySender("http://127.0.0.1:1/none", {}, timeout=1)  # nothing listens there
    moment = utcnow()
    pauses = []
    for _ in range(4):
        notifications.send_due(sender, now=moment)
        [message] = outbox()
        pauses.append((message.next_attempt_at - moment).total_seconds())
        moment = message.next_attempt_at
    assert pauses == [30, 60, 120, 240]
    assert message.state == MessageState.PENDING and "unreachable" in message.last_error


def test_the_log_sender_and_the_worker_command(app, caplog):
    with app.app_context():
        make_ticket()
    result = app.test_cli_runner().invoke(args=["notifications", "send"])
    assert result.exit_code == 0 and "sent 1" in result.output
    # the demo's texts (and the codes in them) are read on the sending command's console
    assert "SMS to 138***" in result.stderr and "【社区云柜】回执" in result.stderr
    with app.app_context():
        assert outbox()[0].state == MessageState.SENT


def test_a_mobile_number_gets_three_texts_an_hour_and_ten_a_day_whoever_asks(ctx, app):
    from datetime import timedelta

    for _ in range(5):
        make_ticket(mobile="13900009999")
    assert len(outbox("issued")) == 3
    for message in outbox():
        message.created_at -= timedelta(hours=2)  # an hour later: three more
    db.session.commit()
    for _ in range(5):
        make_ticket(mobile="13900009999")
    assert len(outbox("issued")) == 6
    make_ticket(mobile="13900008888")  # another number is not affected
    assert len(outbox("issued")) == 7
    app.config["TEXTS_PER_MOBILE_HOUR"] = 100
    for _ in range(6):
        make_ticket(mobile="13900009999")
    assert len([m for m in outbox("issued") if m.to_mobile == "13900009999"]) == 10  # the day's share
