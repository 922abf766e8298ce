"""Field encryption at rest (Fernet) and blind indexes for exact lookups.

Keys come from ``settings.NEIQIN_FIELD_KEYS`` (newest first). MultiFernet decrypts with any
key and encrypts with the first, so rotation is: add the new key first, run
``neiqin manage rotate_field_key`` (re-encrypts rows and recomputes indexes), drop the old key.

The blind index is HMAC-SHA256 of the normalised value under a key derived from the primary
field key, so "which customer has phone 13800138000?" is an indexed equality lookup while the
phone itself is never stored in plain text.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


class EncryptionKeyError(RuntimeError):
    """The configured keys cannot decrypt stored data: fail loudly, never show garbage."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise EncryptionKeyError("NEIQIN_FIELD_KEY is not configured")
    return MultiFernet([Fernet(k.encode("ascii")) for k in keys])


@lru_cache(maxsize=4)
def _index_key(primary: str) -> bytes:
    return hashlib.sha256(b"neiqin-blind-index\x00" + base64.urlsafe_b64decode(primary)).digest()


def keys() -> tuple[str, ...]:
    return tuple(settings.NEIQIN_FIELD_KEYS)


def encrypt(value: str) -> str:
    return _fernet(keys()).encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet(keys()).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise EncryptionKeyError("stored value cannot be decrypted with the configured NEIQIN_FIELD_KEY") from exc


def encrypt_bytes(data: bytes) -> bytes:
    """Encrypt a whole file (stored uploads hold phones and bank accounts)."""
    return _fernet(keys()).encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return _fernet(keys()).decrypt(token)
    except InvalidToken as exc:
        raise EncryptionKeyError("stored file cannot be decrypted with the configured NEIQIN_FIELD_KEY") from exc


def rotate(token: str) -> str:
    return _fernet(keys()).rotate(token.encode("ascii")).decode("ascii")


def blind_index(value: str, *, purpose: str) -> str:
    """Deterministic keyed hash of an already-normalised value ("" stays "")."""
    if not value:
        return ""
    key = _index_key(keys()[0])
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()[:40]


class EncryptedTextField(models.TextField):
    """A text field stored as a Fernet token. Cannot be filtered on: pair it with a blind index."""

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(str(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value in (None, ""):
            return value
        return decrypt(value)
