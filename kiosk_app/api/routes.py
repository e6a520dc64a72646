"""The terminal agent's API: a locker terminal's PC fetches door commands and reports door states.

Authenticated with the terminal's own device credential (``Authorization: Bearer <id>.<secret>``,
from enrolment); a terminal sees and answers only its own commands.  JSON in and out; no CSRF,
since no browser session is involved.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..extensions import csrf
from ..models import TerminalKind
from ..services import locker, terminals
from ..services.errors import DomainError

bp = Blueprint("api", __name__)
csrf.exempt(bp)


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError):
    """What the domain refused, as JSON with its HTTP status (an unknown command 404, a bad code 422)."""
    return jsonify({"error": str(error.message)}), error.status_code


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
def enrol():
    body = request.get_json(silent=True) or {}
    terminal, credential = terminals.enrol(str(body.get("code", "")))
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
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify({"error": "send a JSON object: {\"ok\": true} or {\"ok\": false, \"fault\": ..., "
                                 "\"error\": ...}"}), 422
    command = locker.command_done(terminal, command_id, body.get("ok") is True, str(body.get("error", ""))[:300],
                                  fault=str(body.get("fault", "door"))[:20])
    return jsonify({"id": command.id, "state": command.state.value})


@bp.post("/terminal/doors")
def doors():
    """``{"boards": {"1": {"1": true, "2": false, ...}}, "faults": {"2": "no answer"}}``: true = closed;
    ``faults`` (optional) names the boards that did not answer this round, and what went wrong."""
    terminal = _terminal()
    if terminal is None:
        return _refused()
    body = request.get_json(silent=True)
    closed, faults = {}, {}
    boards = locker.board_numbers(terminal)  # only this terminal's boards, and locks 1–24
    try:
        if not isinstance(body, dict):
            raise TypeError
        for board, locks in (body.get("boards") or {}).items():
            for lock, is_closed in locks.items():
                if int(board) in boards and 1 <= int(lock) <= 24:
                    closed[(int(board), int(lock))] = is_closed is True
        for board, detail in (body.get("faults") or {}).items():
            if int(board) in boards:
                faults[int(board)] = str(detail)[:300]
    except (AttributeError, TypeError, ValueError):
        return jsonify({"error": "boards must map board numbers to {lock number: closed}, "
                                 "faults board numbers to what went wrong"}), 422
    return jsonify({"changed": locker.doors_reported(terminal, closed, faults)})
