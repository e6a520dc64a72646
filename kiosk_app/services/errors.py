"""Domain errors.  ``web/errors.py`` turns them into responses in one place."""

from __future__ import annotations


class DomainError(Exception):
    """A refused action (HTTP 409 by default)."""

    status_code = 409

    def __init__(self, message: str):
        super().__init__(str(message))
        self.message = message


class NotFound(DomainError):
    """Unknown, or not the caller's to see: both look the same from outside (HTTP 404)."""

    status_code = 404


class Forbidden(DomainError):
    """Known to the caller, but not theirs to use (HTTP 403)."""

    status_code = 403


class InvalidInput(DomainError):
    """Input that breaks a rule, with a message per field (HTTP 422)."""

    status_code = 422

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
