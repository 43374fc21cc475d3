"""Find or create the Xero contact of each customer of a batch, with as few calls as possible.

A customer is found by e-mail, then by name; the missing ones are created in one batch. A name
already taken by another contact (another e-mail) gets a disambiguating suffix, because Xero
requires names to be unique. What is found is remembered per organisation (`XeroContactLink`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from accounting.providers.xero import mapping
from accounting.providers.xero.client import XeroClient
from accounting.providers.xero.errors import XeroBudgetExhausted
from channels_portal.locks import named_lock

from .models import XeroContactLink

LOOKUP_CHUNK = 50
BUSY_WAIT = 0.5


class ContactsBusy(XeroBudgetExhausted):
    """Another lane holds the organisation's contact lock: nothing was sent; try again shortly."""


NAME_TAKEN = "already assigned to another contact"


@dataclass(frozen=True)
class Customer:
    name: str
    email: str

    @property
    def key(self) -> str:
        return mapping.customer_key(name=self.name, email=self.email)


@dataclass
class ContactResolution:
    contact_ids: dict[str, str]  # customer key → ContactID
    errors: dict[str, str]  # customer key → Xero's reason it could not be created


def contacts_resolve(*, client: XeroClient, customers: list[Customer]) -> ContactResolution:
    """Return the ContactID of every customer, creating the missing contacts in Xero."""
    wanted = {c.key: c for c in customers}
    found = _linked(tenant=client.tenant_id, keys=list(wanted))
    if len(found) == len(wanted):
        return ContactResolution(contact_ids=found, errors={})
    # One lane at a time creates contacts in an organisation; the next one finds them linked.
    # A lane that finds the lock taken does not wait on it (that would hold a worker thread):
    # its rows go back for a moment, like a refused call. No transaction stays open across
    # the calls to Xero (see channels_portal.locks).
    with named_lock(f"xero-contacts:{client.tenant_id}", wait=False) as taken:
        if not taken:
            raise ContactsBusy("Another lane is creating this organisation's contacts.", retry_after=BUSY_WAIT)
        return _resolve_missing(client=client, wanted=wanted)


def _linked(*, tenant: str, keys: list[str]) -> dict[str, str]:
    links = XeroContactLink.objects.filter(tenant_id=tenant, customer_key__in=keys)
    return {link.customer_key: link.contact_id for link in links}


def _resolve_missing(*, client: XeroClient, wanted: dict[str, Customer]) -> ContactResolution:
    tenant = client.tenant_id
    found = _linked(tenant=tenant, keys=list(wanted))
    linked = set(found)
    missing = [c for key, c in wanted.items() if key not in found]
    taken: set[str] = set()
    if missing:
        found.update(_find_by_email(client=client, customers=[c for c in missing if c.email]))
        by_name, taken = _find_by_name(client=client, customers=[c for c in missing if c.key not in found])
        found.update(by_name)
        _remember(tenant=tenant, customers=wanted, contact_ids={k: v for k, v in found.items() if k not in linked})
    to_create = [c for key, c in wanted.items() if key not in found]
    errors: dict[str, str] = {}
    if to_create:
        created, errors = _create(client=client, customers=to_create, taken=taken)
        found.update(created)
        _remember(tenant=tenant, customers=wanted, contact_ids=created)
    return ContactResolution(contact_ids=found, errors=errors)


def _find_by_email(*, client: XeroClient, customers: list[Customer]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(customers), LOOKUP_CHUNK):
        chunk = customers[start : start + LOOKUP_CHUNK]
        for contact in client.contacts_where(where=mapping.where_any("EmailAddress", [c.email for c in chunk])):
            email = (contact.email_address or "").lower()
            for customer in chunk:
                if customer.email.lower() == email and customer.key not in found:
                    found[customer.key] = contact.contact_id
    return found


def _find_by_name(*, client: XeroClient, customers: list[Customer]) -> tuple[dict[str, str], set[str]]:
    """Return the contacts found by name, and the names taken by someone with another e-mail."""
    found: dict[str, str] = {}
    taken: set[str] = set()
    for start in range(0, len(customers), LOOKUP_CHUNK):
        chunk = customers[start : start + LOOKUP_CHUNK]
        for contact in client.contacts_where(where=mapping.where_any("Name", [c.name for c in chunk])):
            for customer in chunk:
                if customer.name != contact.name or customer.key in found:
                    continue
                their_email = (contact.email_address or "").lower()
                if customer.email and their_email and their_email != customer.email.lower():
                    taken.add(customer.name)
                else:
                    found[customer.key] = contact.contact_id
    return found, taken


def _create(*, client: XeroClient, customers: list[Customer], taken: set[str]) -> tuple[dict[str, str], dict[str, str]]:
    created: dict[str, str] = {}
    errors: dict[str, str] = {}
    pending = list(customers)
    for attempt in (1, 2):
        names = {
            c.key: mapping.disambiguated_name(name=c.name, email=c.email, attempt=attempt)
            if (c.name in taken or attempt > 1)
            else c.name
            for c in pending
        }
        payloads = [mapping.contact_payload(name=names[c.key], email=c.email) for c in pending]
        key = "cp-contacts-" + hashlib.sha256("|".join(sorted(names.values())).encode()).hexdigest()[:64]
        elements = client.contacts_create(contacts=payloads, idempotency_key=key)
        retry: list[Customer] = []
        for customer, element in zip(pending, elements, strict=False):
            messages = mapping.element_errors(element)
            if not messages and element.contact_id:
                created[customer.key] = element.contact_id
            elif attempt == 1 and any(NAME_TAKEN in m for m in messages):
                retry.append(customer)
            else:
                errors[customer.key] = "; ".join(messages) or "Xero did not create the contact."
        if not retry:
            break
        pending = retry
    return created, errors


def _remember(*, tenant: str, customers: dict[str, Customer], contact_ids: dict[str, str]) -> None:
    XeroContactLink.objects.bulk_create(
        [
            XeroContactLink(tenant_id=tenant, customer_key=key, contact_id=cid, name=customers[key].name[:255])
            for key, cid in contact_ids.items()
            if key in customers
        ],
        ignore_conflicts=True,
    )
