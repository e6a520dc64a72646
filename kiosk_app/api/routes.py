"""The terminal agent's API: a locker terminal's PC fetches door commands and reports door states.

Authenticated with the terminal's own device credential (``Authorization: Bearer <id>.<secret>``,
from enrolment); a terminal sees and answers only its own commands.  JSON in and out; no CSRF,
since no browser session is involved.
"""

from __future__ import annotations

import json

from flask import Blueprint, jsonify, request
from werkzeug.exceptions import HTTPException

from ..extensions import csrf
from ..models import TerminalKind
from ..services import locker, terminals
from ..services.errors import DomainError
from ..web import limits

bp = Blueprint("api", __name__)
csrf.exempt(bp)

MAX_BODY = 64 * 1024  # a doors report of 32 boards × 24 locks is under 8 KB


class BadBody(Exception):
    """A request body that is not the JSON object the route takes (HTTP 400, with what it takes)."""


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError):
    """What the domain refused, as JSON with its HTTP status (an unknown command 404, a bad code 422)."""
    return jsonify({"error": str(error.message)}), error.status_code


@bp.errorhandler(BadBody)
def _bad_body(error: BadBody):
    return jsonify({"error": str(error)}), 400


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    """The agent reads JSON: every refusal of the API is JSON too (never an HTML page)."""
    return jsonify({"error": error.description or error.name}), error.code


def _body(expected: str) -> dict:
    """The request's JSON object; anything else (not JSON, too deep, too large, not an object) is a
    ``BadBody`` that says what the route takes."""
    raw = request.get_data(cache=False)
    if len(raw) > MAX_BODY:
        raise BadBody(f"the body is larger than {MAX_BODY} bytes")
    try:
        body = json.loads(raw or b"null")
        # JSON may carry lone surrogates ("\udcff") or NUL ("\u0000"), which no text column takes.
        if "\\u0000" in json.dumps(body, ensure_ascii=False).encode().decode():  # (dumps writes NUL so)
            raise ValueError("NUL")
    except (ValueError, RecursionError):  # not JSON, nested deeper than any report is, or not text
        raise BadBody(f"send a JSON object: {expected}") from None
    if not isinstance(body, dict):
        raise BadBody(f"send a JSON object: {expected}")
    return body


def _number(key, what: str) -> int:
    """A board's or lock's number, as a JSON object's key ("3") gives it."""
    if not isinstance(key, str) or not key.isascii() or not key.isdigit() or len(key) > 4:
        raise BadBody(f"{what} must be numbers, e.g. \"1\"")
    return int(key)


def _terminal():
    header = request.headers.get("Authorization", "")
    credential = header[7:].strip() if header.lower().startswith("bearer ") else ""
    terminal = terminals.authenticate(credential)
    if terminal is None or terminal.kind != TerminalKind.LOCKER:
        return None
    return terminal


def _refused():
    return jsonify({"error": "unknown, revoked or missing terminal credential"}), 401


@bp.post("/terminal/enrol")
@limits.attempts("LIMIT_ENROL", "enrol")
def enrol():
    code = _body('{"code": "the enrolment code"}').get("code")
    if not isinstance(code, str) or len(code) > 64:
        raise BadBody('send {"code": "the enrolment code"}')
    terminal, credential = terminals.enrol(code)
    return jsonify({"terminal": terminal.code, "credential": credential})


@bp.get("/terminal/commands")
def commands():
    terminal = _terminal()
    if terminal is None:
        return _refused()
    locker.maybe_sweep(terminal)  # commands the agent was too late for are given up, not sent
    return jsonify({"commands": [
        {"id": c.id, "board": c.compartment.board, "lock": c.compartment.lock, "door": c.compartment.number}
        for c in locker.pending_commands(terminal)
    ]})


@bp.post("/terminal/commands/<int:command_id>")
def command_result(command_id: int):
    terminal = _terminal()
    if terminal is None:
        return _refused()
    expected = '{"ok": true} or {"ok": false, "fault": "door" or "board", "error": "what went wrong"}'
    body = _body(expected)
    ok, error, fault = body.get("ok"), body.get("error", ""), body.get("fault", "door")
    if not isinstance(ok, bool) or not isinstance(error, str) or not isinstance(fault, str):
        raise BadBody(f"send {expected}")
    command = locker.command_done(terminal, command_id, ok, error[:300], fault=fault[:20])
    return jsonify({"id": command.id, "state": command.state.value})


@bp.post("/terminal/doors")
def doors():
    """``{"boards": {"1": {"1": true, "2": false, ...}}, "faults": {"2": "no answer"}}``: true = closed;
    ``faults`` (optional) names the boards that did not answer this round, and what went wrong."""
    terminal = _terminal()
    if terminal is None:
        return _refused()
    expected = '{"boards": {"1": {"1": true, "2": false}}, "faults": {"2": "no answer"}}'
    body = _body(expected)
    reported, failed = body.get("boards"), body.get("faults") or {}
    if not isinstance(reported, dict) or not isinstance(failed, dict):
        raise BadBody(f"send {expected}")
    closed, faults = {}, {}
    boards = locker.board_numbers(terminal)  # only this terminal's boards, and locks 1–24
    for board, locks in reported.items():
        if not isinstance(locks, dict) or not all(isinstance(v, bool) for v in locks.values()):
            raise BadBody(f"each board maps lock numbers to true (closed) or false: {expected}")
        for lock, is_closed in locks.items():
            if _number(board, "boards") in boards and 1 <= _number(lock, "locks") <= 24:
                closed[(int(board), int(lock))] = is_closed
    for board, detail in failed.items():
        if not isinstance(detail, str):
            raise BadBody(f"faults map board numbers to what went wrong: {expected}")
        if _number(board, "boards") in boards:
            faults[int(board)] = detail[:300]
    return jsonify({"changed": locker.doors_reported(terminal, closed, faults)})
