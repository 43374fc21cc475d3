"""Create and update contacts (names unique among active contacts)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction

from xero_sandbox.models import Contact, Organisation
from xero_sandbox.parse import text

FIELDS = {
    "FirstName": "first_name",
    "LastName": "last_name",
    "EmailAddress": "email_address",
    "AccountNumber": "account_number",
    "ContactNumber": "contact_number",
}


# xero_accounting.yaml, schemas Address and Phone: the types and each field's maxLength.
CONTACT_NUMBER_MAX = 50
ADDRESS_TYPES = {"POBOX", "STREET"}
ADDRESS_FIELDS = {
    "AddressLine1": 500, "AddressLine2": 500, "AddressLine3": 500, "AddressLine4": 500, "City": 255,
    "Region": 255, "PostalCode": 50, "Country": 50, "AttentionTo": 255,
}  # fmt: skip
PHONE_TYPES = {"DEFAULT", "DDI", "MOBILE", "FAX", "OFFICE"}
PHONE_FIELDS = {"PhoneNumber": 50, "PhoneAreaCode": 10, "PhoneCountryCode": 20}


def _typed_list(
    raw: Any, fields: dict[str, int], type_key: str, types: set[str], errors: list[str]
) -> list[dict[str, str]]:
    """Return the addresses or phones of a contact as stored; Xero keeps one of each type."""
    kept: dict[str, dict[str, str]] = {}
    for element in raw if isinstance(raw, list) else []:
        if not isinstance(element, dict):
            continue
        kind = text(element.get(type_key))
        if kind not in types:
            errors.append(f"{type_key} '{kind}' is not valid")
            continue
        values = {type_key: kind}
        for name, limit in fields.items():
            value = text(element.get(name))
            if len(value) > limit:
                errors.append(f"{name} must not be more than {limit} characters long.")
            if value:
                values[name] = value
        kept[kind] = values
    return list(kept.values())


@dataclass
class ContactResult:
    submitted: dict[str, Any]
    contact: Contact | None = None
    errors: list[str] = field(default_factory=list)


def _duplicate_message(name: str) -> str:
    return (
        f"The contact name {name} is already assigned to another contact. "
        "The contact name must be unique across all active contacts."
    )


def _find(organisation: Organisation, raw: dict[str, Any]) -> Contact | None:
    try:
        contact_id = uuid.UUID(text(raw.get("ContactID")))
    except ValueError:
        return None
    return Contact.objects.select_for_update().filter(organisation=organisation, contact_id=contact_id).first()


def _save_one(organisation: Organisation, raw: dict[str, Any], *, update: bool) -> ContactResult:
    contact = _find(organisation, raw) if update and raw.get("ContactID") else None
    if update and raw.get("ContactID") and contact is None:
        return ContactResult(raw, errors=[f"Contact ID '{text(raw.get('ContactID'))}' could not be found"])
    creating = contact is None
    contact = contact or Contact(organisation=organisation)
    if "Name" in raw or creating:
        contact.name = text(raw.get("Name"))
    errors: list[str] = []
    if not contact.name:
        errors.append("The contact name must be specified.")
    if len(contact.name) > 255:
        errors.append("The contact name must not be more than 255 characters long.")
    for key, attribute in FIELDS.items():
        if key in raw:
            setattr(contact, attribute, text(raw.get(key)))
    if len(contact.contact_number) > CONTACT_NUMBER_MAX:
        errors.append(f"The ContactNumber must not be more than {CONTACT_NUMBER_MAX} characters long.")
    if "Addresses" in raw:
        contact.addresses = _typed_list(raw.get("Addresses"), ADDRESS_FIELDS, "AddressType", ADDRESS_TYPES, errors)
    if "Phones" in raw:
        contact.phones = _typed_list(raw.get("Phones"), PHONE_FIELDS, "PhoneType", PHONE_TYPES, errors)
    if "ContactStatus" in raw:
        contact.status = text(raw.get("ContactStatus")) or "ACTIVE"
        if contact.status not in {"ACTIVE", "ARCHIVED"}:
            errors.append(f"ContactStatus '{contact.status}' is not valid")
    if errors:
        return ContactResult(raw, errors=errors)
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError:
        return ContactResult(raw, errors=[_duplicate_message(contact.name)])
    return ContactResult(raw, contact=contact)


def contacts_save(*, organisation: Organisation, payloads: list[Any], update: bool) -> list[ContactResult]:
    """Create (PUT) or update-or-create by ContactID (POST) contacts; one result per element."""
    return [_save_one(organisation, raw if isinstance(raw, dict) else {}, update=update) for raw in payloads]
