"""Contacts: GET (where, searchTerm, IDs, includeArchived, If-Modified-Since, paging), PUT create, POST upsert."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.db.models import Q

from xero_sandbox.api.render import contact_json
from xero_sandbox.api.responses import envelope, not_found
from xero_sandbox.models import Contact
from xero_sandbox.services.contacts import contacts_save

from .common import ApiError, Call, batch_answer, changed_since, filtered, paged
from .high_volume import CONTACTS, high_volume_check

FIELDS = {
    "Name": "name",
    "FirstName": "first_name",
    "LastName": "last_name",
    "EmailAddress": "email_address",
    "AccountNumber": "account_number",
    "ContactNumber": "contact_number",
    "ContactStatus": "status",
    "ContactID": "contact_id",
    "IsCustomer": "is_customer",
}


def _ids(raw: str) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(part.strip()) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise ApiError(
            400, {"ErrorNumber": 16, "Type": "QueryParseException", "Message": "IDs must be GUIDs"}
        ) from None


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _get(call: Call) -> tuple[int, dict[str, Any]]:
    contacts = Contact.objects.filter(organisation=call.organisation)
    if call.ident and not _is_guid(call.ident):
        # GET /Contacts/{ContactNumber} (the spec's getContactByContactNumber): one contact,
        # whatever its status, by the number an integration gave it.
        found = contacts.filter(contact_number=call.ident).first()
        if found is None:
            raise ApiError(404, not_found())
        return 200, envelope("Contacts", [contact_json(found)])
    if call.ident:
        found = contacts.filter(contact_id__in=_ids(call.ident)).first()
        if found is None:
            raise ApiError(404, not_found())
        return 200, envelope("Contacts", [contact_json(found)])
    high_volume_check(call, rules=CONTACTS, fields=FIELDS, records=contacts)
    if call.query.get("IDs"):
        contacts = contacts.filter(contact_id__in=_ids(call.query.get("IDs", "")))
    if call.query.get("includeArchived", "false").lower() != "true":
        contacts = contacts.filter(status="ACTIVE")
    contacts = changed_since(call, contacts)
    term = (call.query.get("searchTerm") or call.query.get("SearchTerm") or "").strip()
    if term:
        contacts = contacts.filter(
            Q(name__icontains=term)
            | Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(email_address__icontains=term)
            | Q(contact_number__icontains=term)
        )
    contacts, pagination = paged(call, filtered(call, contacts, FIELDS))
    return 200, envelope("Contacts", [contact_json(c) for c in contacts], **pagination)


def contacts_handle(call: Call) -> tuple[int, dict[str, Any]]:
    if call.method == "GET":
        return _get(call)
    records = call.records("Contacts")
    if call.ident and call.method == "POST":
        records = [{**records[0], "ContactID": call.ident}] if isinstance(records[0], dict) else records
    with transaction.atomic():
        results = contacts_save(organisation=call.organisation, payloads=records, update=call.method == "POST")
    return batch_answer(
        call, "Contacts", [(contact_json(r.contact) if r.contact else None, r.submitted, r.errors) for r in results]
    )
