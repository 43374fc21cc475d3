"""Billing API views: thin; reads through stores.selectors, writes through stores.services.

Every object is reached from the API key's organization (`store_for_member`,
`product_for_member`, `invoice_for_member`), so another organization's ids answer 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, generics, permissions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from accounting.models import AccountingChannel
from accounting.sync.ledger.badges import sync_badges_for
from accounting.sync.ledger.daily import summary_page
from accounting.sync.models import DailySummary, RecordKind
from api import limits
from api.filters import InvoiceFilters, ProductFilters, filter_invoices, filter_products
from api.invoice_serializers import (
    InvoiceInputSerializer,
    InvoiceSerializer,
    PaymentInputSerializer,
    RefundInputSerializer,
)
from api.limits import ApiKeyThrottle, CappedJSONParser, FailedAuthenticationThrottle, OrganizationThrottle
from api.schema import BillingApiSchema
from api.serializers import (
    AccountingChannelSerializer,
    DailySummarySerializer,
    PayoutInputSerializer,
    PayoutSerializer,
    ProductInputSerializer,
    ProductSerializer,
    StoreSerializer,
    product_fields,
)
from channels_portal.tenancy import get_in_organization
from organizations.authentication import ApiKeyAuthentication, ApiKeyPrincipal
from organizations.models import Organization
from stores import payments, selectors, services
from stores.models import Invoice, Payout, Product, Store
from stores.payouts import payout_record

T = TypeVar("T")


class BillingApiPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any] | None:
        """Refuse (400) a `page` or `page_size` that is not a whole number from 1, instead of reading
        "1.0" as 1 or ignoring it (`page=last` stays, as DRF documents it)."""
        for name in (self.page_query_param, self.page_size_query_param):
            raw = request.query_params.get(name)
            if raw is None or (name == self.page_query_param and raw in self.last_page_strings):
                continue
            if not (raw.isascii() and raw.isdigit() and int(raw) > 0):
                raise serializers.ValidationError({name: ["Give a whole number from 1."]})
        return super().paginate_queryset(queryset, request, view)


class HasOrganizationApiKey(permissions.BasePermission):
    """Allow only callers authenticated by an organization API key (never a portal session)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, ApiKeyPrincipal)


class BillingApiView(generics.GenericAPIView):
    """Base of every Billing API view: API key authentication, the key's organization."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasOrganizationApiKey]
    # Invoices nest their lines: JSON only, form encodings cannot carry them. Bodies are capped.
    parser_classes = [CappedJSONParser]
    # Per key and per organization (429 with Retry-After), counted in the shared cache; failed
    # authentications per client address are checked before authentication (below).
    throttle_classes = [ApiKeyThrottle, OrganizationThrottle]
    # A Bearer-key API has no use for DRF's browsable HTML pages (a browser cannot send the key).
    renderer_classes = [JSONRenderer]
    pagination_class = BillingApiPagination
    schema = BillingApiSchema()

    def check_throttles(self, request: Request) -> None:
        limits.check_throttles(throttles=self.get_throttles(), request=request, view=self)

    def perform_authentication(self, request: Request) -> None:
        # An address that failed too often is refused before its key is looked up.
        FailedAuthenticationThrottle().check(request=request, view=self)
        super().perform_authentication(request)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            # A wrong, revoked or malformed key (authentication), or none (permission check).
            FailedAuthenticationThrottle().record_failure(request=self.request, view=self)
        return super().handle_exception(exc)

    @property
    def organization(self) -> Organization:
        principal = self.request.user
        assert isinstance(principal, ApiKeyPrincipal)  # guaranteed by HasOrganizationApiKey
        return principal.organization

    @property
    def schema_only(self) -> bool:
        """Return whether drf-spectacular is inspecting the view (no request, no key)."""
        return getattr(self, "swagger_fake_view", False)


class StoreScopedView(BillingApiView):
    """A view under `stores/{store_id}/`: the store must belong to the key's organization."""

    @cached_property
    def store(self) -> Store:
        return selectors.store_for_member(organization=self.organization, store_id=self.kwargs["store_id"])


def run_service(service: Callable[..., T], **kwargs: Any) -> T:
    """Call a write service, answering 400 with field errors if the model refuses the data."""
    try:
        return service(**kwargs)
    except DjangoValidationError as error:
        detail = serializers.as_serializer_error(error)
        if NON_FIELD_ERRORS in detail:
            detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
        raise serializers.ValidationError(detail) from None
    except IntegrityError:
        # A parallel request took the same SKU or number between validation and insert. The
        # service's savepoint is rolled back, so the request's transaction is still usable.
        raise serializers.ValidationError(
            {"non_field_errors": ["Another request saved a record with the same SKU or number; retry."]}
        ) from None


class StoreListView(BillingApiView, generics.ListAPIView):
    api_tag = "Stores"
    serializer_class = StoreSerializer

    def get_queryset(self) -> QuerySet[Store]:
        if self.schema_only:
            return Store.objects.none()
        return selectors.stores_of(organization=self.organization)


@extend_schema_view(
    get=extend_schema(parameters=[ProductFilters]),
    post=extend_schema(request=ProductInputSerializer, responses={201: ProductSerializer}),
)
class StoreProductsView(StoreScopedView, generics.ListCreateAPIView):
    api_tag = "Products"
    serializer_class = ProductSerializer

    def get_queryset(self) -> QuerySet[Product]:
        if self.schema_only:
            return Product.objects.none()
        return filter_products(selectors.products_of(store=self.store), params=self.request.query_params)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = ProductInputSerializer(data=request.data, context={"store": self.store})
        data.is_valid(raise_exception=True)
        product = run_service(services.product_create, store=self.store, **product_fields(data.validated_data))
        return Response(ProductSerializer(product).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    put=extend_schema(request=ProductInputSerializer, responses=ProductSerializer),
    patch=extend_schema(request=ProductInputSerializer, responses=ProductSerializer),
)
class ProductDetailView(BillingApiView, generics.RetrieveUpdateAPIView):
    api_tag = "Products"
    serializer_class = ProductSerializer

    def get_object(self) -> Product:
        return selectors.product_for_member(organization=self.organization, product_id=self.kwargs["product_id"])

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        product = self.get_object()
        context = {"store": product.store, "product": product}
        data = ProductInputSerializer(data=request.data, partial=kwargs.get("partial", False), context=context)
        data.is_valid(raise_exception=True)
        product = run_service(services.product_update, product=product, **product_fields(data.validated_data))
        return Response(ProductSerializer(product).data)


@extend_schema_view(
    get=extend_schema(parameters=[InvoiceFilters]),
    post=extend_schema(request=InvoiceInputSerializer, responses={201: InvoiceSerializer}),
)
class StoreInvoicesView(StoreScopedView, generics.ListCreateAPIView):
    api_tag = "Invoices"
    serializer_class = InvoiceSerializer

    def get_queryset(self) -> QuerySet[Invoice]:
        if self.schema_only:
            return Invoice.objects.none()
        invoices = selectors.invoices_of(store=self.store).prefetch_related("lines", "payments", "refunds__lines")
        return filter_invoices(invoices, params=self.request.query_params)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        assert page is not None  # always paginated
        context = {"sync": invoice_sync(store=self.store, invoices=page)}
        return self.get_paginated_response(InvoiceSerializer(page, many=True, context=context).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = InvoiceInputSerializer(data=request.data, context={"store": self.store})
        data.is_valid(raise_exception=True)
        invoice = run_service(services.invoice_create, store=self.store, **data.validated_data)
        return invoice_answer(organization=self.organization, invoice_id=invoice.pk, status=status.HTTP_201_CREATED)


@extend_schema_view(
    put=extend_schema(request=InvoiceInputSerializer, responses=InvoiceSerializer),
    patch=extend_schema(request=InvoiceInputSerializer, responses=InvoiceSerializer),
)
class InvoiceDetailView(BillingApiView, generics.RetrieveUpdateAPIView):
    """Read or change an invoice; given lines replace all its lines and the totals are recomputed."""

    api_tag = "Invoices"
    serializer_class = InvoiceSerializer

    def get_object(self) -> Invoice:
        return selectors.invoice_for_member(organization=self.organization, invoice_id=self.kwargs["invoice_id"])

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Lock the row until the change commits, so the checks below (e.g. "a paid invoice
        # cannot be changed") see the state that the change is applied to, not an older one.
        with transaction.atomic():
            invoice = get_in_organization(
                Invoice.objects.select_for_update(of=("self",)).select_related("store"),
                organization=self.organization,
                path="store__organization",
                pk=self.kwargs["invoice_id"],
            )
            context = {"store": invoice.store, "invoice": invoice}
            data = InvoiceInputSerializer(data=request.data, partial=kwargs.get("partial", False), context=context)
            data.is_valid(raise_exception=True)
            invoice = run_service(services.invoice_update, invoice=invoice, **data.validated_data)
        # Re-read: the prefetched lines are stale once the service has replaced them.
        return invoice_answer(organization=self.organization, invoice_id=invoice.pk)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return invoice_answer(organization=self.organization, invoice_id=self.kwargs["invoice_id"])


class InvoiceScopedView(BillingApiView):
    """A view under `invoices/{invoice_id}/`: the invoice must belong to the key's organization."""

    api_tag = "Invoices"
    serializer_class = InvoiceSerializer

    def invoice(self) -> Invoice:
        return get_in_organization(
            Invoice.objects.select_related("store"),
            organization=self.organization,
            path="store__organization",
            pk=self.kwargs["invoice_id"],
        )


@extend_schema_view(
    post=extend_schema(
        request=PaymentInputSerializer,
        responses={201: InvoiceSerializer},
        description="Record a payment of the invoice (partial payments too); the invoice becomes paid when its "
        "payments cover the total. Refused (400, nothing saved) for a draft or void invoice, or an amount that "
        "is not more than zero or is more than the amount due. Answers the invoice with its payments.",
    )
)
class InvoicePaymentsView(InvoiceScopedView):
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        invoice = self.invoice()
        data = PaymentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run_service(payments.payment_record, invoice=invoice, **data.validated_data)
        return invoice_answer(organization=self.organization, invoice_id=invoice.pk, status=status.HTTP_201_CREATED)


@extend_schema_view(
    post=extend_schema(
        request=RefundInputSerializer,
        responses={201: InvoiceSerializer},
        description="Record a refund of the invoice, by `amount` or by `lines`. It credits its amount, of which "
        "`amount_returned` went back to the customer as money by `method` (default: all of it with a method, "
        "none without); the rest lowers what the customer owes. Refused (400, nothing saved) for a draft or "
        "void invoice; when refunds would credit more than the invoice total; when the money returned is below "
        "zero, more than the refund, without a method, or more than was paid and not returned yet; when the "
        "part not returned is more than the amount due; or when a line's quantity or amount is more than what "
        "is left of it. Answers the invoice with its refunds.",
    )
)
class InvoiceRefundsView(InvoiceScopedView):
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        invoice = self.invoice()
        data = RefundInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run_service(payments.refund_record, invoice=invoice, **data.validated_data)
        return invoice_answer(organization=self.organization, invoice_id=invoice.pk, status=status.HTTP_201_CREATED)


def invoice_sync(*, store: Store, invoices: list[Invoice]) -> dict[int, Any]:
    """Return {invoice id: its sync badges, one per channel}: one query for all of `invoices`."""
    return sync_badges_for(store=store, kind=RecordKind.INVOICE, object_ids=[invoice.pk for invoice in invoices])


def invoice_answer(*, organization: Organization, invoice_id: object, status: int = status.HTTP_200_OK) -> Response:
    """Answer the invoice as it is now, with its lines, payments, refunds and sync state per channel."""
    invoice = selectors.invoice_for_member(organization=organization, invoice_id=invoice_id)
    context = {"sync": invoice_sync(store=invoice.store, invoices=[invoice])}
    return Response(InvoiceSerializer(invoice, context=context).data, status=status)


class StoreAccountingChannelsView(StoreScopedView, generics.ListAPIView):
    """List the store's accounting channels: connection state and switch, never secrets or tokens."""

    api_tag = "Accounting channels"
    serializer_class = AccountingChannelSerializer

    def get_queryset(self) -> QuerySet[AccountingChannel]:
        if self.schema_only:
            return AccountingChannel.objects.none()
        # Deferred: never needed here, and loading them would decrypt them for nothing.
        return self.store.accounting_channels.defer("client_secret", "token_set").prefetch_related("tax_mappings")


class SummaryDetailView(BillingApiView):
    """A daily summary (posting per day): its state in Xero, the store invoices it covers, its payments."""

    api_tag = "Accounting channels"
    serializer_class = DailySummarySerializer

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        summary = get_in_organization(
            DailySummary.objects.select_related("channel__store"),
            organization=self.organization,
            path="channel__store__organization",
            pk=self.kwargs["summary_id"],
        )
        return Response(self.get_serializer(summary_page(summary=summary)).data)


class StorePayoutsView(StoreScopedView, generics.ListCreateAPIView):
    """A store's gateway payouts (newest first); a payout posted again with the same reference
    answers the one already recorded (200), unchanged."""

    api_tag = "Payouts"
    serializer_class = PayoutSerializer

    def get_queryset(self) -> QuerySet[Payout]:
        if self.schema_only:
            return Payout.objects.none()
        return Payout.objects.filter(store=self.store).prefetch_related("payments").order_by("-date", "-pk")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None  # always paginated
        context = {"sync": sync_badges_for(store=self.store, kind=RecordKind.PAYOUT, object_ids=[p.pk for p in page])}
        return self.get_paginated_response(PayoutSerializer(page, many=True, context=context).data)

    @extend_schema(request=PayoutInputSerializer, responses={201: PayoutSerializer, 200: PayoutSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        store = self.store  # another organization's store is a 404 before the body is read
        data = PayoutInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payout, created = run_service(payout_record, store=store, **data.validated_data)
        payout = Payout.objects.prefetch_related("payments").get(pk=payout.pk)
        return Response(
            PayoutSerializer(payout).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class PayoutDetailView(BillingApiView, generics.RetrieveAPIView):
    """One gateway payout, the store payments it settles, and its state in each channel."""

    api_tag = "Payouts"
    serializer_class = PayoutSerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payout = get_in_organization(
            Payout.objects.all(),
            organization=self.organization,
            path="store__organization",
            pk=self.kwargs["payout_id"],
        )
        return payout_answer(payout_id=payout.pk)


def payout_answer(*, payout_id: int, status: int = status.HTTP_200_OK) -> Response:
    """Answer the payout as it is now, with its payments and its state in each channel."""
    payout = Payout.objects.select_related("store").prefetch_related("payments").get(pk=payout_id)
    context = {"sync": sync_badges_for(store=payout.store, kind=RecordKind.PAYOUT, object_ids=[payout.pk])}
    return Response(PayoutSerializer(payout, context=context).data, status=status)
