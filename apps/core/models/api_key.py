from django.db import models

from apps.core.models.base import BaseModel
from apps.core.models.tenant import Tenant


class ApiKey(BaseModel):
    """A tenant's credential for the API: `Authorization: Api-Key <prefix>.<secret>`.

    Only a SHA-256 of the whole key is stored (keys are 256-bit random, so a slow password
    hash buys nothing); the prefix finds the row without scanning. The key is shown once,
    when created.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    is_staff = models.BooleanField(default=False, help_text="May act as the platform operator (top-ups).")
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}...)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
