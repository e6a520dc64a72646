"""QR codes for ticket addresses, as inline SVG.

Making a code costs about 10 ms (mostly choosing the mask), so each address is encoded once per
process and kept; a ticket's address never changes.
"""

from __future__ import annotations

import re
from functools import lru_cache

import qrcode
from qrcode.image.svg import SvgPathImage
from markupsafe import Markup, escape

_SIZE = re.compile(r' (?:width|height)="[^"]*"')


@lru_cache(maxsize=2048)
def svg(data: str, label: str = "") -> Markup:
    """The code as an inline SVG; ``label`` is what a screen reader says for it (its text alternative).
    Four modules of quiet zone, as the standard asks: a phone at arm's length finds the code's edge."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(data)
    image = code.make_image(image_factory=SvgPathImage)
    text = image.to_string(encoding="unicode")
    # Drop the XML declaration so the SVG can sit inside HTML; size is left to CSS.
    if text.startswith("<?xml"):
        text = text[text.index("?>") + 2 :]
    text = _SIZE.sub("", text.strip(), count=2)
    return Markup(text.replace("<svg ", f'<svg class="qr" role="img" aria-label="{escape(label)}" ', 1))


def png(data: str, box_size: int = 8):
    """A PIL image of the code (for printing and for tests)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=box_size)
    code.add_data(data)
    return code.make_image().get_image()
