"""Creating AI jobs for the API: check the input, store it, queue the job.

    job = submit_image_job(tenant=t, job_type="ocr", upload=request.FILES["file"])
    job = submit_image_job(tenant=t, job_type="ocr", upload=pdf_upload, page=2)
    job = submit_image_job(tenant=t, job_type="omr_grade", upload=..., answer_key=key)
    job = submit_embed_job(tenant=t, questions=[...])

The file is an image or a PDF; of a PDF the worker reads one page (page, 1-based).
Refused input raises JobRejected (ImageTooLarge, UnsupportedFile) before anything is
stored: the API answers 400. What only decoding can tell (a truncated or corrupt image or
PDF, an encrypted PDF, a page the PDF does not have, an answer sheet without its marks)
the worker finds, and the job ends "failed" with the reason.
When SQS cannot be reached the job stays "created" and QueueUnavailable says so.
Nothing here imports opencv, pytesseract, pypdfium2 or torch.
"""

import uuid
from collections.abc import Sequence

from django.conf import settings
from django.core.files.storage import storages
from django.core.files.uploadedfile import UploadedFile

from apps.core.models import Tenant
from apps.core.queues import TRANSIENT_ERRORS, QueueUnavailable
from apps.domains.ai import keys, services, status
from apps.domains.ai.models import AIJob, AnswerKey, Question
from apps.shared.contracts import AIJobMessage, AIJobType
from apps.support.ai.services.queue import AISQSQueue
from apps.support.ai.services.sniffing import PDF, SNIFF_BYTES, sniff


class JobRejected(Exception):
    pass


class ImageTooLarge(JobRejected):
    pass


class UnsupportedFile(JobRejected):
    pass



def submit_image_job(*, tenant: Tenant, job_type: str, upload: UploadedFile,
                     answer_key: AnswerKey | None = None, page: int = 1) -> AIJob:
    if job_type not in (AIJobType.OCR, AIJobType.OMR_GRADE):
        raise JobRejected(f"{job_type!r} jobs do not take a file")
    if job_type == AIJobType.OMR_GRADE and answer_key is None:
        raise JobRejected("an omr_grade job needs an answer key")
    if page < 1:
        raise JobRejected(f"pages are numbered from 1, not {page}")
    limit = settings.AI_UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise ImageTooLarge(f"the file is {upload.size} bytes; the limit is {limit} bytes")
    if upload.size == 0:
        raise UnsupportedFile("the file is empty")
    upload.seek(0)
    input_format = sniff(upload.read(SNIFF_BYTES))
    upload.seek(0)
    if input_format is None:
        raise UnsupportedFile("the file is not an image or PDF this service reads (PNG, JPEG, HEIC, TIFF, BMP, WebP, PDF)")
    if page != 1 and input_format != PDF:
        raise JobRejected(f"page {page} was asked for, but a {input_format.name.upper()} image has one page")
    job_id = uuid.uuid4()
    key = keys.input_key(tenant_id=tenant.id, job_id=job_id, extension=input_format.extension)
    stored_key = storages["default"].save(key, upload)
    job = services.create_job(tenant=tenant, job_type=job_type, job_id=job_id, input_key=stored_key,
                              original_filename=upload.name or "", size_bytes=upload.size,
                              input_format=input_format.name, answer_key=answer_key, page=page)
    return request_job(job=job)


def submit_embed_job(*, tenant: Tenant, questions: Sequence[Question]) -> AIJob:
    if not questions:
        raise JobRejected("an embed job needs at least one question")
    if any(q.tenant_id != tenant.id for q in questions):
        raise JobRejected("every question must belong to the caller's tenant")
    job = services.create_job(tenant=tenant, job_type=AIJobType.EMBED, question_ids=[q.id for q in questions])
    return request_job(job=job)


def request_job(*, job: AIJob) -> AIJob:
    """Sends the job's message (its job_id makes a second send harmless) and marks it queued."""
    if job.status != status.CREATED:
        return job
    message = AIJobMessage(job_id=job.id, tenant_id=job.tenant_id, job_type=AIJobType(job.job_type),
                           input_key=job.input_key or None, question_ids=[uuid.UUID(q) for q in job.question_ids])
    try:
        AISQSQueue.for_job(message).send(message)
    except TRANSIENT_ERRORS as exc:
        raise QueueUnavailable(job, f"AI job {job.id} could not be queued: {exc}") from exc
    return services.mark_queued(job=job)
