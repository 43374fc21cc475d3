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
from dataclasses import dataclass, field
from typing import Any

from accounting.access.facts import organisation_is_high_volume, organisation_mark_high_volume
from accounting.providers.xero import mapping
from accounting.providers.xero.answers import element_refusal
from accounting.providers.xero.client import XeroClient
from accounting.providers.xero.errors import XeroBudgetExhausted, XeroHighVolume
from accounting.providers.xero.values import ContactField, RecordStatus, text
from accounting.sync.models import XeroContactLink
from channels_portal.locks import named_lock
from stores.models import Invoice

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
    number: str = ""  # the store's customer id: the contact's ContactNumber, its stable key
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    address: mapping.PostalAddress = field(default_factory=mapping.PostalAddress)

    @property
    def key(self) -> str:
        return mapping.customer_key(name=self.name, email=self.email, number=self.number)

    def payload(self, *, name: str) -> Any:
        return mapping.contact_payload(
            name=name, email=self.email, number=self.number, first_name=self.first_name,
            last_name=self.last_name, phone=self.phone, address=self.address,
        )  # fmt: skip


def customer_of(invoice: Invoice) -> Customer:
    """Return the customer of a store invoice, with the details the store has."""
    return Customer(
        name=invoice.customer_name,
        email=invoice.customer_email,
        number=invoice.customer_id.strip(),
        first_name=invoice.customer_first_name,
        last_name=invoice.customer_last_name,
        phone=invoice.customer_phone,
        address=mapping.PostalAddress(
            line1=invoice.customer_address_line1,
            line2=invoice.customer_address_line2,
            city=invoice.customer_city,
            region=invoice.customer_region,
            postal_code=invoice.customer_postal_code,
            country=invoice.customer_country,
        ),
    )


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
    high_volume = organisation_is_high_volume(tenant_id=tenant)
    numbered = [c for c in missing if c.number]
    if numbered and (not high_volume or len(missing) <= SINGLE_LOOKUPS):
        try:
            looked_up = _find_by_number(client=client, customers=numbered, one_by_one=high_volume)
        except XeroHighVolume:
            organisation_mark_high_volume(tenant_id=tenant)
            high_volume = True
            if len(missing) <= SINGLE_LOOKUPS:
                looked_up = _find_by_number(client=client, customers=numbered, one_by_one=True)
        missing = [c for c in missing if c.key not in looked_up]
    if missing and high_volume:
        if len(missing) <= SINGLE_LOOKUPS:  # a few new customers: one e-mail each, as Xero serves them
            looked_up.update(_find_each_by_email(client=client, customers=[c for c in missing if c.email]))
    elif missing:
        try:
            looked_up.update(_find_by_email(client=client, customers=[c for c in missing if c.email]))
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


def _find_by_number(*, client: XeroClient, customers: list[Customer], one_by_one: bool) -> dict[str, str]:
    """Return the contacts whose ContactNumber is a customer's id, archived ones included: an
    archived one is made active again and reused, never duplicated.

    OR-joined `where` filters split by the URL budget; `one_by_one` (a high-volume organisation,
    which does not serve ContactNumber filters) asks `GET /Contacts/{ContactNumber}` for each."""
    by_number = {c.number: c for c in customers}
    if one_by_one:
        contacts = [c for c in (client.contact_by_number(number=n) for n in by_number) if c is not None]
    else:
        contacts = client.contacts_numbered(numbers=list(by_number))
    found: dict[str, str] = {}
    archived: list[tuple[Customer, str]] = []
    for contact in contacts:
        customer = by_number.get(contact.contact_number or "")
        if customer is None or customer.key in found or not contact.contact_id:
            continue
        found[customer.key] = str(contact.contact_id)
        if text(contact.contact_status) == RecordStatus.ARCHIVED:
            archived.append((customer, str(contact.contact_id)))
    for customer, contact_id in archived:
        if not _reactivate(client=client, contact_id=contact_id):
            found.pop(customer.key, None)  # its name is taken by an active contact: create anew
    return found


def _reactivate(*, client: XeroClient, contact_id: str) -> bool:
    """Make an archived contact active again (Xero refuses invoices to archived contacts)."""
    key = f"cp-contact-active-{contact_id}"
    active = mapping.contact_reactivation_payload(contact_id=contact_id)
    elements = client.contacts_update(contacts=[active], idempotency_key=key)
    return bool(elements) and element_refusal(elements[0]) is None


def _find_by_email(*, client: XeroClient, customers: list[Customer]) -> dict[str, str]:
    found: dict[str, str] = {}
    for contact in client.contacts_matching(field=ContactField.EMAIL, values=[c.email for c in customers]):
        email = (contact.email_address or "").lower()
        for customer in customers:
            if customer.email.lower() == email and customer.key not in found:
                found[customer.key] = contact.contact_id
    return found


def _find_each_by_email(*, client: XeroClient, customers: list[Customer]) -> dict[str, str]:
    found: dict[str, str] = {}
    for customer in customers:
        for contact in client.contacts_equal(field=ContactField.EMAIL, value=customer.email):
            if (contact.email_address or "").lower() == customer.email.lower():
                found.setdefault(customer.key, contact.contact_id)
    return found


def _find_by_name(*, client: XeroClient, customers: list[Customer]) -> tuple[dict[str, str], set[str]]:
    """Return the contacts found by name, and the names taken by someone with another e-mail."""
    if not customers:
        return {}, set()
    contacts = client.contacts_matching(field=ContactField.NAME, values=[c.name for c in customers])
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
        payloads = []
        for customer in list(pending):
            try:
                payloads.append(customer.payload(name=names[customer.key]))
            except mapping.MappingError as exc:
                errors[customer.key] = str(exc)
                pending.remove(customer)
        if not pending:
            break
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
    contacts = client.contacts_equal(field=ContactField.NAME, value=name)
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
