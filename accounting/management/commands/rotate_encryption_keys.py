"""Re-encrypt every stored secret with the first key of FIELD_ENCRYPTION_KEYS.

Rotation: put the new key first, keep the old ones after it, run this command, then remove
the old keys. Rows are locked one at a time, so the portal and workers may keep running.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from channels_portal.encryption import DecryptionError, encrypted_columns, rotate_column


class Command(BaseCommand):
    help = "Re-encrypt every encrypted column with the first key of FIELD_ENCRYPTION_KEYS and report the count."

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        for model, field in encrypted_columns():
            try:
                count = rotate_column(model=model, field=field)
            except DecryptionError as exc:
                raise CommandError(
                    f"{model._meta.label}.{field.name}: {exc} Add the old key after the new one and run again."
                ) from None
            if count:
                self.stdout.write(f"{model._meta.label}.{field.name}: {count}")
            total += count
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {total} secret(s) with the first key."))
