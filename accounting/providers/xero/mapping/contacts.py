"""Store customers → Xero contacts: how a customer is recognised, and the contact sent for them.

Pure functions: no calls to Xero here. Xero requires contact names to be unique among active
contacts, so a taken name gets a disambiguated one (`disambiguated_name`).
"""

from __future__ import annotations

from dataclasses import dataclass

from xero_python.accounting.models import Address, Contact, Phone

from accounting.providers.xero.mapping.common import MappingError
from accounting.providers.xero.values import RecordStatus

CONTACT_NAME_MAX = 255
CONTACT_NUMBER_MAX = 50
PHONE_MAX = 50


def customer_key(*, name: str, email: str, number: str = "") -> str:
    """Return how a customer is recognised: the store's customer id, else their e-mail, else their name."""
    if number.strip():
        return f"id:{number.strip()}"
    return email.strip().lower() if email.strip() else f"name:{name.strip()}"


@dataclass(frozen=True)
class PostalAddress:
    line1: str = ""
    line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""

    def __bool__(self) -> bool:
        return any((self.line1, self.line2, self.city, self.region, self.postal_code, self.country))


def contact_payload(
    *,
    name: str,
    email: str,
    number: str = "",
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    address: PostalAddress | None = None,
) -> Contact:
    """Return the Xero contact of a customer: ContactNumber is the store's customer id (the stable
    key it is found by again); names, e-mail, phone and address only when the store has them.

    The address goes out twice, as Xero keeps a postal (POBOX: printed on invoices) and a street
    address per contact; the phone as the DEFAULT phone."""
    contact = Contact(name=name[:CONTACT_NAME_MAX])
    if email:
        contact.email_address = email
    if number:
        if len(number) > CONTACT_NUMBER_MAX:
            raise MappingError(
                f"Customer id '{number}' has {len(number)} characters; Xero contact numbers allow {CONTACT_NUMBER_MAX}."
            )
        contact.contact_number = number
    if first_name:
        contact.first_name = first_name[:255]
    if last_name:
        contact.last_name = last_name[:255]
    if phone:
        contact.phones = [Phone(phone_type="DEFAULT", phone_number=phone[:PHONE_MAX])]
    if address:
        contact.addresses = [
            Address(
                address_type=kind,
                address_line1=address.line1[:500] or None,
                address_line2=address.line2[:500] or None,
                city=address.city[:255] or None,
                region=address.region[:255] or None,
                postal_code=address.postal_code[:50] or None,
                country=address.country[:50] or None,
            )
            for kind in ("POBOX", "STREET")
        ]
    return contact


def contact_reactivation_payload(*, contact_id: str) -> Contact:
    """Return the update that makes an archived contact active again (Xero refuses invoices to
    archived contacts)."""
    return Contact(contact_id=contact_id, contact_status=RecordStatus.ACTIVE.value)


def disambiguated_name(*, name: str, email: str, attempt: int = 1) -> str:
    """Return a contact name that differs from a taken `name`: the e-mail, then a number."""
    suffix = f" ({email})" if email and attempt == 1 else f" ({email or 'customer'} {attempt})"
    return f"{name[: CONTACT_NAME_MAX - len(suffix)]}{suffix}"
