"""Encryption at rest for secrets (client secrets, token sets).

Keys come from `settings.FIELD_ENCRYPTION_KEYS` (Fernet keys; the first encrypts, all decrypt),
never from SECRET_KEY. Decrypting with no matching key raises `DecryptionError`: a wrong key is
a hard error, never ciphertext handed out as the value.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


class DecryptionError(Exception):
    """Raise when a stored secret cannot be decrypted with any configured key."""


def _local_key() -> str:
    """Return the generated key of a local portal, creating it on first use."""
    path = settings.FIELD_ENCRYPTION_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Fernet.generate_key().decode())
        path.chmod(0o600)
    return path.read_text().strip()


@lru_cache(maxsize=8)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS holds a key that is not a Fernet key.") from exc


def fernet() -> MultiFernet:
    """Return the MultiFernet built from the configured keys."""
    keys = tuple(settings.FIELD_ENCRYPTION_KEYS)
    if not keys:
        if not settings.DEBUG:
            raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set.")
        keys = (_local_key(),)
    return _fernet_for(keys)


def encrypt_text(value: str) -> str:
    """Return the ciphertext (urlsafe text) of `value` under the first key."""
    return fernet().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    """Return the plain text of `token`; raise DecryptionError if no key opens it."""
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEYS.") from exc


def rotate_text(token: str) -> str:
    """Return `token` re-encrypted under the first key."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEYS.") from exc


class EncryptedTextField(models.TextField):
    """A text column stored encrypted; '' stays '' so "no secret" needs no key."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt_text(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_text(str(value))


class EncryptedJSONField(models.TextField):
    """A JSON document stored encrypted (e.g. an OAuth token set); None is stored as NULL."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return None
        return json.loads(decrypt_text(value))

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return encrypt_text(json.dumps(value, sort_keys=True))
