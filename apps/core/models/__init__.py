from apps.core.models.base import BaseModel, TimestampModel
from apps.core.models.tenant import Tenant

__all__ = ["BaseModel", "TimestampModel", "Tenant"]
