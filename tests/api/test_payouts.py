"""Gateway payouts through the Billing API: a card payout settling card payments, the same reference
again answering the payout already recorded, and every bad payout a 400 that saves nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from stores.models import Payment, Payout
from stores.payments import payment_record
from stores.services import invoice_create
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 2)


def paid_invoice(store, number: str, price: str, method: str) -> Payment:
    invoice = invoice_create(
        store=store, number=number, customer_name="Ada", issue_date=DAY, due_date=DAY,
        lines=[{"description": "Mug", "quantity": 1, "unit_price": Decimal(price), "tax_rate": Decimal("20")}],
    )  # fmt: skip
    return payment_record(invoice=invoice, amount=invoice.total, date=DAY, method=method)


@pytest.fixture
def card_payments(store):
    return [paid_invoice(store, "C-1", "50.00", "card"), paid_invoice(store, "C-2", "25.00", "Card ")]


def body(**fields):
    return {"reference": "po_1Q2w", "method": "card", "currency": "GBP", "date": "2026-11-04", "gross": "90.00",
            "fees": "2.61", "net": "87.39", **fields}  # fmt: skip


def test_a_card_payout_settles_its_payments_and_the_same_reference_is_not_a_second_one(api, store, card_payments):
    ids = [p.pk for p in card_payments]
    url = f"/api/v1/stores/{store.pk}/payouts/"

    created = api.post(url, body(payments=ids), format="json")

    assert created.status_code == 201, created.json()
    answer = created.json()
    assert {k: answer[k] for k in ("reference", "method", "gross", "fees", "net", "payments")} == {
        "reference": "po_1Q2w", "method": "card", "gross": "90.00", "fees": "2.61", "net": "87.39", "payments": ids,
    }  # fmt: skip
    assert set(Payment.objects.filter(payout_id=answer["id"]).values_list("pk", flat=True)) == set(ids)

    again = api.post(url, body(gross="1.00", fees="0.00", net="1.00"), format="json")
    assert (again.status_code, again.json()["id"], again.json()["gross"]) == (200, answer["id"], "90.00")
    assert Payout.objects.count() == 1
    assert api.get(f"/api/v1/payouts/{answer['id']}/").json()["payments"] == ids
    assert [p["reference"] for p in api.get(url).json()["results"]] == ["po_1Q2w"]


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"net": "87.40"}, {"net": ["gross − fees is 87.39, not 87.40: the payout does not add up."]}),
        ({"currency": "EUR"},
         {"currency": ["The store's currency is GBP: a payout in EUR cannot settle its payments."]}),
        ({"fees": "2.615", "net": "87.385"}, {"fees": ["GBP amounts have 2 decimal places at most."],
                                              "net": ["GBP amounts have 2 decimal places at most."]}),
        ({"gross": "0", "fees": "0", "net": "0"}, {"gross": ["The amount must be more than zero."],
                                                   "net": ["The amount must be more than zero."]}),
        ({"fees": "-1.00", "net": "91.00"}, {"fees": ["The amount cannot be negative."]}),
        ({"reference": "  "}, {"reference": ["This field may not be blank."]}),
        ({"gross": "75.00", "net": "72.39"},
         {"payments": ["The payments add up to 90.00, not the payout's gross 75.00."]}),
    ],
)  # fmt: skip
def test_a_bad_payout_is_a_400_that_saves_nothing(api, store, card_payments, fields, errors):
    answer = api.post(f"/api/v1/stores/{store.pk}/payouts/", body(payments=[p.pk for p in card_payments], **fields),
                      format="json")  # fmt: skip

    assert answer.status_code == 400
    assert answer.json() == errors
    assert not Payout.objects.exists()
    assert not Payment.objects.filter(payout__isnull=False).exists()


def test_payments_of_another_store_method_or_payout_are_refused(api, store, organization, card_payments):
    paypal = paid_invoice(store, "P-1", "10.00", "paypal")
    elsewhere = paid_invoice(StoreFactory.create(organization=organization, name="Second", currency="GBP"), "E-1",
                             "10.00", "card")  # fmt: skip
    url = f"/api/v1/stores/{store.pk}/payouts/"
    answer = api.post(url, body(payments=[card_payments[0].pk, paypal.pk, elsewhere.pk], gross="84.00", net="81.39"),
                      format="json")  # fmt: skip
    assert answer.status_code == 400
    assert answer.json() == {
        "payments": [
            f"Payments {elsewhere.pk} are not payments of this store. Payments {paypal.pk} were not made by card."
        ]
    }

    assert (
        api.post(url, body(payments=[card_payments[0].pk], gross="60.00", net="57.39"), format="json").status_code
        == 201
    )
    taken = api.post(url, body(reference="po_2", payments=[card_payments[0].pk], gross="60.00", net="57.39"),
                     format="json")  # fmt: skip
    assert taken.json() == {"payments": [f"Payments {card_payments[0].pk} are already in another payout."]}
    assert Payout.objects.count() == 1


def test_a_zero_decimal_currency_refuses_cents_and_another_organization_sees_nothing(api, organization, other_store):
    yen = StoreFactory.create(organization=organization, name="Tokyo", currency="JPY")
    answer = api.post(f"/api/v1/stores/{yen.pk}/payouts/", body(currency="JPY", gross="1000.5", fees="0", net="1000.5"),
                      format="json")  # fmt: skip
    assert answer.json() == {"gross": ["JPY amounts have 0 decimal places at most."],
                             "net": ["JPY amounts have 0 decimal places at most."]}  # fmt: skip
    theirs, _ = Payout.objects.get_or_create(
        store=other_store, reference="po_x", defaults={"method": "card", "currency": "EUR", "date": DAY,
                                                        "gross": Decimal(1), "fees": Decimal(0), "net": Decimal(1)},
    )  # fmt: skip
    assert api.get(f"/api/v1/payouts/{theirs.pk}/").status_code == 404
    assert api.get(f"/api/v1/stores/{other_store.pk}/payouts/").status_code == 404
