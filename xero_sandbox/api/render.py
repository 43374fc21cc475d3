"""Render sandbox records in the Accounting API's JSON shapes (PascalCase, `/Date(…)/` dates)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from xero_sandbox.demo_books import region_for
from xero_sandbox.models import (
    Account,
    Allocation,
    BankTransactionLine,
    Contact,
    CreditNoteLine,
    Currency,
    Invoice,
    Item,
    LineItem,
    Organisation,
    Payment,
    TaxRate,
)

from .render_tracking import line_tracking_json


def ms_date(value: dt.date | None) -> str | None:
    """Return a date as Xero's `/Date(ms+0000)/` (midnight UTC)."""
    if value is None:
        return None
    moment = dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)
    return f"/Date({int(moment.timestamp() * 1000)}+0000)/"


def ms_datetime(value: dt.datetime | None) -> str | None:
    """Return a datetime as Xero's `/Date(ms+0000)/`."""
    if value is None:
        return None
    return f"/Date({int(value.timestamp() * 1000)}+0000)/"


def money(value: Decimal | None, places: int = 2) -> float | None:
    if value is None:
        return None
    return float(value.quantize(Decimal(1).scaleb(-places)))


def compact(data: dict[str, Any]) -> dict[str, Any]:
    """Drop None values: Xero omits absent fields and the spec allows no nulls."""
    return {key: value for key, value in data.items() if value is not None}


def organisation_json(organisation: Organisation) -> dict[str, Any]:
    return compact(
        {
            "OrganisationID": str(organisation.tenant_id),
            "Name": organisation.name,
            "LegalName": organisation.name,
            "PaysTax": True,
            "Version": _version(organisation.country_code),
            "OrganisationType": "COMPANY",
            "BaseCurrency": organisation.base_currency,
            "CountryCode": organisation.country_code,
            "IsDemoCompany": organisation.name.startswith("Demo Company"),
            "OrganisationStatus": "ACTIVE",
            "FinancialYearEndDay": 31,
            "FinancialYearEndMonth": 3,
            "SalesTaxBasis": "ACCRUALS",
            "SalesTaxPeriod": "QUARTERLY1",
            "DefaultSalesTax": "Tax Exclusive",
            "DefaultPurchasesTax": "Tax Exclusive",
            "CreatedDateUTC": ms_datetime(organisation.created_at),
            "OrganisationEntityType": "COMPANY",
            "Timezone": organisation.timezone,
            "ShortCode": organisation.short_code,
            "Edition": "BUSINESS",
            "Class": "PREMIUM",
            "Addresses": [],
            "Phones": [],
            "ExternalLinks": [],
            "PaymentTerms": {},
        }
    )


def _version(country_code: str) -> str:
    try:
        return region_for(country_code).version
    except ValueError:
        return "GLOBAL"


def account_json(account: Account) -> dict[str, Any]:
    data: dict[str, Any] = {
        "AccountID": str(account.account_id),
        "Code": account.code,
        "Name": account.name,
        "Status": account.status,
        "Type": account.type,
        "TaxType": account.tax_type,
        "Class": account.account_class,
        "EnablePaymentsToAccount": account.enable_payments,
        "ShowInExpenseClaims": account.account_class == "EXPENSE",
        "ReportingCode": account.account_class[:3],
        "ReportingCodeName": account.account_class.title(),
        "HasAttachments": False,
        "UpdatedDateUTC": ms_datetime(account.updated_at),
        "AddToWatchlist": False,
    }
    if account.description:
        data["Description"] = account.description
    if account.system_account:
        data["SystemAccount"] = account.system_account
    if account.type == "BANK":
        data["BankAccountType"] = "BANK"
        data["BankAccountNumber"] = account.bank_account_number or "0000000000"
        data["CurrencyCode"] = account.currency_code or account.organisation.base_currency
    return data


def tax_rate_json(rate: TaxRate, *, component: str = "VAT") -> dict[str, Any]:
    """Render a tax rate; `component` names its tax (VAT, GST, Sales Tax). US rates have no ReportTaxType."""
    percent = float(rate.rate)
    return compact(
        {
            "Name": rate.name,
            "TaxType": rate.tax_type,
            "ReportTaxType": rate.report_tax_type or None,
            "CanApplyToAssets": rate.can_apply_to_assets,
            "CanApplyToEquity": rate.can_apply_to_equity,
            "CanApplyToExpenses": rate.can_apply_to_expenses,
            "CanApplyToLiabilities": rate.can_apply_to_liabilities,
            "CanApplyToRevenue": rate.can_apply_to_revenue,
            "DisplayTaxRate": percent,
            "EffectiveRate": percent,
            "Status": rate.status,
            "TaxComponents": [{"Name": component, "Rate": percent, "IsCompound": False, "IsNonRecoverable": False}],
        }
    )


def currency_json(currency: Currency) -> dict[str, Any]:
    return {"Code": currency.code, "Description": currency.description}


def contact_json(contact: Contact, *, summary: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"ContactID": str(contact.contact_id), "Name": contact.name}
    if summary:
        return data
    data.update(
        {
            "ContactStatus": contact.status,
            "FirstName": contact.first_name,
            "LastName": contact.last_name,
            "EmailAddress": contact.email_address,
            "Addresses": list(contact.addresses or []),
            "Phones": list(contact.phones or []),
            "UpdatedDateUTC": ms_datetime(contact.updated_at),
            "ContactGroups": [],
            "IsSupplier": False,
            "IsCustomer": contact.is_customer,
            "ContactPersons": [],
            "HasAttachments": False,
            "HasValidationErrors": False,
        }
    )
    if contact.account_number:
        data["AccountNumber"] = contact.account_number
    if contact.contact_number:
        data["ContactNumber"] = contact.contact_number
    return data


def item_json(item: Item, *, unitdp: int = 2) -> dict[str, Any]:
    sales = compact(
        {
            "UnitPrice": money(item.sales_unit_price, unitdp),
            "AccountCode": item.sales_account_code or None,
            "TaxType": item.sales_tax_type or None,
        }
    )
    return compact(
        {
            "ItemID": str(item.item_id),
            "Code": item.code,
            "Name": item.name or None,
            "Description": item.description or None,
            "IsSold": item.is_sold,
            "IsPurchased": item.is_purchased,
            "IsTrackedAsInventory": False,
            "SalesDetails": sales,
            "PurchaseDetails": {},
            "UpdatedDateUTC": ms_datetime(item.updated_at),
        }
    )


def line_item_json(line: LineItem | CreditNoteLine | BankTransactionLine, *, unitdp: int = 2) -> dict[str, Any]:
    """Render an invoice's, a credit note's or a bank transaction's line (they have the same fields)."""
    return compact(
        {
            "LineItemID": str(line.line_item_id),
            "Description": line.description,
            "Quantity": float(line.quantity),
            "UnitAmount": money(line.unit_amount, unitdp),
            "ItemCode": line.item_code or None,
            "AccountCode": line.account_code or None,
            "TaxType": line.tax_type or None,
            "TaxAmount": money(line.tax_amount),
            "LineAmount": money(line.line_amount),
            "DiscountRate": money(line.discount_rate) if line.discount_rate is not None else None,
            "DiscountAmount": money(amount) if (amount := getattr(line, "discount_amount", None)) is not None else None,
            "Tracking": line_tracking_json(line),
        }
    )


def payment_json(payment: Payment, *, with_invoice: bool = True) -> dict[str, Any]:
    """Render a payment; its invoice or credit note and account should be selected."""
    if payment.credit_note is not None:
        kind = "ARCREDITPAYMENT" if payment.credit_note.type == "ACCRECCREDIT" else "APCREDITPAYMENT"
    else:
        kind = "ACCRECPAYMENT" if payment.invoice is not None and payment.invoice.type == "ACCREC" else "ACCPAYPAYMENT"
    data: dict[str, Any] = {
        "PaymentID": str(payment.payment_id),
        "Date": ms_date(payment.date),
        "Amount": money(payment.amount),
        "Reference": payment.reference,
        "CurrencyRate": 1.0,
        "PaymentType": kind,
        "Status": payment.status,
        "HasAccount": True,
        "IsReconciled": False,
        "Account": {"AccountID": str(payment.account.account_id), "Code": payment.account.code},
        "UpdatedDateUTC": ms_datetime(payment.updated_at or payment.created_at),
    }
    if with_invoice and payment.invoice is not None:
        data["Invoice"] = {
            "InvoiceID": str(payment.invoice.invoice_id),
            "InvoiceNumber": payment.invoice.invoice_number,
            "Type": payment.invoice.type,
        }
    if with_invoice and payment.credit_note is not None:
        data["CreditNote"] = {
            "CreditNoteID": str(payment.credit_note.credit_note_id),
            "CreditNoteNumber": payment.credit_note.credit_note_number,
            "Type": payment.credit_note.type,
        }
    return data


def _applied_credit_json(allocation: Allocation) -> dict[str, Any]:
    """A credit note as an invoice lists it: the part of it allocated to that invoice."""
    note = allocation.credit_note
    return compact(
        {
            "CreditNoteID": str(note.credit_note_id),
            "CreditNoteNumber": note.credit_note_number,
            "Type": note.type,
            "Date": ms_date(allocation.date),
            "AppliedAmount": money(allocation.amount),
            "Total": money(note.total),
            "Status": note.status,
        }
    )


def invoice_json(invoice: Invoice, *, unitdp: int = 2, with_lines: bool = True) -> dict[str, Any]:
    """Render an invoice; `invoice.contact`, lines and payments should be prefetched."""
    data: dict[str, Any] = {
        "Type": invoice.type,
        "InvoiceID": str(invoice.invoice_id),
        "InvoiceNumber": invoice.invoice_number,
        "Reference": invoice.reference,
        "Payments": [payment_json(p, with_invoice=False) for p in invoice.payments.all() if p.status != "DELETED"],
        "CreditNotes": [_applied_credit_json(a) for a in invoice.allocations.all()],
        "Prepayments": [],
        "Overpayments": [],
        "AmountDue": money(invoice.amount_due),
        "AmountPaid": money(invoice.amount_paid),
        "AmountCredited": money(invoice.amount_credited),
        "CurrencyRate": float(invoice.currency_rate),
        "IsDiscounted": any(line.discount_rate or line.discount_amount for line in invoice.line_items.all()),
        "HasAttachments": False,
        "HasErrors": False,
        "Contact": contact_json(invoice.contact, summary=True),
        "Date": ms_date(invoice.date),
        "DueDate": ms_date(invoice.due_date),
        "Status": invoice.status,
        "LineAmountTypes": invoice.line_amount_types,
        "SubTotal": money(invoice.sub_total),
        "TotalTax": money(invoice.total_tax),
        "Total": money(invoice.total),
        "UpdatedDateUTC": ms_datetime(invoice.updated_at),
        "CurrencyCode": invoice.currency_code,
        "SentToContact": False,
        "FullyPaidOnDate": ms_date(invoice.fully_paid_on),
        "Url": invoice.url or None,
    }
    if with_lines:
        data["LineItems"] = [line_item_json(line, unitdp=unitdp) for line in invoice.line_items.all()]
    return compact(data)
