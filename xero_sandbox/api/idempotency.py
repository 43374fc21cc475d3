"""Idempotency-Key: a repeat within the retention window replays the first answer, no second write."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from xero_sandbox.models import IdempotencyRecord, Organisation

# Reported by Xero: keys live about 6 minutes (not shrunk by the time scale).
RETENTION = timedelta(minutes=6)
MAX_KEY_LENGTH = 128


def request_hash(*, method: str, path: str, query: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), query.encode(), body])).hexdigest()


@dataclass
class Replay:
    status: int
    body: str
    conflict: bool = False


def claim(*, organisation: Organisation, key: str, digest: str) -> tuple[IdempotencyRecord | None, Replay | None]:
    """Claim `key` inside the caller's transaction, or return the answer to replay.

    A concurrent request with the same key waits on the unique index until the first commits,
    then replays its answer. Return (record to fill in, None) or (None, replay).
    """
    IdempotencyRecord.objects.filter(
        organisation=organisation, key=key, created_at__lt=timezone.now() - RETENTION
    ).delete()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                organisation=organisation, key=key, request_hash=digest, status=0, body="", created_at=timezone.now()
            )
        return record, None
    except IntegrityError:
        existing = IdempotencyRecord.objects.get(organisation=organisation, key=key)
    if existing.request_hash != digest:
        return None, Replay(400, "", conflict=True)
    return None, Replay(existing.status, existing.body)


def record_answer(record: IdempotencyRecord, *, status: int, body: str) -> None:
    record.status = status
    record.body = body
    record.save(update_fields=["status", "body"])
