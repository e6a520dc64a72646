"""A terminal's lock line (its ``lock_url``), read once into a typed value, and the drivers of real lines.

- ``sim://``: the simulated cabinet (``simulated.py``), the demo's;
- ``agent``: a terminal agent on the terminal's PC drives the board (``agent.py``);
- a serial device such as ``/dev/ttyUSB0``;
- ``socket://host:port``: an Ethernet-to-RS-485 converter.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from .locks import SerialLockBoard

ACCEPTED = "sim://, agent, a serial device such as /dev/ttyUSB0, or socket://host:port"


@dataclass(frozen=True)
class LockLine:
    kind: Literal["sim", "agent", "serial", "socket"]
    url: str  # as stored: "sim://", "agent", the device, or "socket://host:port"


@functools.lru_cache(maxsize=256)
def parse_lock_url(url: str | None) -> LockLine:
    """Read a ``lock_url``; a mistake raises ValueError saying what is accepted."""
    url = (url or "").strip()
    if url in ("sim", "sim://"):
        return LockLine("sim", "sim://")
    if url == "agent":
        return LockLine("agent", "agent")
    if url.startswith("/dev/") and url.isprintable() and " " not in url and len(url) <= 200:
        return LockLine("serial", url)
    if url.startswith("socket://"):
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            port = None
        if port and parts.hostname and len(url) <= 200:
            return LockLine("socket", url)
    raise ValueError(f"unknown lock line {url!r}: use {ACCEPTED}")


_serial_boards: dict[tuple, SerialLockBoard] = {}


def driver_for(line: LockLine, config: Mapping) -> SerialLockBoard:
    """The driver of a serial or socket line, with the app's settings (``LOCK_TIMEOUT`` …): one per
    line and settings in a process."""
    if line.kind not in ("serial", "socket"):
        raise ValueError(f"a {line.kind} line has no serial driver")
    settings = dict(rs485=config.get("LOCK_RS485", False), timeout=config["LOCK_TIMEOUT"],
                    retries=config["LOCK_RETRIES"], command_seconds=config["LOCK_COMMAND_SECONDS"],
                    lock_dir=config.get("LOCK_PORT_DIR") or None)
    key = (line.url, tuple(sorted(settings.items())))
    if key not in _serial_boards:
        _serial_boards[key] = SerialLockBoard(line.url, **settings)
    return _serial_boards[key]
