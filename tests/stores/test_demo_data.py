"""`manage.py load_demo_data`: the demo tenant, its second neighbour, and idempotency."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from organizations.models import Membership, Organization
from stores.models import Invoice, InvoiceLine, Payment, Payout, Product, Refund, Store

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_server(settings):
    """The command runs only on a development machine or a demo server (DEMO_MODE)."""
    settings.DEMO_MODE = True


def _load() -> str:
    out = StringIO()
    call_command("load_demo_data", stdout=out)
    return out.getvalue()


def _counts() -> tuple[int, ...]:
    models = (Organization, Membership, Store, Product, Invoice, InvoiceLine, Payment, Refund)
    return tuple(m.objects.count() for m in models)


def test_demo_data_prints_the_credentials_and_they_log_in(client):
    output = _load()
    assert output.splitlines()[-2:] == ["  username: demo", "  password: demo-password-2026"]
    response = client.post(reverse("login"), {"username": "demo", "password": "demo-password-2026"}, follow=True)
    stores = [s.name for s in response.context["stores"]]
    assert stores == ["High Street Shop", "Online Outlet"]


def test_demo_organization_has_two_stores_with_variants_and_true_invoices():
    _load()
    demo = Organization.objects.get(name="Demo Retail Ltd")
    assert Membership.objects.get(organization=demo, user__username="demo").role == "owner"
    shop = Store.objects.get(organization=demo, name="High Street Shop")
    tee = shop.products.get(sku="TEE-CLASSIC")
    assert sorted(tee.variants.values_list("sku", flat=True)) == ["TEE-CLASSIC-L", "TEE-CLASSIC-M", "TEE-CLASSIC-S"]
    # HS-1002: 3 × 22.00 less 10% = 59.40 (+11.88 tax) and 12.00 (+2.40 tax).
    invoice = shop.invoices.get(number="HS-1002")
    assert (invoice.subtotal, invoice.total_tax, invoice.total) == (
        Decimal("71.40"),
        Decimal("14.28"),
        Decimal("85.68"),
    )
    assert demo.stores.count() == 2
    assert Invoice.objects.filter(store__organization=demo).count() == 7


def test_a_second_organization_shows_tenancy():
    _load()
    harbour = Organization.objects.get(name="Harbour Goods Co")
    assert list(harbour.stores.values_list("name", flat=True)) == ["Harbour Goods Online"]
    assert Membership.objects.get(organization=harbour, user__username="demo").role == "operator"
    assert Membership.objects.get(organization=harbour, user__username="harbour").role == "owner"


def test_loading_twice_changes_nothing():
    _load()
    first = _counts()
    _load()
    assert _counts() == first == (2, 3, 3, 12, 8, 18, 2, 1)


def test_loading_again_restores_the_demo_password(client):
    _load()
    from django.contrib.auth import get_user_model

    demo = get_user_model().objects.get(username="demo")
    demo.set_password("changed-by-someone")
    demo.save()
    _load()
    response = client.post(reverse("login"), {"username": "demo", "password": "demo-password-2026"})
    assert response["Location"] == reverse("stores:list")


def test_the_demo_stores_card_payments_are_settled_by_payouts_net_of_fees():
    _load()
    payouts = {p.reference: p for p in Payout.objects.all()}
    assert sorted(payouts) == ["po_demo_hs_0001", "po_demo_oo_0001"]
    for payout in payouts.values():
        [payment] = payout.payments.all()
        assert (payout.method, payout.gross) == ("card", payment.amount)
        assert payout.fees == (payment.amount * Decimal("0.015") + Decimal("0.20")).quantize(Decimal("0.01"))
        assert payout.net == payout.gross - payout.fees
    _load()
    assert Payout.objects.count() == 2
