"""A grid's site plan (总平面图) behind its plan (一院一图): an admin uploads a drawing, a scan or a photo,
and drags the buildings onto it.

What is uploaded is opened with Pillow and encoded again: a file that is not a PNG, JPEG or WebP
image is refused, one whose header claims more pixels than a site plan has is refused before it is
decoded (a "decompression bomb"), and what is kept holds pixels only: no EXIF (a phone photo's GPS
place and device), no embedded profile or script.  It is kept at most ``MAX_SIDE`` pixels on its
longer side, in the database, so every server of a district serves the same plan.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from ..extensions import db
from ..models import Grid, SitePlan, Staff
from ..models.base import utcnow
from .admin.audit import AuditAction, record
from .errors import Forbidden, InvalidInput, NotFound
from .plans import grid_of
from .uow import use_case

MAX_BYTES = 4 * 1024 * 1024
MAX_PIXELS = 60_000_000  # a 300-dpi scan of an A1 sheet is about 70 % of this
MAX_SIDE = 2000
FORMATS = {"PNG", "JPEG", "WEBP"}


@dataclass(frozen=True)
class Picture:
    content_type: str
    data: bytes
    uploaded_at: datetime


def _admin_grid(actor: Staff, grid_id) -> Grid:
    grid = grid_of(actor, grid_id)
    if not actor.role.is_admin:
        raise Forbidden(_l("Your role may not use this page."))
    return grid


def encode(data: bytes) -> tuple[str, bytes, int, int]:
    """The upload checked and encoded again: (content type, bytes, width, height)."""
    if not data:
        raise InvalidInput({"file": _l("Choose an image file of the site plan.")})
    if len(data) > MAX_BYTES:
        raise InvalidInput({"file": _l("The image may be at most %(mb)d MB.", mb=MAX_BYTES // (1024 * 1024))})
    try:
        with warnings.catch_warnings():  # (too many pixels is refused below, before anything is decoded)
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            source = Image.open(io.BytesIO(data))
        with source:
            kind = source.format
            if kind not in FORMATS:
                raise InvalidInput({"file": _l("The site plan must be a PNG, JPEG or WebP image.")})
            if source.width * source.height > MAX_PIXELS:
                raise InvalidInput({"file": _l("The image has too many pixels for a site plan.")})
            image = ImageOps.exif_transpose(source)  # (a photo taken sideways stands up)
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            if kind == "JPEG" or (kind == "WEBP" and image.mode in ("RGB", "L", "CMYK")):
                image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
                content_type = "image/jpeg"
            else:  # a drawing: lines stay sharp, and a transparent ground stays transparent
                alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
                image.convert("RGBA" if alpha else "RGB").save(out, "PNG", optimize=True)
                content_type = "image/png"
            return content_type, out.getvalue(), image.width, image.height
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise InvalidInput({"file": _l("This file is not an image we can read.")}) from None


@use_case
def upload(actor: Staff, grid_id, data: bytes) -> SitePlan:
    """An admin puts a site plan behind the grid's plan (replacing the one before)."""
    grid = _admin_grid(actor, grid_id)
    content_type, encoded, width, height = encode(data)
    plan = db.session.get(SitePlan, grid.id) or SitePlan(grid_id=grid.id)
    plan.content_type, plan.data, plan.width, plan.height = content_type, encoded, width, height
    plan.uploaded_at, plan.uploaded_by_id = utcnow(), actor.id
    db.session.add(plan)
    record(actor, AuditAction.UPDATE, "grid", grid.id, name=grid.name_zh, area_id=grid.community_id,
           after={"site_plan": f"{width}×{height}"})
    return plan


@use_case
def remove(actor: Staff, grid_id) -> None:
    grid = _admin_grid(actor, grid_id)
    plan = db.session.get(SitePlan, grid.id)
    if plan is not None:
        db.session.delete(plan)
        record(actor, AuditAction.UPDATE, "grid", grid.id, name=grid.name_zh, area_id=grid.community_id,
               after={"site_plan": None})


def picture(actor: Staff, grid_id) -> Picture:
    """The site plan of a grid whose plan ``actor`` sees."""
    grid = grid_of(actor, grid_id)
    plan = db.session.get(SitePlan, grid.id)
    if plan is None:
        raise NotFound(_l("This grid has no site plan."))
    return Picture(plan.content_type, plan.data, plan.uploaded_at)
