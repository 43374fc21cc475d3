"""A gateway payout as the Xero transactions that make the merchant's bank-feed deposit match one
transaction for `net`, and empty the clearing account of the payments it settles.

- The clearing account is a bank account: a BankTransfer clearing → payout bank for `net`, and a
  SPEND bank transaction on the clearing account for the fees;
- it is an account with payments enabled (e.g. "Card Payments Clearing"): one RECEIVE bank
  transaction on the payout bank account, a line of `gross` to the clearing account and a line of
  `−fees` to the fees account (tax inclusive, so its total is `net` exactly).

Pure functions: no calls to Xero here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from xero_python.accounting.models import (
    Account,
    BankTransaction,
    BankTransfer,
    Contact,
    CurrencyCode,
    LineAmountTypes,
    LineItem,
)

from accounting.providers.xero.values import XeroStatus


def payout_receive_payload(
    *, bank_account_id: str, contact_id: str, date: dt.date, reference: str, currency_code: str, gross: Decimal,
    clearing_code: str, clearing_tax_type: str, fees: Decimal, fees_account: str, fees_tax_type: str,
) -> BankTransaction:  # fmt: skip
    """Return the RECEIVE transaction of a payout into `bank_account_id`: gross from the clearing
    account, less the fees to the fees account."""
    lines = [
        LineItem(description=f"Payout {reference}: payments settled", quantity=1, unit_amount=gross,
                 account_code=clearing_code, tax_type=clearing_tax_type or None),
    ]  # fmt: skip
    if fees:
        lines.append(
            LineItem(description=f"Payout {reference}: gateway fees", quantity=1, unit_amount=-fees,
                     account_code=fees_account, tax_type=fees_tax_type or None)
        )  # fmt: skip
    return BankTransaction(
        type="RECEIVE", contact=Contact(contact_id=contact_id), bank_account=Account(account_id=bank_account_id),
        line_items=lines, date=date, reference=reference[:255], currency_code=CurrencyCode(currency_code),
        line_amount_types=LineAmountTypes("Inclusive"), status=XeroStatus.AUTHORISED.value,
    )  # fmt: skip


def payout_fees_payload(
    *, clearing_account_id: str, contact_id: str, date: dt.date, reference: str, currency_code: str,
    fees: Decimal, fees_account: str, fees_tax_type: str,
) -> BankTransaction:  # fmt: skip
    """Return the SPEND transaction of a payout's fees out of the clearing bank account."""
    line = LineItem(description=f"Payout {reference}: gateway fees", quantity=1, unit_amount=fees,
                    account_code=fees_account, tax_type=fees_tax_type or None)  # fmt: skip
    return BankTransaction(
        type="SPEND", contact=Contact(contact_id=contact_id), bank_account=Account(account_id=clearing_account_id),
        line_items=[line], date=date, reference=reference[:255], currency_code=CurrencyCode(currency_code),
        line_amount_types=LineAmountTypes("Inclusive"), status=XeroStatus.AUTHORISED.value,
    )  # fmt: skip


def payout_transfer_payload(
    *, from_account_id: str, to_account_id: str, amount: Decimal, date: dt.date, reference: str
) -> BankTransfer:
    """Return the transfer of a payout's `net` from the clearing bank account to the payout bank account."""
    return BankTransfer(
        from_bank_account=Account(account_id=from_account_id), to_bank_account=Account(account_id=to_account_id),
        amount=amount, date=date, reference=reference[:255],
    )  # fmt: skip
