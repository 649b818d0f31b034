from apps.core.models.api_key import ApiKey
from apps.core.models.base import BaseModel, TimestampModel
from apps.core.models.job_claim import JobClaim
from apps.core.models.tenant import Tenant

__all__ = ["ApiKey", "BaseModel", "JobClaim", "TimestampModel", "Tenant"]
