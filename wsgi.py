"""Entry point for WSGI servers: ``gunicorn wsgi:app``."""

from kiosk_app import create_app

app = create_app()
