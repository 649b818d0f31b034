import uuid

import pytest
from django.db import IntegrityError

from apps.core.models import BaseModel, Tenant, TimestampModel


def test_bases_are_abstract():
    assert BaseModel._meta.abstract and TimestampModel._meta.abstract


@pytest.mark.django_db
def test_tenant_gets_uuid_and_timestamps():
    tenant = Tenant.objects.create(name="Daechi Math", slug="daechi-math")
    assert isinstance(tenant.id, uuid.UUID)
    assert tenant.created_at is not None and tenant.updated_at >= tenant.created_at


@pytest.mark.django_db
def test_tenant_slug_is_unique():
    Tenant.objects.create(name="A", slug="same")
    with pytest.raises(IntegrityError):
        Tenant.objects.create(name="B", slug="same")
