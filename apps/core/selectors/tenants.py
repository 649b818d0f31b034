"""Reading tenants and their API keys."""

import uuid

from django.db.models import QuerySet

from apps.core.models import ApiKey, Tenant


def find_tenant(reference: str) -> Tenant | None:
    """The tenant whose slug, or else id, is `reference`."""
    tenant = Tenant.objects.filter(slug=reference).first()
    if tenant is not None:
        return tenant
    try:
        return Tenant.objects.filter(pk=uuid.UUID(reference)).first()
    except ValueError:
        return None


def api_keys_of(*, tenant: Tenant) -> QuerySet[ApiKey]:
    """Every key the tenant has had, newest first; revoked ones included, for the audit."""
    return ApiKey.objects.filter(tenant=tenant).order_by("-created_at")
