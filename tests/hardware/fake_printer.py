"""A network receipt printer on 127.0.0.1 for fault tests.

Modes: ``ok`` (answers status queries as online with paper, keeps what it is sent), ``paper_out``
(answers the paper query as "paper end"), ``offline`` (answers the printer query as offline),
``silent`` (accepts the connection and never answers).  A closed port is "switched off".
"""

from __future__ import annotations

import socket
import threading

ONLINE, OFFLINE = b"\x16", b"\x1e"
PAPER_OK, PAPER_END = b"\x12", b"\x72"


class FakePrinter:
    def __init__(self, mode: str = "ok"):
        self.mode = mode
        self.received = bytearray()
        self.connections = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        self._server.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn: socket.socket) -> None:
        conn.settimeout(0.1)
        pending = b""
        with conn:
            while not self._stop.is_set():
                try:
                    chunk = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not chunk:
                    return
                self.received += chunk
                if self.mode == "silent":
                    continue
                pending += chunk
                while b"\x10\x04" in pending:
                    at = pending.index(b"\x10\x04")
                    if len(pending) < at + 3:
                        break
                    which = pending[at + 2]
                    pending = pending[at + 3:]
                    if which == 1:
                        conn.sendall(OFFLINE if self.mode == "offline" else ONLINE)
                    elif which == 4:
                        conn.sendall(PAPER_END if self.mode == "paper_out" else PAPER_OK)
                pending = pending[-2:]

    def close(self) -> None:
        self._stop.set()
        self._server.close()
        self._thread.join(timeout=2)


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        return server.getsockname()[1]


def rasters(data: bytes):
    """The images in ESC/POS bytes (GS v 0 raster blocks) as PIL images, black on white."""
    from PIL import Image, ImageOps

    images, at = [], 0
    while (at := data.find(b"\x1dv0", at)) != -1:
        width_bytes = data[at + 4] + data[at + 5] * 256
        height = data[at + 6] + data[at + 7] * 256
        start = at + 8
        bits = data[start:start + width_bytes * height]
        # ESC/POS: a set bit is a black dot; PIL's mode "1": a set bit is white.
        images.append(ImageOps.invert(Image.frombytes("1", (width_bytes * 8, height), bits).convert("L")))
        at = start + len(bits)
    return images


def decoded_qr_codes(data: bytes) -> list[str]:
    import zxingcpp

    found = []
    for image in rasters(data):
        found += [code.text for code in zxingcpp.read_barcodes(image.resize((image.width * 2, image.height * 2)))]
    return found
