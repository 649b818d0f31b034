"""Views see only their caller's tenant: another tenant's object is a 404, never a 403."""


class TenantScopedMixin:
    """For DRF generic views/viewsets over a model with a `tenant` foreign key.

    get_queryset() filters by the caller's tenant, so a lookup of another tenant's id finds
    nothing (404) and does not confirm that the id exists; perform_create() sets the tenant.
    """

    def get_queryset(self):
        return super().get_queryset().filter(tenant=self.request.tenant)

    def perform_create(self, serializer):
        serializer.save(tenant=self.request.tenant)
