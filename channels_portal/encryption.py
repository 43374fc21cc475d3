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
from django.db import connection, models, transaction


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


def encrypted_columns() -> list[tuple[type[models.Model], models.Field]]:
    """Return every (model, field) of the installed apps that is stored encrypted."""
    from django.apps import apps

    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField | EncryptedJSONField)
    ]


def rotate_column(*, model: type[models.Model], field: models.Field) -> int:
    """Re-encrypt every stored value of one column under the first key; return how many.

    Works on the ciphertext (no JSON round trip) and locks each row while rewriting it.
    Raise DecryptionError, leaving that row as it was, when no configured key opens a value.
    """
    quote = connection.ops.quote_name
    table, column, pk = quote(model._meta.db_table), quote(field.column), quote(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {pk} FROM {table} WHERE {column} IS NOT NULL AND {column} <> '' ORDER BY {pk}")  # noqa: S608  # nosec B608  # identifiers from model metadata quoted by quote_name; values are parameters
        ids = [row[0] for row in cursor.fetchall()]
    count = 0
    for row_id in ids:
        with transaction.atomic(), connection.cursor() as cursor:
            lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
            cursor.execute(f"SELECT {column} FROM {table} WHERE {pk} = %s{lock}", [row_id])  # noqa: S608  # nosec B608  # identifiers from model metadata quoted by quote_name; values are parameters
            row = cursor.fetchone()
            if row is None or not row[0]:
                continue
            cursor.execute(f"UPDATE {table} SET {column} = %s WHERE {pk} = %s", [rotate_text(row[0]), row_id])  # noqa: S608  # nosec B608  # identifiers from model metadata quoted by quote_name; values are parameters
            count += 1
    return count
