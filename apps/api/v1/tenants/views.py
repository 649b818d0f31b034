"""Tenants (academies) and their API keys.

The platform operator's staff key creates tenants, each with a first key; a tenant then
issues and revokes its own keys. A key's secret appears once, in the response that
creates it.
"""

from django.db import transaction
from drf_yasg.utils import swagger_auto_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.common.authentication import IsStaff
from apps.api.v1.tenants.serializers import (
    ApiKeySerializer,
    CreatedTenantSerializer,
    CurrentTenantSerializer,
    IssuedApiKeySerializer,
    NewApiKeySerializer,
    NewTenantSerializer,
    TenantSerializer,
)
from apps.core.models import Tenant
from apps.core.selectors.tenants import api_keys_of
from apps.core.services.api_keys import create_api_key, create_tenant, revoke_api_key


def issued_key_data(issued) -> dict:
    return {**IssuedApiKeySerializer(issued.api_key).data, "key": issued.raw}


class CurrentTenantView(APIView):
    """The tenant (academy) that the request's API key belongs to."""

    def get(self, request):
        tenant = request.tenant
        data = {"id": tenant.id, "name": tenant.name, "slug": tenant.slug, "api_key": request.auth.name}
        return Response(CurrentTenantSerializer(data).data)


class TenantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Every tenant on the platform: the operator's (staff key's) view."""

    permission_classes = [IsStaff]
    serializer_class = TenantSerializer
    queryset = Tenant.objects.all()

    @swagger_auto_schema(request_body=NewTenantSerializer, responses={201: CreatedTenantSerializer})
    def create(self, request):
        incoming = NewTenantSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        with transaction.atomic():
            tenant = create_tenant(name=incoming.validated_data["name"], slug=incoming.validated_data["slug"])
            issued = create_api_key(tenant=tenant, name=incoming.validated_data["key_name"])
        return Response({**TenantSerializer(tenant).data, "api_key": issued_key_data(issued)},
                        status=status.HTTP_201_CREATED)


class ApiKeyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's tenant's API keys. Creating one shows its secret once; deleting one
    revokes it (the row stays, for the audit)."""

    serializer_class = ApiKeySerializer

    def get_queryset(self):
        return api_keys_of(tenant=self.request.tenant)

    @swagger_auto_schema(request_body=NewApiKeySerializer, responses={201: IssuedApiKeySerializer})
    def create(self, request):
        incoming = NewApiKeySerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        # A tenant's own keys are never staff keys, whatever the calling key is.
        issued = create_api_key(tenant=request.tenant, name=incoming.validated_data["name"])
        return Response(issued_key_data(issued), status=status.HTTP_201_CREATED)

    @swagger_auto_schema(responses={204: "revoked"})
    def destroy(self, request, pk=None):
        revoke_api_key(api_key=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
