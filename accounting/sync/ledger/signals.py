"""Record every change of invoices and products in the sync ledger, inside the same transaction.

Hooked on the `stores` models so every writer (Billing API, pages, admin, demo command) is covered
without any of them knowing about the ledger.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounting.models import AccountingChannel
from accounting.providers.xero.scopes import allows_bank_transactions, allows_payments
from accounting.sync.ledger.wake import sync_wake_channel
from accounting.sync.ledger.writes import (
    ledger_backfill,
    ledger_payments_release,
    ledger_payouts_release,
    ledger_products_toggle,
    ledger_record_changed,
)
from accounting.sync.models import RecordKind
from stores.models import Invoice, InvoiceLine, Payment, Payout, Product, Refund, RefundLine

CHANNEL_SWITCHES = {"is_active", "connection_state", "add_products", "tenant_id"}


@receiver(post_save, sender=Invoice, dispatch_uid="sync_invoice_saved")
def invoice_saved(sender: Any, instance: Invoice, **kwargs: Any) -> None:
    ledger_record_changed(kind=RecordKind.INVOICE, store_id=instance.store_id, object_id=instance.pk)


@receiver(post_save, sender=InvoiceLine, dispatch_uid="sync_invoice_line_saved")
@receiver(post_delete, sender=InvoiceLine, dispatch_uid="sync_invoice_line_deleted")
def invoice_line_changed(sender: Any, instance: InvoiceLine, **kwargs: Any) -> None:
    try:
        store_id = instance.invoice.store_id  # cached on lines built from their invoice: no query
    except Invoice.DoesNotExist:  # the invoice itself is being deleted
        return
    ledger_record_changed(kind=RecordKind.INVOICE, store_id=store_id, object_id=instance.invoice_id)


@receiver(post_save, sender=Product, dispatch_uid="sync_product_saved")
def product_saved(sender: Any, instance: Product, **kwargs: Any) -> None:
    ledger_record_changed(kind=RecordKind.PRODUCT, store_id=instance.store_id, object_id=instance.pk)


@receiver(post_save, sender=Payment, dispatch_uid="sync_payment_saved")
def payment_saved(sender: Any, instance: Payment, **kwargs: Any) -> None:
    invoice = instance.invoice  # cached when the payment was made from its invoice
    ledger_record_changed(
        kind=RecordKind.PAYMENT, store_id=invoice.store_id, object_id=instance.pk, parent_id=instance.invoice_id
    )


@receiver(post_save, sender=Refund, dispatch_uid="sync_refund_saved")
def refund_saved(sender: Any, instance: Refund, **kwargs: Any) -> None:
    invoice = instance.invoice
    ledger_record_changed(
        kind=RecordKind.REFUND, store_id=invoice.store_id, object_id=instance.pk, parent_id=instance.invoice_id
    )


@receiver(post_save, sender=RefundLine, dispatch_uid="sync_refund_line_saved")
def refund_line_saved(sender: Any, instance: RefundLine, **kwargs: Any) -> None:
    refund = instance.refund
    ledger_record_changed(
        kind=RecordKind.REFUND, store_id=refund.invoice.store_id, object_id=refund.pk, parent_id=refund.invoice_id
    )


@receiver(post_save, sender=Payout, dispatch_uid="sync_payout_saved")
def payout_saved(sender: Any, instance: Payout, **kwargs: Any) -> None:
    ledger_record_changed(kind=RecordKind.PAYOUT, store_id=instance.store_id, object_id=instance.pk)


@receiver(post_save, sender=AccountingChannel, dispatch_uid="sync_channel_saved")
def channel_saved(sender: Any, instance: AccountingChannel, created: bool, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if created:
        ledger_backfill(channel=instance)
    elif update_fields is None or "add_products" in update_fields:
        ledger_products_toggle(channel=instance)
    # Reconnected with the payments scope: the payments that waited for it go (the wake below, or
    # the sweep when only the scopes changed).
    scopes_changed = not created and (update_fields is None or "scopes" in update_fields)
    if scopes_changed and allows_payments(instance.granted_scopes()):
        ledger_payments_release(channel=instance)
    if scopes_changed and allows_bank_transactions(instance.granted_scopes()):
        ledger_payouts_release(channel=instance)
    if created or update_fields is None or CHANNEL_SWITCHES & set(update_fields):
        channel_id = instance.pk
        transaction.on_commit(lambda: sync_wake_channel(channel_id=channel_id), robust=True)
