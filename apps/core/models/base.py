"""Abstract bases for every model: the API and the workers both build on these."""

import uuid

from django.db import models


class TimestampModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class BaseModel(TimestampModel):
    # UUIDs, not sequences: ids travel in queue messages and URLs and must not be guessable
    # across tenants.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        abstract = True
