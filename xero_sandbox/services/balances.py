"""The net movement of one account from the sandbox's money documents, for tests (the sandbox serves
no Reports endpoint, so this is no Xero answer: see `testing.account_balance`).

Debits are positive, credits negative, so money coming into a bank or clearing account is positive.
Counted, in each document's own currency (no conversion):
- payments (not deleted) on their account: a payment of a sales invoice or a refund out of a
  purchase credit note comes in (+), a payment of a bill or a refund out of a sales credit note goes
  out (−);
- AUTHORISED bank transactions: RECEIVE brings the Total into the bank account (+) and credits each
  line's account with the line's amount net of tax (−) and the organisation's tax account (its GST
  system account) with the tax; SPEND the other way round;
- AUTHORISED bank transfers: out of the source account (−), into the destination account (+).
Invoices and credit notes themselves (receivables, revenue) are not counted.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from xero_sandbox.models import Account, BankTransaction, BankTransactionLine, BankTransfer, Organisation, Payment
from xero_sandbox.models.banking import AUTHORISED

ZERO = Decimal("0.00")
# Payments that bring money into their account; the others take it out.
INCOMING = {("invoice", "ACCREC"), ("credit_note", "ACCPAYCREDIT")}


def account_movement(*, organisation: Organisation, code: str) -> Decimal:
    """Return the net movement (debits − credits) of the account `code` of `organisation`."""
    account = Account.objects.get(organisation=organisation, code=code)
    total = ZERO
    for payment in (
        Payment.objects.filter(account=account).exclude(status="DELETED").select_related("invoice", "credit_note")
    ):
        document = payment.invoice or payment.credit_note
        kind = ("invoice" if payment.invoice else "credit_note", document.type if document else "")
        total += payment.amount if kind in INCOMING else -payment.amount
    posted = BankTransaction.objects.filter(organisation=organisation, status=AUTHORISED)
    for transaction in posted.filter(bank_account=account):
        total += transaction.total if transaction.type == "RECEIVE" else -transaction.total
    lines = BankTransactionLine.objects.filter(bank_transaction__in=posted, account_code=code)
    for line in lines.select_related("bank_transaction"):
        net = (
            line.line_amount - line.tax_amount
            if line.bank_transaction.line_amount_types == "Inclusive"
            else line.line_amount
        )
        total += -net if line.bank_transaction.type == "RECEIVE" else net
    if account.system_account == "GST":
        for transaction in posted:
            total += -transaction.total_tax if transaction.type == "RECEIVE" else transaction.total_tax
    transfers = BankTransfer.objects.filter(organisation=organisation, status=AUTHORISED)
    total += transfers.filter(to_account=account).aggregate(s=Sum("amount"))["s"] or ZERO
    total -= transfers.filter(from_account=account).aggregate(s=Sum("amount"))["s"] or ZERO
    return total
