"""Billing API: a store's reconciliation with Xero for a range of dates (run in the background).

`GET /api/v1/stores/{store_id}/reconciliation/?date_from=YYYY-MM-DD&date_to=YYYY-MM-DD` starts one
(or finds the one asked within the last minutes) and answers 202 with its `Location` while it
runs, 200 with its totals and differences once done; `GET /api/v1/reconciliations/{id}/` follows it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounting.checks.reconcile.run import reconciliation_start
from accounting.models import AccountingChannel
from accounting.sync.models import Reconciliation, ReconciliationState
from api.schema import FIELD_ERRORS
from api.views import BillingApiView, StoreScopedView
from channels_portal.tenancy import get_in_organization


class ReconciliationQuerySerializer(serializers.Serializer):
    date_from = serializers.DateField(help_text="The first store day of the range (YYYY-MM-DD).")
    date_to = serializers.DateField(help_text="The last store day of the range (YYYY-MM-DD), at most 366 days on.")
    channel = serializers.IntegerField(
        required=False, help_text="The accounting channel (default: the store's first connected one)."
    )


class RecordSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="invoice, payment, refund, payout or summary")
    id = serializers.IntegerField()
    number = serializers.CharField(help_text="An invoice number (a payment's or refund's invoice), a payout reference.")
    date = serializers.CharField()


class DifferenceSerializer(serializers.Serializer):
    kind = serializers.CharField(
        help_text="missing_in_xero, total_differs, voided_in_xero, deleted_in_xero, void_in_store_only, "
        "paid_in_xero_not_store, paid_in_store_not_xero, payment_missing, credit_note_missing, payout_missing"
    )
    record = RecordSerializer()
    store = serializers.DictField(child=serializers.CharField(), help_text="The store's values.")
    xero = serializers.DictField(child=serializers.CharField(), help_text="Xero's values ({} when Xero holds none).")
    message = serializers.CharField()
    actions = serializers.ListField(child=serializers.CharField(), help_text="send, accept, open")
    xero_url = serializers.CharField(allow_blank=True)
    done = serializers.CharField(required=False, help_text="What an operator did about it, if anything.")


class SideTotalsSerializer(serializers.Serializer):
    invoices = serializers.DecimalField(max_digits=16, decimal_places=2)
    payments = serializers.DecimalField(max_digits=16, decimal_places=2)
    refunds = serializers.DecimalField(max_digits=16, decimal_places=2)
    payouts = serializers.DecimalField(max_digits=16, decimal_places=2)


class DayTotalsSerializer(serializers.Serializer):
    date = serializers.DateField()
    currency = serializers.CharField()
    store = SideTotalsSerializer()
    xero = SideTotalsSerializer()
    differs = serializers.BooleanField()


class ReconciliationSerializer(serializers.ModelSerializer):
    channel = serializers.IntegerField(source="channel_id")
    totals = DayTotalsSerializer(many=True)
    differences = DifferenceSerializer(many=True)

    class Meta:
        model = Reconciliation
        fields = [
            "id", "channel", "date_from", "date_to", "state", "step", "records", "estimate_calls", "calls",
            "bytes_read", "read_since", "error", "created_at", "started_at", "finished_at", "totals", "differences",
        ]  # fmt: skip


def reconciliation_answer(reconciliation: Reconciliation) -> Response:
    """200 with the reconciliation once it ended; 202 with its `Location` while it runs."""
    running = reconciliation.state in (ReconciliationState.QUEUED, ReconciliationState.RUNNING)
    answer = Response(
        ReconciliationSerializer(reconciliation).data,
        status=status.HTTP_202_ACCEPTED if running else status.HTTP_200_OK,
    )
    if running:
        answer["Location"] = reverse("api-reconciliation", args=[reconciliation.pk])
    return answer


class StoreReconciliationView(StoreScopedView):
    """Reconcile the store's books with Xero for a range of dates."""

    api_tag = "Reconciliation"
    serializer_class = ReconciliationSerializer

    @extend_schema(
        parameters=[ReconciliationQuerySerializer],
        responses={
            200: ReconciliationSerializer,
            202: ReconciliationSerializer,
            400: OpenApiResponse(
                FIELD_ERRORS, description="A bad range, or no accounting channel able to read Xero: messages by field."
            ),
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        store = self.store  # another organization's store is a 404 first
        query = ReconciliationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        channels = AccountingChannel.objects.filter(store=store).defer("client_secret", "token_set")
        if "channel" in query.validated_data:
            channel = channels.filter(pk=query.validated_data["channel"]).first()
            if channel is None:
                raise serializers.ValidationError({"channel": ["The store has no such accounting channel."]})
        else:
            channel = next((c for c in channels.order_by("pk") if c.is_connected), None)
            if channel is None:
                raise serializers.ValidationError(
                    {"non_field_errors": ["The store has no accounting channel connected to Xero."]}
                )
        try:
            reconciliation = reconciliation_start(
                channel=channel,
                date_from=query.validated_data["date_from"],
                date_to=query.validated_data["date_to"],
                by=str(self.request.user)[:150],
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError({"non_field_errors": error.messages}) from None
        return reconciliation_answer(reconciliation)


class ReconciliationDetailView(BillingApiView):
    """One reconciliation: 202 while it runs, 200 with its totals and differences once done."""

    api_tag = "Reconciliation"
    serializer_class = ReconciliationSerializer

    @extend_schema(
        parameters=[OpenApiParameter("reconciliation_id", int, OpenApiParameter.PATH)],
        responses={200: ReconciliationSerializer, 202: ReconciliationSerializer},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        reconciliation = get_in_organization(
            Reconciliation.objects.all(),
            organization=self.organization,
            path="channel__store__organization",
            pk=self.kwargs["reconciliation_id"],
        )
        return reconciliation_answer(reconciliation)
