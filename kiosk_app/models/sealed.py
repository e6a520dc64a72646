"""Residents' ID numbers and mobile numbers, and staff's two-factor secrets, sealed at rest.

A column of type ``Sealed`` holds ``s1:<key id>:<nonce ‖ ciphertext ‖ tag>`` (base64url), encrypted
with an authenticated cipher (AES-256-GCM, or SM4-GCM where 国密 is required) under a key that lives
outside the database: ``PERSONAL_DATA_KEYS`` in the environment.  A copy of the database, a backup
or a log of its statements shows none of these values; the key opens them.

The column's name is bound into each value (as associated data): a value copied into another column
or another table does not open there.  An empty value is stored empty: nothing to hide, and an
erased ticket (services/privacy.py) stays searchable as erased.

Look-ups ("which texts went to this number today?") compare *keyed digests* (HMAC-SHA256 under a key
derived from the same key), stored beside the sealed value in a ``…_lookup`` column: equal numbers
have equal digests, and without the key a digest tells nothing (a plain hash of an 11-digit number is
reversed by trying all of them in minutes).  While keys are being rotated a look-up asks for the
digest under every key of the ring (``Keyring.lookups``).

``PERSONAL_DATA_KEYS`` is a comma-separated ring, the key that seals new values first::

    k2:aes:<44 characters of base64>,k1:aes:<…>

Rotation (README, "Personal data"): put a new key first, restart, run ``flask privacy rotate-key``,
which seals every value again under it; then the old key can be removed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, has_app_context
from sqlalchemy import String, Text, TypeDecorator

PREFIX = "s1"
NONCE_BYTES = 12
TAG_BYTES = 16
ALGORITHMS = ("aes", "sm4")
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
LOOKUP_LENGTH = 32  # hex characters of the digest kept (128 bits)
SEALED_LENGTH = 160  # room for a 64-character secret, sealed and encoded


class SealError(RuntimeError):
    """A value that cannot be opened: its key is not in the ring, or it was altered."""


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(secret: bytes, purpose: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=b"kiosk_app/" + purpose).derive(secret)


@dataclass(frozen=True)
class Key:
    id: str
    algorithm: str
    secret: bytes = field(repr=False)

    def __post_init__(self):
        size = 32 if self.algorithm == "aes" else 16
        object.__setattr__(self, "_cipher_key", _derive(self.secret, b"seal/" + self.algorithm.encode(), size))
        object.__setattr__(self, "_lookup_key", _derive(self.secret, b"lookup", 32))
        if self.algorithm == "aes":
            object.__setattr__(self, "_aead", AESGCM(self._cipher_key))

    def seal(self, plain: bytes, context: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        if self.algorithm == "aes":
            return nonce + self._aead.encrypt(nonce, plain, context)
        encryptor = Cipher(algorithms.SM4(self._cipher_key), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(context)
        body = encryptor.update(plain) + encryptor.finalize()
        return nonce + body + encryptor.tag

    def open(self, sealed: bytes, context: bytes) -> bytes:
        nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        if self.algorithm == "aes":
            return self._aead.decrypt(nonce, body, context)
        decryptor = Cipher(algorithms.SM4(self._cipher_key), modes.GCM(nonce, body[-TAG_BYTES:])).decryptor()
        decryptor.authenticate_additional_data(context)
        return decryptor.update(body[:-TAG_BYTES]) + decryptor.finalize()

    def lookup(self, plain: str) -> str:
        return hmac.new(self._lookup_key, plain.encode(), hashlib.sha256).hexdigest()[:LOOKUP_LENGTH]


class Keyring:
    """The keys that open sealed values; the first one seals new values."""

    def __init__(self, keys: list[Key]):
        if not keys:
            raise ValueError("PERSONAL_DATA_KEYS holds no key")
        self.current = keys[0]
        self.keys = {key.id: key for key in keys}
        if len(self.keys) != len(keys):
            raise ValueError("PERSONAL_DATA_KEYS names one key id twice")

    @classmethod
    def parse(cls, text: str) -> Keyring:
        """``id:algorithm:base64,…`` → a ring, with a message naming the part that is wrong."""
        keys = []
        for number, part in enumerate(filter(None, (p.strip() for p in (text or "").split(","))), start=1):
            try:
                key_id, algorithm, encoded = part.split(":")
                secret = _b64decode(encoded)
            except ValueError:
                raise ValueError(f"PERSONAL_DATA_KEYS, key {number}: write it as id:algorithm:base64") from None
            if not KEY_ID.match(key_id):
                raise ValueError(f"PERSONAL_DATA_KEYS, key {number}: the id is 1-16 letters, digits, - or _")
            if algorithm not in ALGORITHMS:
                raise ValueError(f"PERSONAL_DATA_KEYS, key {key_id}: the algorithm is one of {', '.join(ALGORITHMS)}")
            if len(secret) < 32:
                raise ValueError(f"PERSONAL_DATA_KEYS, key {key_id}: 32 random bytes or more, base64-encoded")
            keys.append(Key(key_id, algorithm, secret))
        return cls(keys)

    def seal(self, plain: str, context: str) -> str:
        body = self.current.seal(plain.encode(), context.encode())
        return f"{PREFIX}:{self.current.id}:{base64.urlsafe_b64encode(body).decode().rstrip('=')}"

    def open(self, stored: str, context: str) -> str:
        key_id = key_id_of(stored)
        if key_id is None:
            return stored  # written before values were sealed; `flask privacy rotate-key` seals it
        key = self.keys.get(key_id)
        if key is None:
            raise SealError(f"a value in {context} was sealed with key {key_id!r}, which PERSONAL_DATA_KEYS "
                            "does not hold (restore that key: README, \"Personal data\")")
        try:
            return key.open(_b64decode(stored.split(":", 2)[2]), context.encode()).decode()
        except (InvalidTag, ValueError) as error:
            raise SealError(f"a value in {context} does not open with key {key_id!r}: it was altered") from error

    def lookup(self, plain: str) -> str:
        """The digest a new row keeps for ``plain`` (empty for an empty value)."""
        return self.current.lookup(plain) if plain else ""

    def lookups(self, plain: str) -> list[str]:
        """The digests ``plain`` may be kept under, while any key of the ring may have made them."""
        return [key.lookup(plain) for key in self.keys.values()]


def new_key(key_id: str, algorithm: str = "aes") -> str:
    """A new ring entry, ``id:algorithm:base64``, from the system's random source."""
    entry = f"{key_id}:{algorithm}:{base64.urlsafe_b64encode(os.urandom(32)).decode()}"
    Keyring.parse(entry)  # a wrong id or algorithm is refused here, not at the next start
    return entry


def key_id_of(stored: str | None) -> str | None:
    """The id of the key a stored value was sealed with; None for an empty or a clear value."""
    if not stored or not stored.startswith(PREFIX + ":"):
        return None
    parts = stored.split(":", 2)
    return parts[1] if len(parts) == 3 else None


def keyring() -> Keyring:
    """The running app's ring (built once per app from PERSONAL_DATA_KEYS)."""
    if not has_app_context():
        raise SealError("sealed personal data is read and written inside the app (it holds the keys)")
    ring = current_app.extensions.get("personal_data_keys")
    if ring is None:
        ring = current_app.extensions["personal_data_keys"] = Keyring.parse(current_app.config["PERSONAL_DATA_KEYS"])
    return ring


def lookup(plain: str) -> str:
    return keyring().lookup(plain)


def lookups(plain: str) -> list[str]:
    return keyring().lookups(plain)


class Sealed(TypeDecorator):
    """A text column whose values are sealed with the app's key (see the module's docstring)."""

    impl = String(SEALED_LENGTH)
    cache_ok = True

    def __init__(self, context: str, lookup: str | None = None):
        super().__init__()
        self.context = context  # "table.column": bound into each value
        self.lookup = lookup  # the column beside it that keeps its keyed digest, if any

    def process_bind_param(self, value, dialect):
        if not value:
            return value
        return keyring().seal(value, self.context)

    def process_result_value(self, value, dialect):
        if not value:
            return value
        return keyring().open(value, self.context)


class SealedText(Sealed):
    """``Sealed`` for text of any length (a visit's findings, a household's notes)."""

    impl = Text
    cache_ok = True

