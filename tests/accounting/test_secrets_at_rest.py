"""Secrets at rest: what the database holds, wrong keys, and key rotation."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from accounting.models import AccountingChannel
from channels_portal.encryption import DecryptionError

pytestmark = pytest.mark.django_db


def raw_row(channel_id: int) -> dict[str, str | None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounting_accountingchannel WHERE id = %s", [channel_id])
        names = [c[0] for c in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def test_the_database_holds_no_secret_or_token_in_clear(connected_channel):
    row = raw_row(connected_channel.pk)
    every_column = " ".join(str(value) for value in row.values())
    for clear in ("s3cr3t-value-9876", "access-token-for-tests", "refresh-token-for-tests"):
        assert clear not in every_column
    assert str(row["client_secret"]).startswith("gAAAAA")  # a Fernet token
    assert str(row["token_set"]).startswith("gAAAAA")
    # The portal still reads them back.
    channel = AccountingChannel.objects.get(pk=connected_channel.pk)
    assert channel.client_secret == "s3cr3t-value-9876"
    assert channel.token_set["refresh_token"] == "refresh-token-for-tests"


def test_a_wrong_key_raises_instead_of_returning_ciphertext(connected_channel, settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(DecryptionError, match="cannot be decrypted with FIELD_ENCRYPTION_KEYS"):
        AccountingChannel.objects.get(pk=connected_channel.pk)


def test_rotation_re_encrypts_every_secret_with_the_first_key(connected_channel, channel, settings):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    before = raw_row(connected_channel.pk)
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    out = io.StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    # One channel with a secret and a token set (connected_channel is `channel`, connected).
    assert out.getvalue().splitlines() == [
        "accounting.AccountingChannel.client_secret: 1",
        "accounting.AccountingChannel.token_set: 1",
        "Re-encrypted 2 secret(s) with the first key.",
    ]
    after = raw_row(connected_channel.pk)
    assert after["client_secret"] != before["client_secret"]
    assert after["token_set"] != before["token_set"]
    # The old key can go: the new one alone opens everything.
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    rotated = AccountingChannel.objects.get(pk=connected_channel.pk)
    assert rotated.client_secret == "s3cr3t-value-9876"
    assert rotated.token_set["access_token"] == "access-token-for-tests"


def test_rotation_without_the_old_key_stops_with_a_clear_error_and_changes_nothing(connected_channel, settings):
    before = raw_row(connected_channel.pk)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match=r"Add the old key after the new one and run again\."):
        call_command("rotate_encryption_keys", stdout=io.StringIO())
    assert raw_row(connected_channel.pk) == before
