"""Find or create the Xero contact of each customer of a batch, with as few calls as possible.

A customer is found by e-mail, then by name (OR-joined look-ups split by the URL budget); the
missing ones are created in one batch. A name already taken by another contact (another e-mail)
gets a disambiguating suffix, because Xero requires names to be unique. What is found is
remembered per organisation (`XeroContactLink`), so each customer costs calls once.

A high-volume organisation refuses OR-joined filters; one GET per customer would spend a
Starter app's 1,000 calls a day on a backfill of 1,000 customers. There the missing contacts of
a batch are created first, and only the names Xero reports as taken are looked up, one
single-value `Name==` filter each (a field Xero serves efficiently). A batch with only a few new
customers (the daily trickle) looks each up by e-mail first (`SINGLE_LOOKUPS`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from accounting.providers.xero import mapping
from accounting.providers.xero.answers import element_refusal
from accounting.providers.xero.client import XeroClient
from accounting.providers.xero.errors import XeroBudgetExhausted, XeroHighVolume
from channels_portal.locks import named_lock

from .facts import organisation_is_high_volume, organisation_mark_high_volume
from .models import XeroContactLink

BUSY_WAIT = 0.5
# In a high-volume organisation, a batch with at most this many new customers looks each one up
# by e-mail (one call each); a larger one (a backfill) creates them first.
SINGLE_LOOKUPS = 3


class ContactsBusy(XeroBudgetExhausted):
    """Another lane holds the organisation's contact lock: nothing was sent; try again shortly."""


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
    missing = [c for key, c in wanted.items() if key not in found]
    taken: set[str] = set()
    looked_up: dict[str, str] = {}
    if missing and organisation_is_high_volume(tenant_id=tenant):
        if len(missing) <= SINGLE_LOOKUPS:  # a few new customers: one e-mail each, as Xero serves them
            looked_up = _find_each_by_email(client=client, customers=[c for c in missing if c.email])
    elif missing:
        try:
            looked_up = _find_by_email(client=client, customers=[c for c in missing if c.email])
            by_name, taken = _find_by_name(client=client, customers=[c for c in missing if c.key not in looked_up])
            looked_up.update(by_name)
        except XeroHighVolume:
            organisation_mark_high_volume(tenant_id=tenant)  # narrow from now on: create first
    found.update(looked_up)
    _remember(tenant=tenant, customers=wanted, contact_ids=looked_up)
    to_create = [c for key, c in wanted.items() if key not in found]
    errors: dict[str, str] = {}
    if to_create:
        created, errors = _create(client=client, customers=to_create, taken=taken)
        found.update(created)
        _remember(tenant=tenant, customers=wanted, contact_ids=created)
    return ContactResolution(contact_ids=found, errors=errors)


def _find_by_email(*, client: XeroClient, customers: list[Customer]) -> dict[str, str]:
    found: dict[str, str] = {}
    for contact in client.contacts_matching(field="EmailAddress", values=[c.email for c in customers]):
        email = (contact.email_address or "").lower()
        for customer in customers:
            if customer.email.lower() == email and customer.key not in found:
                found[customer.key] = contact.contact_id
    return found


def _find_each_by_email(*, client: XeroClient, customers: list[Customer]) -> dict[str, str]:
    found: dict[str, str] = {}
    for customer in customers:
        for contact in client.contacts_equal(field="EmailAddress", value=customer.email):
            if (contact.email_address or "").lower() == customer.email.lower():
                found.setdefault(customer.key, contact.contact_id)
    return found


def _find_by_name(*, client: XeroClient, customers: list[Customer]) -> tuple[dict[str, str], set[str]]:
    """Return the contacts found by name, and the names taken by someone with another e-mail."""
    contacts = client.contacts_matching(field="Name", values=[c.name for c in customers]) if customers else []
    return _match_names(customers=customers, contacts=contacts)


def _match_names(*, customers: list[Customer], contacts: list) -> tuple[dict[str, str], set[str]]:
    found: dict[str, str] = {}
    taken: set[str] = set()
    for contact in contacts:
        for customer in customers:
            if customer.name != contact.name or customer.key in found:
                continue
            their_email = (contact.email_address or "").lower()
            if customer.email and their_email and their_email != customer.email.lower():
                taken.add(customer.name)
            else:
                found[customer.key] = contact.contact_id
    return found, taken


def _create(*, client: XeroClient, customers: list[Customer], taken: set[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Create the contacts in batches; a name Xero reports as taken is looked up alone: the
    customer's own contact (same e-mail) is adopted, another's makes the next try carry a
    disambiguated name."""
    created: dict[str, str] = {}
    errors: dict[str, str] = {}
    level = {c.key: 1 if c.name in taken else 0 for c in customers}
    pending = list(customers)
    for _round in range(CREATE_ROUNDS):
        names = {c.key: _name(c, level[c.key]) for c in pending}
        payloads = [mapping.contact_payload(name=names[c.key], email=c.email) for c in pending]
        key = "cp-contacts-" + hashlib.sha256("|".join(sorted(names.values())).encode()).hexdigest()[:64]
        elements = client.contacts_create(contacts=payloads, idempotency_key=key)
        clashes: list[Customer] = []
        for customer, element in zip(pending, elements, strict=False):
            refusal = element_refusal(element)
            if refusal is None and element.contact_id:
                created[customer.key] = element.contact_id
            elif refusal is not None and refusal.name_taken:
                clashes.append(customer)
            else:
                reason = "; ".join(refusal.messages) if refusal else ""
                errors[customer.key] = reason or "Xero did not create the contact."
        pending = []
        for customer in clashes:
            own = _own_contact(client=client, customer=customer, name=names[customer.key])
            if own:
                created[customer.key] = own
            else:
                level[customer.key] += 1
                pending.append(customer)
        if not pending:
            break
    for customer in pending:
        errors[customer.key] = f"Xero already has contacts named {names[customer.key]!r} with other e-mail addresses."
    return created, errors


CREATE_ROUNDS = 3


def _name(customer: Customer, level: int) -> str:
    if level == 0:
        return customer.name
    return mapping.disambiguated_name(name=customer.name, email=customer.email, attempt=level)


def _own_contact(*, client: XeroClient, customer: Customer, name: str) -> str:
    """Return the ContactID of the contact named `name` when it is this customer's (same e-mail,
    or no e-mail on either side), else ""."""
    contacts = client.contacts_equal(field="Name", value=name)
    found, _taken = _match_names(customers=[Customer(name=name, email=customer.email)], contacts=contacts)
    return next(iter(found.values()), "")


def _remember(*, tenant: str, customers: dict[str, Customer], contact_ids: dict[str, str]) -> None:
    XeroContactLink.objects.bulk_create(
        [
            XeroContactLink(tenant_id=tenant, customer_key=key, contact_id=cid, name=customers[key].name[:255])
            for key, cid in contact_ids.items()
            if key in customers
        ],
        ignore_conflicts=True,
    )
