"""Messaging: send batches, credits, Alimtalk templates, the provider's delivery webhook.

    POST /api/v1/messages/                   send (Idempotency-Key honoured); 201, or 200 for a
                                             replay; 400 bad input, 402 insufficient credits,
                                             422 key reused for another request, 503 queue down
    GET  /api/v1/messages/                   the tenant's batches
    GET  /api/v1/messages/{id}/              a batch, its counts by status and its recipients
                                             (paged with ?limit=&offset=, filtered with ?status=)
    GET  /api/v1/messages/{id}/recipients/   the recipients alone, paged
    GET  /api/v1/credits/                    balance, held credits, prices, transactions (paged)
    POST /api/v1/credits/top-ups/            staff keys only
    GET/POST/DELETE /api/v1/messaging/templates/[{id}/]   Alimtalk templates
    POST /api/v1/messaging/delivery-reports/{secret}/
                                             the provider's webhook (the URL's secret, no API key)

Every object is looked up within the caller's tenant: another tenant's batch is a 404.
"""

import json

from django.conf import settings
from django.http import Http404
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.common.authentication import IsStaff
from apps.api.common.errors import IDEMPOTENCY_HEADER
from apps.api.common.tenancy import TenantScopedMixin
from apps.api.v1.messaging.serializers import (
    AlimtalkTemplateSerializer,
    BatchSerializer,
    RecipientSerializer,
    SendRequestSerializer,
    TopUpSerializer,
    TransactionSerializer,
)
from apps.core.selectors.tenants import find_tenant
from apps.support.messaging import credit_services, selectors
from apps.support.messaging.models import AlimtalkTemplate, Recipient
from apps.support.messaging.services import batches, delivery_reports


class RecipientPagination(LimitOffsetPagination):
    default_limit = 100
    max_limit = 1000


class MessageBatchViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = BatchSerializer
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"

    def get_queryset(self):
        return selectors.batches_of(tenant_id=self.request.tenant.id).select_related("template")

    def create(self, request):
        incoming = SendRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        key = request.headers.get(IDEMPOTENCY_HEADER) or None
        if key is not None and not 1 <= len(key) <= 255:
            return Response({"detail": f"{IDEMPOTENCY_HEADER} must be 1 to 255 characters"}, status=400)
        send = batches.SendRequest(
            type=data["type"], text=data["text"], subject=data["subject"], template_id=data["template_id"],
            variables=data["variables"], sender=data["sender"],
            recipients=[batches.RecipientInput(to=r["to"], variables=r["variables"]) for r in data["recipients"]],
        )
        # Refusals (400 bad input, 402 credits, 422 key reused, 503 queue down) are answered
        # by apps.api.common.errors.
        accepted = batches.submit_batch(tenant=request.tenant, request=send, idempotency_key=key,
                                        actor=request.auth.name)
        body = {**BatchSerializer(accepted.batch).data, "rejected": accepted.rejected,
                "balance": selectors.balance_of(tenant_id=request.tenant.id).balance}
        if accepted.created:
            return Response(body, status=status.HTTP_201_CREATED)
        return Response(body, status=status.HTTP_200_OK, headers={"Idempotent-Replayed": "true"})

    def retrieve(self, request, pk=None):
        batch = self._batch(pk)
        paginator = RecipientPagination()
        recipients = selectors.recipients_of(batch=batch, status=self._status_filter())
        page = paginator.paginate_queryset(recipients, request, view=self)
        body = {**BatchSerializer(batch).data, "counts": selectors.status_counts(batch=batch),
                "recipients": paginator.get_paginated_response(RecipientSerializer(page, many=True).data).data}
        return Response(body)

    @action(detail=True, methods=["get"])
    def recipients(self, request, pk=None):
        batch = self._batch(pk)
        paginator = RecipientPagination()
        page = paginator.paginate_queryset(selectors.recipients_of(batch=batch, status=self._status_filter()),
                                           request, view=self)
        return paginator.get_paginated_response(RecipientSerializer(page, many=True).data)

    def _batch(self, pk):
        batch = self.get_queryset().filter(pk=pk).first()
        if batch is None:
            raise Http404
        return batch

    def _status_filter(self):
        value = self.request.query_params.get("status")
        if value and value not in Recipient.Status.values:
            raise Http404
        return value or None


class CreditsView(APIView):
    """The caller's credit balance, held credits, prices and ledger (newest first, paged)."""

    def get(self, request):
        account = selectors.balance_of(tenant_id=request.tenant.id)
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(selectors.transactions_of(tenant_id=request.tenant.id), request, view=self)
        return Response({
            "balance": account.balance, "held": account.held, "prices": settings.MESSAGING_PRICES,
            "transactions": paginator.get_paginated_response(TransactionSerializer(page, many=True).data).data,
        })


class TopUpView(APIView):
    """Adds credits to a tenant's balance: the platform operator's (staff key's) call."""

    permission_classes = [IsStaff]

    def post(self, request):
        incoming = TopUpSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        tenant = request.tenant
        wanted = incoming.validated_data.get("tenant")
        if wanted:
            tenant = find_tenant(wanted)
            if tenant is None:
                return Response({"tenant": [f"no tenant {wanted!r}"]}, status=status.HTTP_400_BAD_REQUEST)
        row = credit_services.top_up(tenant_id=tenant.id, amount=incoming.validated_data["amount"],
                                     actor=request.auth.name, memo=incoming.validated_data["memo"])
        return Response({"tenant": tenant.slug, "balance": row.balance_after, "held": row.held_after,
                         "transaction": TransactionSerializer(row).data}, status=status.HTTP_201_CREATED)


class AlimtalkTemplateViewSet(TenantScopedMixin, mixins.CreateModelMixin, mixins.ListModelMixin,
                              mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    queryset = AlimtalkTemplate.objects.all()
    serializer_class = AlimtalkTemplateSerializer

    def perform_destroy(self, instance):
        if instance.messagebatch_set.exists():
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"detail": "batches were sent with this template; it cannot be deleted"})
        instance.delete()


class DeliveryReportView(APIView):
    """SOLAPI's delivery-report webhook. Authenticated by the secret in its URL (SOLAPI signs
    nothing), and optionally by the caller's address; not by an API key."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def post(self, request, secret: str = ""):
        if not secret:
            return Response({"detail": "the webhook's URL carries its secret: register "
                                       "/api/v1/messaging/delivery-reports/<MESSAGING_WEBHOOK_SECRET>/ with SOLAPI"},
                            status=status.HTTP_401_UNAUTHORIZED)
        try:
            delivery_reports.check_secret(secret=secret)
            delivery_reports.check_source(remote_addr=request.META.get("REMOTE_ADDR", ""),
                                          forwarded_for=request.META.get("HTTP_X_FORWARDED_FOR"))
        except delivery_reports.WebhookRefused as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_401_UNAUTHORIZED)
        try:
            summary = delivery_reports.process_reports(payload=json.loads(request.body or b"null"))
        except (ValueError, delivery_reports.InvalidPayload) as exc:
            return Response({"detail": f"bad payload: {exc}"}, status=status.HTTP_400_BAD_REQUEST)
        if summary.pending:
            # The worker has not recorded these messages yet: the provider retries the call.
            return Response({**summary.as_dict(), "detail": "some messages are not recorded yet; retry"},
                            status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "30"})
        return Response(summary.as_dict())
