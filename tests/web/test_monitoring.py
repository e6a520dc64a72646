"""What a monitor sees: /metrics (only from the allowed addresses) and one JSON log line per request
that names the route, never a ticket's token nor anyone's data."""

from __future__ import annotations

import json
import logging
import re

from kiosk_app.services import scheduler
from kiosk_app.web.observability import JsonFormatter

from ..helpers import open_form, sign_in, valid_form


def value(page: str, series: str) -> float:
    """A series' value in the Prometheus text (0 when it is not there yet)."""
    match = re.search(rf"^{re.escape(series)} ([0-9.e+-]+)$", page, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_metrics_count_requests_tickets_and_the_state_of_the_outbox_lockers_and_jobs(app, resident):
    before = app.test_client().get("/metrics").get_data(as_text=True)
    home = 'cloudlocker_http_requests_total{endpoint="kiosk.home",method="GET",status="200"}'
    issued = 'cloudlocker_tickets_issued_total{channel="phone"}'
    for _ in range(3):
        resident.get("/kiosk/")
    service_id, token, key = open_form(resident, app)
    resident.post(f"/kiosk/services/{service_id}/request",
                  data={**valid_form(app), "sms": "1", "csrf_token": token, "submission_key": key})
    with app.app_context():
        scheduler.ensure()
        scheduler.run_due("test", [job for job in scheduler.JOBS if job.name != "outbox"])
    response = app.test_client().get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    page = response.get_data(as_text=True)
    assert value(page, home) - value(before, home) == 3
    assert value(page, issued) - value(before, issued) == 1
    assert value(page, "cloudlocker_outbox_pending") == 1  # the new ticket's text, not yet sent
    assert 0 <= value(page, "cloudlocker_outbox_oldest_seconds") < 60
    assert value(page, 'cloudlocker_lock_board_faults{terminal="HQ-L1"}') == 0
    assert 'cloudlocker_doors_open_too_long{terminal="HQ-L1"} 0.0' in page
    assert 'cloudlocker_printer_faults_last_day{terminal="HQ-K1"} 0.0' in page
    assert value(page, 'cloudlocker_job_last_success_timestamp_seconds{job="outbox"}') == 0  # never ran
    assert value(page, 'cloudlocker_job_last_success_timestamp_seconds{job="sweep"}') > 1.7e9
    assert 'cloudlocker_http_request_seconds_bucket{endpoint="kiosk.home",le="0.05"}' in page


def test_metrics_are_refused_to_an_address_not_allowed(app):
    outsider = app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert outsider.status_code == 404 and "cloudlocker_" not in outsider.get_data(as_text=True)
    app.config["METRICS_ALLOW"] = "10.0.0.0/8"
    assert app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert app.test_client().get("/metrics").status_code == 404  # 127.0.0.1 is no longer on the list


def test_each_request_logs_one_json_line_without_tokens_or_personal_data(app, resident, caplog):
    service_id, token, key = open_form(resident, app)
    response = resident.post(f"/kiosk/services/{service_id}/request",
                             data={**valid_form(app, name="王小明", mobile="13912345678"), "csrf_token": token,
                                   "submission_key": key})
    ticket_token = response.headers["Location"].rsplit("/", 1)[-1]
    desk = sign_in(app, "staff-hq")
    with caplog.at_level(logging.INFO, logger="kiosk_app.requests"):
        status = resident.get(f"/t/{ticket_token}", headers={"X-Request-ID": "probe-1234567"})
        desk.get("/staff/")
    lines = [JsonFormatter().format(record) for record in caplog.records if record.name == "kiosk_app.requests"]
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["route"] == "/t/<token>" and first["status"] == 200 and first["request_id"] == "probe-1234567"
    assert status.headers["X-Request-ID"] == "probe-1234567" and first["who"] == "-"
    assert second["endpoint"] == "staff.queue_page" and second["who"].startswith("staff:")
    everything = "\n".join(lines)
    for secret in (ticket_token, "王小明", "13912345678", "3912345678"):
        assert secret not in everything
