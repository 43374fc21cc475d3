"""Store records → xero-python SDK models, and the Xero rules that shape them: one module per
resource, one builder each.

- `invoices`: sales invoices (ACCREC) and their status changes;
- `lines`: an invoice's lines by kind, the rounding line, the tax types they need;
- `items`: products as Items;
- `contacts`: customers as contacts;
- `payments`: payments to invoices, and refunds paid out of credit notes;
- `credit_notes`: refunds as credit notes (ACCRECCREDIT), and their allocations;
- `payouts`: a gateway payout as bank transactions and transfers;
- `summaries`: a day's store invoices as one summary invoice (posting per day);
- `tracking`: tracking categories and the option a line carries;
- `common`: money rounding, the mapping errors, reading answers.

Pure functions: no calls to Xero here. The names below are the package's public face, so that
callers write `mapping.invoice_payload(...)` whichever module builds it.
"""

from accounting.providers.xero.mapping.common import (
    SALES_ACCOUNT_TYPES,
    LineAccountUnset,
    MappingError,
    TaxTypeUnmapped,
    currency,
    element_errors,
    payload_hash,
    percent_text,
    pick_sales_account,
    quantize,
)
from accounting.providers.xero.mapping.contacts import (
    PostalAddress,
    contact_payload,
    contact_reactivation_payload,
    customer_key,
    disambiguated_name,
)
from accounting.providers.xero.mapping.credit_notes import CreditLine, allocation_payload, credit_note_payload
from accounting.providers.xero.mapping.invoices import (
    invoice_payload,
    invoice_portal_url,
    line_item_products,
    status_change_payload,
    xero_invoice_number,
    xero_invoice_status,
)
from accounting.providers.xero.mapping.items import ITEM_CODE_MAX, ITEM_NAME_MAX, item_code, item_name, item_payload
from accounting.providers.xero.mapping.lines import (
    LineAccounts,
    PlannedLines,
    invoice_amount_type,
    invoice_lines,
    invoice_tax_keys,
    line_accounts_unset_message,
    line_tax_type,
    rounding_note,
    tax_unmapped_message,
    unset_line_accounts,
)
from accounting.providers.xero.mapping.payments import (
    invoice_payment_payload,
    payment_reference,
    refund_payment_payload,
)
from accounting.providers.xero.mapping.payouts import (
    payout_fees_payload,
    payout_receive_payload,
    payout_transfer_payload,
)
from accounting.providers.xero.mapping.summaries import (
    SummaryLine,
    SummaryRounding,
    contribution,
    key_parts,
    line_key,
    summary_lines_plan,
    summary_payload,
)
from accounting.providers.xero.mapping.tracking import (
    TrackingChoice,
    line_tracking,
    lines_track,
    tracking_categories_dump,
)

__all__ = [
    "ITEM_CODE_MAX",
    "ITEM_NAME_MAX",
    "SALES_ACCOUNT_TYPES",
    "CreditLine",
    "LineAccountUnset",
    "LineAccounts",
    "MappingError",
    "PlannedLines",
    "PostalAddress",
    "SummaryLine",
    "SummaryRounding",
    "TaxTypeUnmapped",
    "TrackingChoice",
    "allocation_payload",
    "contact_payload",
    "contact_reactivation_payload",
    "contribution",
    "credit_note_payload",
    "currency",
    "customer_key",
    "disambiguated_name",
    "element_errors",
    "invoice_amount_type",
    "invoice_lines",
    "invoice_payload",
    "invoice_payment_payload",
    "invoice_portal_url",
    "invoice_tax_keys",
    "item_code",
    "item_name",
    "item_payload",
    "key_parts",
    "line_accounts_unset_message",
    "line_item_products",
    "line_key",
    "line_tax_type",
    "line_tracking",
    "lines_track",
    "payload_hash",
    "payment_reference",
    "payout_fees_payload",
    "payout_receive_payload",
    "payout_transfer_payload",
    "percent_text",
    "pick_sales_account",
    "quantize",
    "refund_payment_payload",
    "rounding_note",
    "status_change_payload",
    "summary_lines_plan",
    "summary_payload",
    "tax_unmapped_message",
    "tracking_categories_dump",
    "unset_line_accounts",
    "xero_invoice_number",
    "xero_invoice_status",
]
