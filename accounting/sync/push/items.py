"""Products as Xero Items: "Add Products to Xero" (upsert batches) and "Create Nonexistent
Products" (create what an invoice's lines reference before the invoice goes)."""

from __future__ import annotations

from django.utils import timezone

from accounting.books.cache import sales_account_code
from accounting.models import AccountingChannel
from accounting.providers.xero import mapping
from accounting.providers.xero.client import XeroClient
from accounting.sync.models import AttemptOutcome, RecordKind, SyncAction, SyncRecord, SyncState, XeroItemLink
from accounting.sync.push.base import Push, batch_key
from accounting.sync.push.outcomes import Outcome, rejected, skipped, synced
from stores.models import Product


class ItemsPush(Push):
    """Upsert the claimed product rows as Items in one POST; record each element's outcome."""

    def push(self) -> None:
        products = Product.objects.select_related("parent").in_bulk([r.object_id for r in self.rows])
        account = sales_account_code(channel=self.channel, client=self.client)
        sendable: list[tuple[SyncRecord, object, str]] = []
        for row in self.rows:
            product = products.get(row.object_id)
            if product is None:
                self.outcomes[row.pk] = skipped(reason="The product was deleted from the store.")
                continue
            try:
                item = mapping.item_payload(product=product, account_code=account)
            except mapping.MappingError as exc:
                self.outcomes[row.pk] = rejected(messages=[str(exc)], http_status=None, attempt=AttemptOutcome.LOCAL)
                continue
            digest = mapping.payload_hash(item)
            if row.xero_id and row.payload_hash == digest:
                self.outcomes[row.pk] = synced(
                    xero_id=row.xero_id, payload_hash=digest, attempt=AttemptOutcome.UNCHANGED
                )
                continue
            sendable.append((row, item, digest))
        if not sendable:
            return
        elements = self.write(
            "items", parts=[f"{r.pk}:{d}" for r, _i, d in sendable], rows=[r for r, _i, _d in sendable],
            call=lambda key: self.client.items_upsert(items=[i for _r, i, _d in sendable], idempotency_key=key),  # type: ignore[misc]
        )  # fmt: skip
        self.outcomes.update(_item_outcomes(tenant=self.client.tenant_id, sendable=sendable, elements=elements))


def _item_outcomes(
    *, tenant: str, sendable: list[tuple[SyncRecord, object, str]], elements: list
) -> dict[int, Outcome]:
    by_code = {str(e.code): e for e in elements if getattr(e, "code", None)}
    outcomes: dict[int, Outcome] = {}
    links = []
    for position, (row, item, digest) in enumerate(sendable):
        element = by_code.get(item.code) or (elements[position] if position < len(elements) else None)  # type: ignore[attr-defined]
        messages = mapping.element_errors(element) if element is not None else ["Xero did not answer for this item."]
        if messages or element is None or not element.item_id:
            outcomes[row.pk] = rejected(messages=messages)
            continue
        outcomes[row.pk] = synced(xero_id=str(element.item_id), payload_hash=digest)
        links.append(XeroItemLink(tenant_id=tenant, code=item.code, item_id=str(element.item_id)))  # type: ignore[attr-defined]
    XeroItemLink.objects.bulk_create(links, ignore_conflicts=True)
    return outcomes


def items_available(
    *, channel: AccountingChannel, client: XeroClient, products: list[Product], turn: str = ""
) -> set[str]:
    """Return the codes of `products` that exist in Xero, first creating the missing ones when
    "Create Nonexistent Products" is on. Raise XeroError when Xero cannot be asked.

    `turn` (the claim of the calling turn) goes into the creation's Idempotency-Key: an item
    deleted in Xero after an earlier creation must be created again, not answered with the
    replay of that first creation. Items are upserted on their Code, so a new key per turn
    never makes a second item."""
    by_code = {p.sku: p for p in products if len(p.sku) <= mapping.ITEM_CODE_MAX}
    if not by_code:
        return set()
    tenant = client.tenant_id
    known = set(XeroItemLink.objects.filter(tenant_id=tenant, code__in=list(by_code)).values_list("code", flat=True))
    unknown = [code for code in by_code if code not in known]
    if unknown:
        found = client.items_by_code(codes=unknown)
        links = [XeroItemLink(tenant_id=tenant, code=str(i.code), item_id=str(i.item_id)) for i in found if i.code]
        XeroItemLink.objects.bulk_create(links, ignore_conflicts=True)
        known.update(link.code for link in links)
    missing = [by_code[code] for code in unknown if code not in known]
    if missing and channel.create_nonexistent_products:
        known.update(_items_create(channel=channel, client=client, products=missing, turn=turn))
    return known


def _items_create(*, channel: AccountingChannel, client: XeroClient, products: list[Product], turn: str) -> set[str]:
    """Create Items for products an invoice needs; record them on the products' ledger rows."""
    account = sales_account_code(channel=channel, client=client)
    items = [mapping.item_payload(product=p, account_code=account) for p in products]
    parts = [f"{p.pk}:{mapping.payload_hash(i)}" for p, i in zip(products, items, strict=True)]
    key = batch_key("new-items", [*parts, f"turn:{turn}"])
    elements = client.items_upsert(items=items, idempotency_key=key)
    by_code = {str(e.code): e for e in elements if e.item_id and not mapping.element_errors(e)}
    now = timezone.now()
    created: set[str] = set()
    for product, item in zip(products, items, strict=True):
        element = by_code.get(item.code)
        if element is None:
            continue
        created.add(item.code)
        XeroItemLink.objects.get_or_create(
            tenant_id=client.tenant_id, code=item.code, defaults={"item_id": element.item_id}
        )
        # The product's own ledger row tells the operator it reached Xero (a variant's row names
        # its main product through the Item's name).
        SyncRecord.objects.update_or_create(
            channel=channel, kind=RecordKind.PRODUCT, object_id=product.pk, action=SyncAction.PUSH,
            defaults={
                "state": SyncState.SYNCED, "xero_id": str(element.item_id), "payload_hash": mapping.payload_hash(item),
                "synced_at": now, "last_error": "", "next_attempt_at": None, "needs_lookup": False,
            },
        )  # fmt: skip
    return created
