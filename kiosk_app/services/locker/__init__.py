"""The locker: reserving compartments, opening doors, and what a closed door means.

Every door opening goes through ``open_door``, which records a ``DoorEvent`` (who, why, when).
A closed door moves the item on: papers deposited (the ticket's compartment is recorded),
papers collected (the ticket becomes "received"), a result placed (a pickup code is made), a
result picked up (the ticket closes).

What the hardware does wrong is told apart (see ``hardware/locks.py``):
- the board or its line fails (no answer, garbled answers, an unreachable converter): recorded once
  on the board (``LockBoardState``), never charged to a door; the attempt stops there, and the
  fault clears itself when the board answers again (``check_boards``, or the next command);
- a lock that the board says stayed shut is a door fault: that compartment is faulty until repaired;
- an open command that may have reached the lock, unconfirmed: the door is "possibly open", raises
  the open-door alert, and the compartment waits for staff to look inside.
Each attempt commands at most one lock, so one fault never walks through the cabinet.

The modules, each importing only those above it:
- ``boards``: lock boards' health, and reading a board through the terminal's driver;
- ``notes``: what the locker writes on a resident's ticket; ``codes``: pickup codes;
- ``doors``: opening a door, what the lock did, what a closed door means, what the boards report;
- ``reservation``: reserving and opening, residents' drop-offs, the sweeper of stranded reservations;
- ``pickup``: residents picking up results (the keypad, a phone);
- ``staff``: staff at the terminal, and admins' settings; ``agent``: terminal agents' commands and reports.
"""

from ...hardware.simulated import SimulatedDoors, is_simulated
from ...models import Channel, Compartment, DoorCommand, DoorReason, ItemKind, LockBoardState, Size, Ticket
from .. import throttle
from ..errors import DomainError
from .agent import command_actor, command_done, doors_reported, pending_commands
from .boards import board_faults, board_numbers
from .codes import CODE_DIGITS, _code_hash, pickup_code
from .doors import (
    DoorFault,
    LockerUnavailable,
    active_item,
    check_boards,
    door_closed,
    item_progress,
    open_door,
    open_too_long,
    refresh_door,
)
from ..event_texts import LOCKER_NOTES
from .pickup import (
    CODE_LENGTH,
    CODE_REFUSED,
    KeypadAlert,
    _waits,
    keypad_alert,
    keypad_ceiling,
    keypad_closed_notice,
    pick_up,
    pick_up_from_phone,
    pickup_code_for_ticket,
)
from .reservation import (
    DROP_OFF_PROBLEMS,
    RETRYABLE,
    TerminalFull,
    active_item_of,
    cancel_drop_off,
    drop_off_problem,
    drop_off_tried,
    given_up_by_resident,
    item_by_token,
    left_open_after_cancelling,
    maybe_sweep,
    reserve,
    reserve_and_open,
    retry_drop_off,
    submission_in_locker,
    sweep,
    tries_left,
)
from .staff import (
    LOCK_URL_HELP,
    admin_terminal,
    awaiting_hand_back,
    cabinet,
    check_open,
    checked_empty,
    collect,
    collectable,
    hand_back_state,
    normalise_lock_url,
    returnable,
    set_compartment_service,
    set_lock_url,
    staff_close_door,
    start_return,
    take_back,
    terminals_in_scope,
    to_check,
    uncollected,
)

__all__ = [
    # what callers reached through ``locker`` before it became a package (``locker.Size``, ``locker._waits`` …)
    "Channel", "Compartment", "DomainError", "DoorCommand", "DoorReason", "ItemKind", "LockBoardState",
    "Size", "Ticket", "throttle", "SimulatedDoors", "is_simulated", "_code_hash", "_waits",
    # boards, notes, codes, doors
    "board_faults", "board_numbers", "LOCKER_NOTES", "CODE_DIGITS", "pickup_code", "DoorFault",
    "LockerUnavailable", "active_item", "check_boards", "door_closed", "item_progress", "open_door",
    "open_too_long", "refresh_door",
    # reservation
    "DROP_OFF_PROBLEMS", "RETRYABLE", "TerminalFull", "active_item_of", "cancel_drop_off", "drop_off_problem", "left_open_after_cancelling", "given_up_by_resident", "awaiting_hand_back", "hand_back_state",
    "drop_off_tried", "item_by_token", "maybe_sweep", "reserve", "reserve_and_open", "retry_drop_off",
    "submission_in_locker", "sweep", "tries_left",
    # pickup
    "CODE_LENGTH", "CODE_REFUSED", "KeypadAlert", "keypad_alert", "keypad_ceiling", "keypad_closed_notice",
    "pick_up", "pick_up_from_phone", "pickup_code_for_ticket",
    # staff and admins
    "LOCK_URL_HELP", "admin_terminal", "cabinet", "check_open", "checked_empty", "collect", "collectable",
    "normalise_lock_url", "returnable", "set_compartment_service", "set_lock_url", "staff_close_door",
    "start_return", "take_back", "terminals_in_scope", "to_check", "uncollected",
    # terminal agents
    "command_actor", "command_done", "doors_reported", "pending_commands",
]
