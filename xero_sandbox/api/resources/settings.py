"""Organisation, Accounts, TaxRates and Currencies (read-only here)."""

from __future__ import annotations

import uuid
from typing import Any

from xero_sandbox.api.render import account_json, currency_json, organisation_json, tax_rate_json
from xero_sandbox.api.responses import envelope, not_found
from xero_sandbox.demo_books import region_for
from xero_sandbox.models import Account, Currency, TaxRate

from .common import ApiError, Call, filtered

ACCOUNT_FIELDS = {
    "Code": "code",
    "Name": "name",
    "Type": "type",
    "Class": "account_class",
    "Status": "status",
    "TaxType": "tax_type",
    "AccountID": "account_id",
    "SystemAccount": "system_account",
    "EnablePaymentsToAccount": "enable_payments",
}
TAX_RATE_FIELDS = {"TaxType": "tax_type", "Name": "name", "Status": "status"}
CURRENCY_FIELDS = {"Code": "code", "Description": "description"}


def _read_only(call: Call) -> None:
    if call.method != "GET":
        raise ApiError(405, {"Title": "Method Not Allowed", "Status": 405, "Detail": "The sandbox serves GET here."})


def organisation_handle(call: Call) -> tuple[int, dict[str, Any]]:
    _read_only(call)
    return 200, envelope("Organisations", [organisation_json(call.organisation)])


def accounts_handle(call: Call) -> tuple[int, dict[str, Any]]:
    _read_only(call)
    accounts = Account.objects.filter(organisation=call.organisation).select_related("organisation")
    if call.ident:
        try:
            accounts = accounts.filter(account_id=uuid.UUID(call.ident))
        except ValueError:
            raise ApiError(404, not_found()) from None
        if not accounts:
            raise ApiError(404, not_found())
    accounts = filtered(call, accounts, ACCOUNT_FIELDS)
    return 200, envelope("Accounts", [account_json(a) for a in accounts])


def tax_rates_handle(call: Call) -> tuple[int, dict[str, Any]]:
    _read_only(call)
    rates = filtered(call, TaxRate.objects.filter(organisation=call.organisation), TAX_RATE_FIELDS)
    if call.ident:
        rates = rates.filter(tax_type=call.ident)
    component = _tax_component(call.organisation.country_code)
    return 200, envelope("TaxRates", [tax_rate_json(r, component=component) for r in rates])


def _tax_component(country_code: str) -> str:
    try:
        return region_for(country_code).tax_component
    except ValueError:
        return "Tax"


def currencies_handle(call: Call) -> tuple[int, dict[str, Any]]:
    _read_only(call)
    currencies = filtered(call, Currency.objects.filter(organisation=call.organisation), CURRENCY_FIELDS)
    return 200, envelope("Currencies", [currency_json(c) for c in currencies])
