"""The browser's side of security, on every response: what a page may load and run, who may frame it,
what the browser may guess, what it tells other sites.

- ``Content-Security-Policy``: scripts, styles, images, fonts and requests from this site only; no
  inline script or style (there is none: handlers live in static/js, htmx's own indicator style is
  in app.css, and htmx may not evaluate code); no plug-ins; forms post only here; no page of this
  site may be framed by another (a kiosk page inside someone's frame could be dressed as anything).
- ``X-Frame-Options: DENY`` for browsers that predate ``frame-ancestors``.
- ``X-Content-Type-Options: nosniff``: an upload or a JSON answer is never run as a script.
- ``Referrer-Policy: same-origin``: another site never learns a page's address (a status link
  carries its ticket's token); this site's forms still get theirs (the CSRF check over HTTPS needs it).
- ``Strict-Transport-Security`` when ``HSTS_SECONDS`` is set (production: a year).
"""

from __future__ import annotations

from flask import Flask

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))


def init_app(app: Flask) -> None:
    hsts = int(app.config.get("HSTS_SECONDS") or 0)
    every = [("Content-Security-Policy", CSP), ("X-Frame-Options", "DENY"), ("X-Content-Type-Options", "nosniff"),
             ("Referrer-Policy", "same-origin"),
             ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
             ("Cross-Origin-Opener-Policy", "same-origin")]
    if hsts:
        every.append(("Strict-Transport-Security", f"max-age={hsts}; includeSubDomains"))

    @app.after_request
    def _security_headers(response):
        # Each header unless the view set its own; the names set are read once (a setdefault per
        # header read them all each time: a tenth of a kept status page's time).
        headers = response.headers
        named = {name.lower() for name, _value in headers.items()}
        for name, value in every:
            if name.lower() not in named:
                headers.add(name, value)
        return response
