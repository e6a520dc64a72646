"""The Prometheus series the app counts as it works (the web layer and the services both count here;
kiosk_app/web/observability.py serves them at /metrics with the figures read at each scrape)."""

from prometheus_client import Counter, Histogram

REQUESTS = Counter("cloudlocker_http_requests", "HTTP requests answered", ["endpoint", "method", "status"])
LATENCY = Histogram("cloudlocker_http_request_seconds", "Time to answer a request", ["endpoint"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
TICKETS = Counter("cloudlocker_tickets_issued", "Tickets issued", ["channel"])
