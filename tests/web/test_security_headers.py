"""Every response of every blueprint carries the browser-side protections (web/headers.py): pages, errors,
fragments, JSON, files, static files; HSTS in production only."""

import re

import pytest

from kiosk_app.web.headers import CSP

from ..helpers import sign_in

EXPECTED = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}


def get_paths(app):
    """A GET address for every route (arguments filled with a plausible value; a 404 carries the
    headers too)."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        path = rule.rule
        for name in rule.arguments - set(rule.defaults or {}):
            choices = getattr(rule._converters[name], "items", None)
            value = sorted(choices)[0] if choices else ("app.css" if name == "filename" else "1")
            path = re.sub(rf"<(?:[^:>]+:)?{name}>", str(value), path)
        yield rule.endpoint, path


@pytest.mark.parametrize("who", [None, "admin-district"])
def test_every_get_route_answers_with_the_security_headers(app, who):
    client = sign_in(app, who) if who else app.test_client()
    paths = list(get_paths(app))
    assert {endpoint.split(".")[0] for endpoint, _ in paths} >= {"admin", "api", "kiosk", "public", "staff", "static",
                                                                 "terminal"}
    for endpoint, path in paths:
        response = client.get(path)
        for name, value in EXPECTED.items():
            assert response.headers.get(name) == value, (endpoint, path, response.status_code, name)
        assert response.headers.get("Referrer-Policy") in ("same-origin", "no-referrer"), (endpoint, path)
        assert "Strict-Transport-Security" not in response.headers  # not outside production


def test_posts_errors_and_json_carry_them_too(app, client):
    for response in (client.post("/staff/login", data={}),  # no CSRF token: 400
                     client.post("/api/terminal/enrol", json={"code": "x"}),
                     client.get("/no/such/page")):
        assert response.headers["Content-Security-Policy"] == CSP and response.headers["X-Frame-Options"] == "DENY"


def test_production_adds_hsts(make_app):
    app = make_app(HSTS_SECONDS=31536000)
    response = app.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_no_template_has_inline_script_or_handlers():
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "kiosk_app" / "templates"
    for path in templates.rglob("*.html"):
        source = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", source), path  # only <script src=…>
        assert not re.search(r"\son[a-z]+\s*=", source), path  # no onclick=, onchange=, …
        assert "javascript:" not in source and " style=" not in source, path
