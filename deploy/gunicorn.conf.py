"""gunicorn's settings for the web service (deploy/systemd/cloudlocker-web.service, the Dockerfile).

Several workers share their Prometheus counts through PROMETHEUS_MULTIPROC_DIR (kiosk_app/web/
observability.py): the folder is emptied at start, and a worker that exits is marked dead so its
gauges leave the sums.  No access log: the app writes one JSON line per request without the tokens
that ticket and door addresses carry."""

import os
import shutil

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", "4"))
threads = int(os.environ.get("WEB_THREADS", "2"))
accesslog = None
timeout = 30
graceful_timeout = 20


def on_starting(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
