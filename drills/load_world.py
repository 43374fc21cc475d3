"""Drill 7's world: organizations, their stores (grown to `--stores`) and a channel's ledger rows
(grown to `--rows`), written in bulk as the drill needs them (`drills/load.py`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass
class World:
    """What the drill created: the measured member, the big store and channel, API keys."""

    user: Any = None
    orgs: list[Any] = field(default_factory=list)
    stores: list[Any] = field(default_factory=list)
    channels: dict[int, Any] = field(default_factory=dict)  # store id → channel
    keys: list[tuple[str, int]] = field(default_factory=list)  # (raw key, one of its stores)
    invoices: int = 0

    @property
    def big_store(self) -> Any:
        return self.stores[0]

    @property
    def big_channel(self) -> Any:
        return self.channels[self.big_store.pk]


def world_create(*, orgs: int) -> World:
    from django.contrib.auth import get_user_model

    from organizations.models import Membership, Organization

    world = World()
    world.user = get_user_model().objects.create_user(username="load-member", password="load-drill-password")  # nosec B106  # a throw-away value of a drill's own database
    for index in range(orgs):
        org = Organization.objects.create(name=f"Load merchant {index:03d}", slug=f"load-{index:03d}")
        world.orgs.append(org)
        if index == 0:
            Membership.objects.create(organization=org, user=world.user, role="admin")
    return world


def stores_grow(world: World, *, to: int) -> None:
    """Add stores (half in the measured organisation, the rest spread), each with a connected channel."""
    from accounting.models import AccountingChannel, ConnectionState
    from organizations.api_keys import api_key_create
    from stores.models import Store

    now = dt.datetime.now(dt.UTC)
    token: Any = {"access_token": "x", "refresh_token": "y", "expires_at": now.timestamp() + 6 * 3600}  # nosec B105  # fake tokens of a drill's own database
    while len(world.stores) < to:
        n = len(world.stores)
        org = world.orgs[0] if n % 2 == 0 else world.orgs[1 + (n // 2) % (len(world.orgs) - 1)]
        store = Store.objects.create(organization=org, name=f"Load store {n:04d}", currency="GBP")
        world.stores.append(store)
        world.channels[store.pk] = AccountingChannel.objects.create(
            store=store,
            name="Xero",
            client_id=f"load-client-{n}",
            client_secret="not-a-secret",  # nosec B106  # a throw-away value of a drill's own database
            token_set=token,
            token_expires_at=now + dt.timedelta(hours=6),
            tenant_id=f"00000000-0000-0000-0000-{n:012d}",
            tenant_name=f"Load Books {n}",
            connection_state=ConnectionState.CONNECTED,
            connected_at=now,
            is_active=True,
            account_nominal_code="200",
        )
    have = {store_id for _key, store_id in world.keys}
    for org in world.orgs[1:]:
        first = next((s for s in world.stores if s.organization_id == org.pk), None)
        if first is not None and first.pk not in have:
            _key, raw = api_key_create(organization=org, name="Load key", created_by=world.user)
            world.keys.append((raw, first.pk))


def invoices_grow(world: World, *, to: int) -> None:
    """Bulk-add invoices (half in the big store) with one line each, then their ledger rows, a mix
    of synced, failed and pending."""
    from django.db import connection

    from accounting.sync.ledger.writes import ledger_backfill
    from accounting.sync.models import SyncRecord
    from stores.models import Invoice, InvoiceLine

    today = dt.date.today()
    touched: set[int] = set()
    while world.invoices < to:
        batch = []
        for n in range(world.invoices, min(world.invoices + 2000, to)):
            store = world.big_store if n % 2 == 0 else world.stores[1 + (n // 2) % (len(world.stores) - 1)]
            touched.add(store.pk)
            batch.append(
                Invoice(
                    store=store,
                    number=f"L-{n:07d}",
                    customer_name=f"Customer {n % 500}",
                    customer_email=f"c{n % 500}@example.com",
                    currency="GBP",
                    issue_date=today,
                    due_date=today + dt.timedelta(days=30),
                    subtotal=Decimal("9.99"),
                    total_tax=Decimal("2.00"),
                    total=Decimal("11.99"),
                )
            )
        Invoice.objects.bulk_create(batch)
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                invoice=i,
                position=0,
                description="Item",
                quantity=Decimal("1"),
                unit_price=Decimal("9.99"),
                tax_rate=Decimal("20"),
                line_amount=Decimal("9.99"),
                tax_amount=Decimal("2.00"),
            )
            for i in batch
        )
        world.invoices += len(batch)
    for store_id in touched:
        ledger_backfill(channel=world.channels[store_id])
    table = connection.ops.quote_name(SyncRecord._meta.db_table)
    with connection.cursor() as cursor:  # 80% synced, 5% failed, the rest left pending
        cursor.execute(
            f"UPDATE {table} SET state = CASE WHEN id % 20 = 0 THEN 'failed' ELSE 'synced' END, "  # nosec B608  # table name from model metadata quoted by quote_name; no outside input
            "xero_id = CASE WHEN id % 20 = 0 THEN '' ELSE md5(id::text)::uuid::text END, "
            "last_error = CASE WHEN id % 20 = 0 THEN 'A validation error' ELSE '' END, attempt_count = 1, "
            "synced_at = CASE WHEN id % 20 = 0 THEN NULL ELSE now() - make_interval(secs => id) END "
            "WHERE state = 'pending' AND id % 20 < 17"
        )
    with connection.cursor() as cursor:  # what autovacuum does after a bulk load (outside a transaction)
        cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("ANALYZE")
