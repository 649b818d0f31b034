"""Creating, checking and revoking tenants' API keys."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.utils import timezone

from apps.core.models import ApiKey, Tenant

PREFIX_BYTES = 6
SECRET_BYTES = 32


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    raw: str  # shown once; only its hash is stored


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_api_key(*, tenant: Tenant, name: str, is_staff: bool = False) -> IssuedKey:
    prefix = secrets.token_hex(PREFIX_BYTES)
    raw = f"{prefix}.{secrets.token_urlsafe(SECRET_BYTES)}"
    api_key = ApiKey(tenant=tenant, name=name, prefix=prefix, key_hash=_digest(raw), is_staff=is_staff)
    api_key.full_clean()
    api_key.save()
    return IssuedKey(api_key=api_key, raw=raw)


def authenticate_api_key(raw: str) -> ApiKey | None:
    """The active key (of an active tenant) that `raw` is, or None."""
    prefix, dot, _ = raw.partition(".")
    if not dot or not prefix:
        return None
    api_key = ApiKey.objects.select_related("tenant").filter(prefix=prefix).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, _digest(raw)):
        return None
    if not api_key.is_active or not api_key.tenant.is_active:
        return None
    now = timezone.now()
    # Coarse on purpose: one write a minute per key, not one per request.
    if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    return api_key


def revoke_api_key(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at", "updated_at"])
    return api_key


def create_tenant(*, name: str, slug: str) -> Tenant:
    tenant = Tenant(name=name, slug=slug)
    tenant.full_clean()
    tenant.save()
    return tenant
