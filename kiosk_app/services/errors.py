"""Domain errors, each with its HTTP meaning.  ``web/errors.py`` turns them into responses in one
place; a blueprint that answers otherwise (the terminal's JSON API) registers its own handler."""

from __future__ import annotations


class DomainError(Exception):
    """A refused action (HTTP 409 by default)."""

    status_code = 409

    def __init__(self, message: str):
        super().__init__(str(message))
        self.message = message


class Conflict(DomainError):
    """Someone else changed it first (HTTP 409); the caller shows the fresh state."""


class Unauthorized(DomainError):
    """Credentials that do not sign anyone in (HTTP 401)."""

    status_code = 401


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
        super().__init__(" ".join(str(message) for message in errors.values()))
        self.errors = errors

    @property
    def messages(self) -> dict[str, str]:
        """The messages per field as text, in the reader's language (for a page's form)."""
        return {field: str(message) for field, message in self.errors.items()}


class Gone(DomainError):
    """No longer valid: an old link or code (HTTP 410)."""

    status_code = 410


class Throttled(DomainError):
    """Too many attempts: refused until a wait is over (HTTP 429)."""

    status_code = 429


class Unavailable(DomainError):
    """A part the action needs (a lock board, a printer, a gateway) does not answer (HTTP 503)."""

    status_code = 503
