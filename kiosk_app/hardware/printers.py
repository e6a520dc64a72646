"""Receipt printers: a URL-like setting per terminal, receipts as ESC/POS bytes, and the devices.

``printer_url`` says where the printer is and how it prints Chinese:

- ``none``                                   no printer
- ``dummy://``                               simulated (the demo); ``dummy://?fault=paper_out``
                                             (or ``offline``, ``no_answer``) simulates a fault
- ``tcp://192.168.1.50:9100``                network printer (raw port 9100)
- ``serial:///dev/ttyUSB0?baudrate=19200``   serial printer
- ``usb://04b8:0202``                        USB printer by vendor and product id

Options after ``?`` (all optional): ``chinese=image`` (default: each Chinese line is rendered
with a CJK font and printed as a raster, which every printer can do) or ``chinese=gb18030`` (for
printers with a Chinese font ROM: the text goes as GB18030 in Chinese character mode);
``width=80`` (576 dots, default) or ``width=58`` (384 dots).

Before printing, network and serial printers are asked for their status (DLE EOT 1 and 4);
a printer that does not answer within the timeout, reports itself offline, or has no paper
raises ``PrinterFault`` with a ``kind`` the screens can explain.  The receipt is composed into
bytes first and sent in one write, so a fault never leaves half a receipt in our hands.
"""

from __future__ import annotations

import os
import socket
import unicodedata
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit

from PIL import Image, ImageDraw, ImageFont

FS_CHINESE_ON, FS_CHINESE_OFF = b"\x1c\x26", b"\x1c\x2e"
DLE_EOT_PRINTER, DLE_EOT_PAPER = b"\x10\x04\x01", b"\x10\x04\x04"
OFFLINE_BIT = 0x08          # DLE EOT 1: bit 3 set = offline
PAPER_END_BITS = 0x60       # DLE EOT 4: bits 5 and 6 set = paper end
DOTS = {80: 576, 58: 384}
COLUMNS = {80: 48, 58: 32}  # font A (12 × 24 dots) characters per line

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


class PrinterFault(Exception):
    """The printer cannot print now.  ``kind``: offline, paper_out, no_answer or error."""

    def __init__(self, kind: str, detail: str):
        super().__init__(detail)
        self.kind, self.detail = kind, detail


# ---------------------------------------------------------------- what a receipt is

@dataclass(frozen=True)
class Line:
    text: str
    size: str = "normal"   # normal | large (double height and width)
    align: str = "left"    # left | center


@dataclass(frozen=True)
class QR:
    data: str


@dataclass(frozen=True)
class Rule:
    pass


@dataclass
class Receipt:
    blocks: list = field(default_factory=list)

    def line(self, text: str, size: str = "normal", align: str = "left") -> Receipt:
        self.blocks.append(Line(str(text), size, align))
        return self

    def qr(self, data: str) -> Receipt:
        self.blocks.append(QR(data))
        return self

    def rule(self) -> Receipt:
        self.blocks.append(Rule())
        return self

    @property
    def text(self) -> str:
        """Plain text of the receipt (for logs and the simulated printer)."""
        return "\n".join(b.text if isinstance(b, Line) else "[QR]" if isinstance(b, QR) else "-" * 24
                         for b in self.blocks)


# ---------------------------------------------------------------- the setting

@dataclass(frozen=True)
class PrinterConfig:
    kind: str                      # none | dummy | tcp | serial | usb
    host: str = ""
    port: int = 9100
    device: str = ""
    baudrate: int = 9600
    vendor: int = 0
    product: int = 0
    chinese: str = "image"         # image | gb18030
    width_mm: int = 80
    fault: str = ""                # dummy only: simulate a fault

    @property
    def dots(self) -> int:
        return DOTS[self.width_mm]

    @property
    def columns(self) -> int:
        return COLUMNS[self.width_mm]


def parse_url(url: str | None) -> PrinterConfig:
    """Read a ``printer_url``; a mistake raises ValueError saying what is wrong."""
    url = (url or "none").strip()
    if url in ("", "none"):
        return PrinterConfig("none")
    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    options = {}
    chinese = query.pop("chinese", "image")
    if chinese not in ("image", "gb18030"):
        raise ValueError(f"chinese={chinese}: use chinese=image or chinese=gb18030")
    width = query.pop("width", "80")
    if width not in ("80", "58"):
        raise ValueError(f"width={width}: use width=80 or width=58")
    options.update(chinese=chinese, width_mm=int(width))
    if parts.scheme == "dummy":
        fault = query.pop("fault", "")
        if fault not in ("", "offline", "paper_out", "no_answer"):
            raise ValueError(f"fault={fault}: use offline, paper_out or no_answer")
        config = PrinterConfig("dummy", fault=fault, **options)
    elif parts.scheme == "tcp":
        if not parts.hostname:
            raise ValueError("tcp:// needs a host, e.g. tcp://192.168.1.50:9100")
        config = PrinterConfig("tcp", host=parts.hostname, port=parts.port or 9100, **options)
    elif parts.scheme == "serial":
        if not parts.path:
            raise ValueError("serial:// needs a device, e.g. serial:///dev/ttyUSB0")
        baudrate = query.pop("baudrate", "9600")
        if not baudrate.isdigit():
            raise ValueError(f"baudrate={baudrate} is not a number")
        config = PrinterConfig("serial", device=parts.path, baudrate=int(baudrate), **options)
    elif parts.scheme == "usb":
        try:
            vendor, product = (int(part, 16) for part in parts.netloc.split(":"))
        except ValueError:
            raise ValueError("usb:// needs vendor:product in hex, e.g. usb://04b8:0202") from None
        config = PrinterConfig("usb", vendor=vendor, product=product, **options)
    else:
        raise ValueError(f"unknown printer address {url!r}: use none, dummy://, tcp://, serial:// or usb://")
    if query:
        raise ValueError(f"unknown option(s): {', '.join(sorted(query))}")
    return config


# ---------------------------------------------------------------- composing ESC/POS bytes

def _columns(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def wrap_columns(text: str, columns: int) -> list[str]:
    """Break a line so that none is wider than ``columns`` (a Chinese character takes two)."""
    lines, current, width = [], "", 0
    for char in text:
        w = _columns(char)
        if width + w > columns:
            lines.append(current)
            current, width = "", 0
        current += char
        width += w
    lines.append(current)
    return lines


@lru_cache(maxsize=8)
def cjk_font(size: int) -> ImageFont.FreeTypeFont:
    path = os.environ.get("PRINTER_FONT") or next((p for p in FONT_CANDIDATES if os.path.exists(p)), None)
    if path is None:
        raise PrinterFault("error", "no CJK font for printing Chinese as images "
                                    "(install fonts-wqy-microhei, or set chinese=gb18030)")
    return ImageFont.truetype(path, size)


def wrap_pixels(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines, current = [], ""
    for char in text:
        if current and font.getlength(current + char) > width:
            lines.append(current)
            current = ""
        current += char
    lines.append(current)
    return lines


def text_image(line: Line, dots: int) -> Image.Image:
    """A line of text rendered at full paper width (so alignment needs no printer support)."""
    size = 48 if line.size == "large" else 26
    font = cjk_font(size)
    rows = wrap_pixels(line.text, font, dots - 8)
    height = int(size * 1.25)
    image = Image.new("1", (dots, height * len(rows)), 1)
    draw = ImageDraw.Draw(image)
    for index, row in enumerate(rows):
        x = (dots - font.getlength(row)) / 2 if line.align == "center" else 4
        draw.text((x, index * height), row, font=font, fill=0)
    return image


def qr_image(data: str, dots: int) -> Image.Image:
    import qrcode

    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data)
    code.make(fit=True)
    code.box_size = max(2, min(8, int(dots * 0.6) // (code.modules_count + 4)))
    image = code.make_image().get_image().convert("1")
    canvas = Image.new("1", (dots, image.height), 1)
    canvas.paste(image, ((dots - image.width) // 2, 0))
    return canvas


def render(receipt: Receipt, config: PrinterConfig) -> bytes:
    """The ESC/POS bytes of a receipt for this printer (no device needed)."""
    from escpos.printer import Dummy

    p = Dummy()
    # The default profile knows no paper width (and says so on stdout for every image).
    p.profile.profile_data = {**p.profile.profile_data,
                              "media": {"width": {"pixels": config.dots, "mm": config.width_mm}}}
    p.hw("INIT")
    for block in receipt.blocks:
        if isinstance(block, QR):
            p.image(qr_image(block.data, config.dots))
        elif isinstance(block, Rule):
            p._raw(b"-" * config.columns + b"\n")
        elif block.text.isascii():
            big = block.size == "large"
            p.set(align=block.align, bold=big, custom_size=big, width=2 if big else 1, height=2 if big else 1,
                  normal_textsize=not big)
            p.text(block.text + "\n")
            p.set(align="left", bold=False, normal_textsize=True)
        elif config.chinese == "gb18030":
            big = block.size == "large"
            p.set(align=block.align, custom_size=big, width=2 if big else 1, height=2 if big else 1,
                  normal_textsize=not big)
            columns = config.columns // (2 if big else 1)
            for row in wrap_columns(block.text, columns):
                p._raw(FS_CHINESE_ON + row.encode("gb18030") + b"\n" + FS_CHINESE_OFF)
            p.set(align="left", normal_textsize=True)
        else:
            p.image(text_image(block, config.dots))
    p._raw(b"\n\n\n")
    p.cut()
    return bytes(p.output)


# ---------------------------------------------------------------- devices

#: What the simulated printer "printed" (newest last), for the demo and tests.
SIMULATED: deque[tuple[str, bytes]] = deque(maxlen=20)


def _device(config: PrinterConfig, timeout: float):
    """An open python-escpos printer.  The network socket is ours: python-escpos leaves a
    refused one unclosed."""
    from escpos import printer

    if config.kind == "tcp":
        device = printer.Network(config.host, port=config.port, timeout=timeout)
        device.device = socket.create_connection((config.host, config.port), timeout=timeout)
        return device
    if config.kind == "serial":
        device = printer.Serial(config.device, baudrate=config.baudrate, timeout=timeout)
    else:
        device = printer.Usb(config.vendor, config.product, timeout=int(timeout * 1000))
    device.open()
    return device


def _status_byte(device, query: bytes) -> int:
    try:
        device._raw(query)
        answer = device._read()
    except (socket.timeout, TimeoutError):
        answer = b""
    if not answer:
        raise PrinterFault("no_answer", "the printer did not answer a status query")
    return answer[0]


def check_status(device) -> None:
    """Offline, no paper or no answer → PrinterFault."""
    if _status_byte(device, DLE_EOT_PRINTER) & OFFLINE_BIT:
        raise PrinterFault("offline", "the printer reports itself offline (cover open or error)")
    if _status_byte(device, DLE_EOT_PAPER) & PAPER_END_BITS == PAPER_END_BITS:
        raise PrinterFault("paper_out", "the printer is out of paper")


def print_receipt(config: PrinterConfig, receipt: Receipt, *, timeout: float = 2.0) -> None:
    """Print one receipt, or raise PrinterFault.  Never waits much longer than ``timeout``."""
    if config.kind == "none":
        raise PrinterFault("error", "this terminal has no printer")
    data = render(receipt, config)
    if config.kind == "dummy":
        if config.fault:
            raise PrinterFault(config.fault, f"simulated printer: {config.fault}")
        SIMULATED.append((receipt.text, data))
        return
    from escpos.exceptions import DeviceNotFoundError

    try:
        device = _device(config, timeout)
    except (DeviceNotFoundError, OSError, ValueError) as error:
        raise PrinterFault("offline", f"cannot reach the printer: {' '.join(str(error).split())}") from None
    except Exception as error:  # noqa: BLE001 - pyusb and pyserial raise their own types
        raise PrinterFault("offline", f"cannot reach the printer: {' '.join(str(error).split())}") from None
    try:
        check_status(device)
        device._raw(data)
    except PrinterFault:
        raise
    except (OSError, ValueError) as error:
        raise PrinterFault("offline", f"the printer stopped answering: {error}") from None
    finally:
        try:
            device.close()
        except Exception:  # noqa: BLE001 - closing a dead connection must not hide the fault
            pass
