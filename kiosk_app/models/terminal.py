"""Kiosks and locker terminals.  Each belongs to one community and authenticates as a device."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..hardware.lines import LockLine, parse_lock_url
from .base import Bilingual, UTCDateTime, str_enum
from .org import Area


class TerminalKind(enum.StrEnum):
    KIOSK = "kiosk"
    LOCKER = "locker"


class Terminal(Bilingual, db.Model):
    __tablename__ = "terminals"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    kind: Mapped[TerminalKind] = mapped_column(str_enum(TerminalKind))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    # Enrolment: an admin issues a one-time code; the device trades it for a secret of its own.
    # Only hashes are stored.
    enrolment_code_hash: Mapped[str | None] = mapped_column(String(128))
    enrolment_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    device_secret_hash: Mapped[str | None] = mapped_column(String(128))
    enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How its doors are driven: "sim://" (simulated, the demo), "agent" (a terminal agent drives the
    # board), a serial device such as "/dev/ttyUSB0", or "socket://host:port" for an Ethernet-to-RS-485
    # converter.  Read through ``lock_line`` (hardware/lines.py).
    lock_url: Mapped[str] = mapped_column(String(200), default="sim://")
    # Its receipt printer (see hardware/printers.py): "none", "dummy://", "tcp://host:9100", ...
    printer_url: Mapped[str] = mapped_column(String(200), default="none")
    # The printer's last known state: "" (never used), "ok", or a fault kind, and what it said.
    printer_state: Mapped[str] = mapped_column(String(20), default="")
    printer_detail: Mapped[str] = mapped_column(String(300), default="")
    printer_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Someone may be guessing pickup codes at its keypad (see services/locker/pickup.py): when
    # staff were first alerted in the keypad's current window, the wrong codes counted in it so far,
    # and when that window ends (the alert stands, and a closed keypad stays closed, until then).
    keypad_alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    keypad_alert_failures: Mapped[int] = mapped_column(Integer, default=0)
    keypad_alert_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    community: Mapped[Area] = relationship()

    @property
    def lock_line(self) -> LockLine:
        """Its lock line, read from ``lock_url`` (unset: the column's default, the simulated cabinet)."""
        return parse_lock_url(self.lock_url or "sim://")

    @property
    def has_printer(self) -> bool:
        return (self.printer_url or "none") != "none"

    @property
    def printer_fault(self):
        """The fault kind of the last print, or None when the printer worked (or was never tried)."""
        from .receipt import PrinterFaultKind

        return PrinterFaultKind(self.printer_state) if self.printer_state not in ("", "ok") else None
