#!/usr/bin/env python
"""Drill 2, tokens: many callers at expiry, and a refresh answer dropped after rotation.

Each round marks the channel's access token as expiring, then `--callers` threads (each with
its own database connection) ask `channel_access_grant` for a token at the same instant. The
sandbox's request log then says how many refreshes reached Xero (must be exactly 1) and how many
were refused `invalid_grant` (must be 0); every caller must get the one new access token.

The dropped answer: the refresh token is used once outside the portal (Xero rotates it, the
answer never arrives), then the portal's forced refresh presents the old refresh token. Xero
keeps a rotated refresh token valid for 30 minutes, so the portal must recover inside that
window: a new pair, the channel still connected, and the new access token accepted by Xero.

    .venv/bin/python drills/tokens.py --callers 50 --rounds 100
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


@dataclass(frozen=True)
class RoundResult:
    refreshes: int
    invalid_grants: int
    errors: list[str]
    distinct_tokens: int
    grants: int


def connected_channel_create(*, organization: Any, name: str = "Drill books") -> Any:
    """Create a store and a channel connected to a fresh sandbox organisation with a real token set."""
    from drills.channels import sandbox_channel, sandbox_org
    from stores.models import Store

    org = sandbox_org(f"{name} (UK)")
    store = Store.objects.create(organization=organization, name=f"{name} store", currency="GBP")
    return sandbox_channel(org=org, store=store, tax_mapping={}, name=name, is_active=False)


def _refresh_rows(client_id: str) -> Any:
    from xero_sandbox.models import RequestLog

    return RequestLog.objects.filter(
        path__endswith="/identity/connect/token", app__client_id=client_id, request_body__contains="refresh_token"
    )


def race_round(*, channel_id: int, callers: int) -> RoundResult:
    """Expire the channel's token, let `callers` threads ask for one at once; count what reached Xero."""
    from django.db import connection
    from django.utils import timezone

    from accounting.access.tokens import channel_access_grant
    from accounting.models import AccountingChannel

    channel = AccountingChannel.objects.get(pk=channel_id)
    AccountingChannel.objects.filter(pk=channel_id).update(token_expires_at=timezone.now() + dt.timedelta(seconds=5))
    before = _refresh_rows(channel.client_id).order_by("-pk").values_list("pk", flat=True).first() or 0
    barrier = threading.Barrier(callers)
    tokens: list[str] = []
    errors: list[str] = []

    def caller() -> None:
        try:
            barrier.wait(timeout=30)
            tokens.append(channel_access_grant(channel_id=channel_id).access_token)
        except Exception as exc:  # counted and reported, never swallowed
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=caller) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    rows = list(_refresh_rows(channel.client_id).filter(pk__gt=before))
    return RoundResult(
        refreshes=len(rows),
        invalid_grants=sum("invalid_grant" in row.response_body for row in rows),
        errors=errors,
        distinct_tokens=len(set(tokens)),
        grants=len(tokens),
    )


@dataclass(frozen=True)
class DroppedAnswerResult:
    recovered: bool
    state: str
    reuse_status: int | None
    token_accepted: bool


def dropped_answer(*, channel_id: int) -> DroppedAnswerResult:
    """Rotate the stored refresh token behind the portal's back (the answer is lost), then refresh."""
    from accounting.access.tokens import channel_access_grant
    from accounting.models import AccountingChannel
    from accounting.providers.xero.identity import connections_list
    from accounting.providers.xero.oauth import token_refresh

    channel = AccountingChannel.objects.get(pk=channel_id)
    # The portal's request reaches Xero, Xero rotates the pair, the answer is dropped on the way back.
    token_refresh(
        client_id=channel.client_id,
        client_secret=channel.client_secret or "",
        refresh_token=channel.token_set["refresh_token"],
    )
    before = _refresh_rows(channel.client_id).order_by("-pk").values_list("pk", flat=True).first() or 0
    grant = channel_access_grant(channel_id=channel_id, force_refresh=True)
    after = AccountingChannel.objects.get(pk=channel_id)
    reuse = _refresh_rows(channel.client_id).filter(pk__gt=before).order_by("pk").first()
    accepted = [c.tenant_id for c in connections_list(access_token=grant.access_token, only_auth_event=False)]
    return DroppedAnswerResult(
        recovered=after.token_set["refresh_token"] != channel.token_set["refresh_token"],
        state=after.connection_state,
        reuse_status=reuse.status if reuse else None,
        token_accepted=accepted == [channel.tenant_id],
    )


def run(*, callers: int, rounds: int, organization: Any, out: Any = sys.stdout) -> dict[str, Any]:
    """Run the drill on a fresh channel of `organization`; print and return its figures."""
    channel = connected_channel_create(organization=organization)
    results = []
    started = time.monotonic()
    for _ in range(rounds):
        results.append(race_round(channel_id=channel.pk, callers=callers))
    elapsed = time.monotonic() - started
    dropped = dropped_answer(channel_id=channel.pk)
    figures = {
        "rounds": rounds,
        "callers": callers,
        "rounds_with_exactly_one_refresh": sum(r.refreshes == 1 for r in results),
        "refreshes": sum(r.refreshes for r in results),
        "invalid_grant": sum(r.invalid_grants for r in results),
        "caller_errors": sum(len(r.errors) for r in results),
        "grants": sum(r.grants for r in results),
        "rounds_with_one_token": sum(r.distinct_tokens == 1 for r in results),
        "dropped_answer_recovered": dropped.recovered and dropped.state == "connected" and dropped.token_accepted,
        "dropped_answer_reuse_status": dropped.reuse_status,
    }
    print(f"token race: {rounds} rounds × {callers} callers in {elapsed:.1f} s", file=out)
    print(f"rounds with exactly one refresh: {figures['rounds_with_exactly_one_refresh']}/{rounds} "
          f"({figures['refreshes']} refreshes in all)", file=out)  # fmt: skip
    print(f"invalid_grant answers: {figures['invalid_grant']}; caller errors: {figures['caller_errors']}", file=out)
    print(f"grants handed out: {figures['grants']}/{rounds * callers}; "
          f"rounds where every caller got the same new token: {figures['rounds_with_one_token']}/{rounds}",
          file=out)  # fmt: skip
    print(f"dropped refresh answer: reuse of the rotated refresh token answered {dropped.reuse_status}; "
          f"recovered {figures['dropped_answer_recovered']} (state {dropped.state}, "
          f"new token accepted by Xero {dropped.token_accepted})", file=out)  # fmt: skip
    errors = sorted({e for r in results for e in r.errors})
    if errors:
        print("errors: " + "; ".join(errors[:5]), file=out)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--callers", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--database", default="drill_tokens")
    parser.add_argument("--redis-db", type=int, default=6)
    parser.add_argument("--port", type=int, default=8771)
    args = parser.parse_args()
    from drills.harness import sandbox

    with sandbox(database=args.database, redis_db=args.redis_db, port=args.port):
        from organizations.models import Organization

        organization = Organization.objects.create(name="Drill merchant", slug="drill-merchant")
        figures = run(callers=args.callers, rounds=args.rounds, organization=organization)
    ok = figures["rounds_with_exactly_one_refresh"] == args.rounds and figures["invalid_grant"] == 0
    sys.exit(0 if ok and figures["dropped_answer_recovered"] and figures["caller_errors"] == 0 else 1)


if __name__ == "__main__":
    main()
