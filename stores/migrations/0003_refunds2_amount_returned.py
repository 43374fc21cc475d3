"""Refund.amount_returned: the money that went back. Refunds recorded before it returned all of
their amount when a method was set, none otherwise."""

from decimal import Decimal
from typing import Any

import django.core.validators
from django.db import migrations, models
from django.db.models import F


def returned_as_before(apps: Any, schema_editor: Any) -> None:
    Refund = apps.get_model("stores", "Refund")
    Refund.objects.exclude(method="").update(amount_returned=F("amount"))


class Migration(migrations.Migration):
    dependencies = [
        ("stores", "0002_store_payments_refunds_lines"),
    ]

    operations = [
        migrations.AddField(
            model_name="refund",
            name="amount_returned",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("0.00"),
                max_digits=14,
                validators=[django.core.validators.MinValueValidator(Decimal("0"))],
            ),
        ),
        migrations.RunPython(returned_as_before, migrations.RunPython.noop),
    ]
