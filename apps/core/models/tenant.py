from django.db import models

from apps.core.models.base import BaseModel


class Tenant(BaseModel):
    """An academy: the unit that owns lectures, jobs, messages and credits."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=64, unique=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
