"""Storage keys of AI job inputs: one place, so the API and the workers agree."""

import uuid


def input_key(*, tenant_id: uuid.UUID, job_id: uuid.UUID, extension: str) -> str:
    return f"tenants/{tenant_id}/ai/jobs/{job_id}/input.{extension}"
