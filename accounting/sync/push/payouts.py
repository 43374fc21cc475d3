"""Send a claimed batch of payout rows, each so that the merchant's bank-feed deposit matches one
Xero transaction for `net`, and the clearing account holds nothing for the payments it settled
(`providers.xero.mapping.payouts`):

- clearing account a bank account: a transfer clearing → payout bank for `net`, then a SPEND of the
  fees on the clearing account;
- clearing account with payments enabled: one RECEIVE on the payout bank account (gross from the
  clearing account, less the fees to the fees account).

A payout waits (saying why) until the payments it settles are in Xero, until its accounts are
chosen, and until the connection has Xero's bank transactions scope. Each write's Xero id is saved
on the row as soon as Xero accepted it (`xero_refs`), and every write carries the payout's
reference, so a lost answer is looked up by it before any resend.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from accounting.books.payouts import (
    RECONNECT_FOR_PAYOUTS,
    PayoutAccounts,
    channel_allows_payouts,
    payout_accounts,
)
from accounting.providers.xero import mapping
from accounting.providers.xero.answers import element_refusal
from accounting.providers.xero.values import XeroStatus, text
from accounting.sync.models import RecordKind, SyncRecord, SyncState, WaitingFor
from accounting.sync.push.base import Push, latest_refusal
from accounting.sync.push.contacts import Customer, contacts_resolve
from accounting.sync.push.outcomes import Outcome, rejected, skipped, synced, waiting
from stores.models import Payout

ZERO = Decimal("0.00")
# A payout whose payments are not all in Xero looks again after this long (a query, no Xero call).
PAYMENTS_WAIT_SECONDS = 15.0
SCOPE_WAIT_SECONDS = 3600.0


class _Stop(Exception):
    def __init__(self, outcome: Outcome):
        super().__init__(outcome.message)
        self.outcome = outcome


def payments_pending_message(*, waiting_count: int, total: int) -> str:
    return (
        f"Waits for the payments it settles to reach Xero ({total - waiting_count} of {total} there): the "
        "clearing account must hold them before the payout empties it."
    )


class PayoutsPush(Push):
    """Send the claimed payout rows of the channel, one after another, each in its steps."""

    def push(self) -> None:
        payouts = Payout.objects.in_bulk([row.object_id for row in self.rows])
        for row in self.rows:
            payout = payouts.get(row.object_id)
            if payout is None:
                self.outcomes[row.pk] = skipped(reason="The payout was deleted from the store.")
                continue
            self.current = row.pk
            try:
                self.outcomes[row.pk] = self._send(row=row, payout=payout)
            except _Stop as stop:
                self.outcomes[row.pk] = stop.outcome

    current: int | None = None

    def failure_outcome(self, row: SyncRecord, error: Any) -> Outcome:
        if row.pk == self.current:
            return super().failure_outcome(row, error)
        wait = float(getattr(error, "retry_after", 0.0)) or 5.0
        return Outcome(state=SyncState.PENDING, attempt="", wait=wait, count_attempt=False)

    def _send(self, *, row: SyncRecord, payout: Payout) -> Outcome:
        self._payments_in_xero(payout=payout)
        accounts = payout_accounts(channel=self.channel, method=payout.method, fees=payout.fees > ZERO)
        if isinstance(accounts, str):
            raise _Stop(waiting(on=WaitingFor.PAYMENT_ACCOUNTS, messages=[accounts]))
        if not channel_allows_payouts(channel=self.channel):
            # Chosen accounts first: Connect asks for the permission once payouts are set up.
            raise _Stop(
                Outcome(state=SyncState.PENDING, attempt="", message=RECONNECT_FOR_PAYOUTS, wait=SCOPE_WAIT_SECONDS,
                        count_attempt=False)
            )  # fmt: skip
        contact_id = self._contact(payout=payout)
        if accounts.clearing_is_bank:
            transfer = self._transfer(row=row, payout=payout, accounts=accounts)
            if payout.fees > ZERO:
                self._fees(row=row, payout=payout, accounts=accounts, contact_id=contact_id)
            return synced(
                xero_id=transfer, payload_hash="", xero_status=XeroStatus.AUTHORISED,
                message=f"Transferred {payout.net} {payout.currency} to the payout account; fees {payout.fees} spent.",
            )  # fmt: skip
        receive = self._receive(row=row, payout=payout, accounts=accounts, contact_id=contact_id)
        money = f"{payout.net} {payout.currency} on the payout account: {payout.gross} less fees {payout.fees}"
        return synced(xero_id=receive, payload_hash="", xero_status=XeroStatus.AUTHORISED, message=f"Received {money}.")

    def _payments_in_xero(self, *, payout: Payout) -> None:
        ids = list(payout.payments.values_list("pk", flat=True))
        if not ids:
            return
        there = SyncRecord.objects.filter(
            channel=self.channel, kind=RecordKind.PAYMENT, object_id__in=ids, state=SyncState.SYNCED
        ).count()
        if there < len(ids):
            message = payments_pending_message(waiting_count=len(ids) - there, total=len(ids))
            raise _Stop(
                Outcome(state=SyncState.PENDING, attempt="", message=message, wait=PAYMENTS_WAIT_SECONDS,
                        count_attempt=False)
            )  # fmt: skip

    def _contact(self, *, payout: Payout) -> str:
        customer = Customer(name=f"{' '.join(payout.method.split()).title()} payouts", email="")
        resolution = contacts_resolve(client=self.client, customers=[customer])
        if customer.key in resolution.errors:
            raise _Stop(rejected(messages=[f"Contact: {resolution.errors[customer.key]}"]))
        return resolution.contact_ids[customer.key]

    def _progress(self, row: SyncRecord, **refs: str) -> None:
        row.xero_refs = {**row.xero_refs, **refs}
        SyncRecord.objects.filter(pk=row.pk, claim=row.claim).update(xero_refs=row.xero_refs)

    def _found_transaction(self, *, row: SyncRecord, reference: str, kind: str, amount: Decimal) -> str:
        if not row.needs_lookup:
            return ""
        for found in self.client.bank_transactions_referenced(reference=reference):
            if text(found.type) == kind and text(found.status) != "DELETED" and Decimal(str(found.total)) == amount:
                return str(found.bank_transaction_id)
        return ""

    def _written(self, elements: list[Any], *, id_field: str) -> str:
        [element] = elements
        refusal = element_refusal(element)
        if refusal is not None:
            raise _Stop(rejected(messages=refusal.messages))
        return str(getattr(element, id_field))

    def _receive(self, *, row: SyncRecord, payout: Payout, accounts: PayoutAccounts, contact_id: str) -> str:
        if row.xero_refs.get("receive"):
            return str(row.xero_refs["receive"])
        found = self._found_transaction(row=row, reference=payout.reference, kind="RECEIVE", amount=payout.net)
        if not found:
            payload = mapping.payout_receive_payload(
                bank_account_id=accounts.payout_id, contact_id=contact_id, date=payout.date,
                reference=payout.reference, currency_code=payout.currency, gross=payout.gross,
                clearing_code=accounts.clearing_code, clearing_tax_type=accounts.clearing_tax_type, fees=payout.fees,
                fees_account=accounts.fees_account, fees_tax_type=accounts.fees_tax_type,
            )  # fmt: skip
            elements = self.write(
                "payout-receive", parts=[f"{row.pk}:{payout.pk}:{latest_refusal(row)}"], rows=[row],
                call=lambda key: self.client.bank_transactions_create(bank_transactions=[payload], idempotency_key=key),
            )  # fmt: skip
            found = self._written(elements, id_field="bank_transaction_id")
        self._progress(row, receive=found)
        return found

    def _transfer(self, *, row: SyncRecord, payout: Payout, accounts: PayoutAccounts) -> str:
        if row.xero_refs.get("transfer"):
            return str(row.xero_refs["transfer"])
        found = ""
        if row.needs_lookup:
            for transfer in self.client.bank_transfers_referenced(reference=payout.reference):
                if Decimal(str(transfer.amount)) == payout.net and text(getattr(transfer, "status", "")) != "DELETED":
                    found = str(transfer.bank_transfer_id)
        if not found:
            payload = mapping.payout_transfer_payload(
                from_account_id=accounts.clearing_id, to_account_id=accounts.payout_id, amount=payout.net,
                date=payout.date, reference=payout.reference,
            )  # fmt: skip
            elements = self.write(
                "payout-transfer", parts=[f"{row.pk}:{payout.pk}:{latest_refusal(row)}"], rows=[row],
                call=lambda key: self.client.bank_transfers_create(bank_transfers=[payload], idempotency_key=key),
            )  # fmt: skip
            found = self._written(elements, id_field="bank_transfer_id")
        self._progress(row, transfer=found)
        return found

    def _fees(self, *, row: SyncRecord, payout: Payout, accounts: PayoutAccounts, contact_id: str) -> str:
        if row.xero_refs.get("fees"):
            return str(row.xero_refs["fees"])
        found = self._found_transaction(row=row, reference=payout.reference, kind="SPEND", amount=payout.fees)
        if not found:
            payload = mapping.payout_fees_payload(
                clearing_account_id=accounts.clearing_id, contact_id=contact_id, date=payout.date,
                reference=payout.reference, currency_code=payout.currency, fees=payout.fees,
                fees_account=accounts.fees_account, fees_tax_type=accounts.fees_tax_type,
            )  # fmt: skip
            elements = self.write(
                "payout-fees", parts=[f"{row.pk}:{payout.pk}:{latest_refusal(row)}"], rows=[row],
                call=lambda key: self.client.bank_transactions_create(bank_transactions=[payload], idempotency_key=key),
            )  # fmt: skip
            found = self._written(elements, id_field="bank_transaction_id")
        self._progress(row, fees=found)
        return found
