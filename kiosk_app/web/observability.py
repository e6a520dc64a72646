"""What the people who run the service watch: one JSON log line per request, and Prometheus metrics.

The log line has a request id (taken from ``X-Request-ID`` when a proxy sent a sane one, made
otherwise, and sent back), the endpoint and its URL rule — ``/t/<token>``, never the address itself,
whose token opens a resident's status page —, the status, the time taken, and who asked: a member of
staff by id, a terminal by code.  Never a query string, a form, a name or a number.

``/metrics`` (Prometheus text format) answers only to the addresses in ``METRICS_ALLOW``; anyone
else gets a 404.  Under gunicorn with several workers, ``PROMETHEUS_MULTIPROC_DIR`` names a folder
the workers share, so that a scrape sees them all (deploy/gunicorn.conf.py clears it at start).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import re
import time
import uuid
from datetime import datetime, timezone

from flask import Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from ..metrics import LATENCY, REQUESTS

log = logging.getLogger("kiosk_app.requests")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: what a log collector reads without a pattern."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def start_request() -> None:
    g.request_started = time.perf_counter()
    g.request_id = request_id(request.headers.get("X-Request-ID", ""))


def request_id(given: str) -> str:
    """The proxy's id for the request when it is a sane one, else a new one."""
    return given if REQUEST_ID.match(given) else uuid.uuid4().hex


def _who() -> str:
    user = g.get("_login_user")  # only if this request already loaded it: the log asks the database nothing
    if user is not None and getattr(user, "is_authenticated", False):
        return f"staff:{user.id}"
    terminal = g.get("terminal")
    return f"terminal:{terminal.code}" if terminal is not None else "-"


def _finish(response: Response) -> Response:
    started = g.get("request_started")
    if started is None:
        return response
    response.headers["X-Request-ID"] = g.request_id
    record(g.request_id, request.method, request.endpoint or "unknown",
           request.url_rule.rule if request.url_rule else "-", response.status_code, started, _who())
    return response


def record(request_id: str, method: str, endpoint: str, route: str, status: int, started: float,
           who: str = "-") -> None:
    """A request's log line and figures (also for the status pages answered before Flask)."""
    seconds = time.perf_counter() - started
    if endpoint != "static":
        REQUESTS.labels(endpoint, method, str(status)).inc()
        LATENCY.labels(endpoint).observe(seconds)
    log.info("request", extra={"fields": {
        "request_id": request_id, "method": method, "endpoint": endpoint, "route": route, "status": status,
        "ms": round(seconds * 1000, 1), "who": who}})


class StateCollector:
    """Figures read from the database at each scrape: the outbox, the lockers, the periodic work."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        with self.app.app_context():
            from ..extensions import db
            from ..services import monitoring

            try:
                state = monitoring.state()
            finally:
                db.session.remove()
        yield GaugeMetricFamily("cloudlocker_outbox_pending", "Text messages waiting to be sent",
                                value=state.outbox_pending)
        yield GaugeMetricFamily("cloudlocker_outbox_oldest_seconds", "Age of the oldest text waiting to be sent",
                                value=state.outbox_oldest_seconds)
        faults = GaugeMetricFamily("cloudlocker_lock_board_faults", "Lock boards not answering", labels=["terminal"])
        open_long = GaugeMetricFamily("cloudlocker_doors_open_too_long", "Doors open past DOOR_CLOSE_SECONDS",
                                      labels=["terminal"])
        printers = GaugeMetricFamily("cloudlocker_printer_faults_last_day", "Receipts not printed in the last 24 h",
                                     labels=["terminal"])
        for terminal, figures in state.terminals.items():
            faults.add_metric([terminal], figures.board_faults)
            open_long.add_metric([terminal], figures.doors_open_too_long)
            printers.add_metric([terminal], figures.printer_faults)
        yield faults
        yield open_long
        yield printers
        jobs = GaugeMetricFamily("cloudlocker_job_last_success_timestamp_seconds",
                                 "When each periodic job last succeeded (0: never)", labels=["job"])
        for name, moment in state.jobs.items():
            jobs.add_metric([name], moment)
        yield jobs


def _allowed(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(entry.strip(), strict=False)
               for entry in current_app.config["METRICS_ALLOW"].split(",") if entry.strip())


def metrics() -> Response:
    if not _allowed(request.remote_addr):
        abort(404)
    registry = current_app.extensions["metrics_registry"]
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def init_app(app) -> None:
    from prometheus_client import REGISTRY

    if app.config.get("LOG_JSON"):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        root = logging.getLogger()
        root.handlers[:] = [handler]
        root.setLevel(logging.INFO)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)  # (gunicorn's start empties it)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(REGISTRY)  # this process's own counters (one worker: they live in the default one)
    registry.register(StateCollector(app))
    app.extensions["metrics_registry"] = registry
    app.before_request(start_request)
    app.after_request(_finish)
    app.add_url_rule("/metrics", "metrics", metrics)

