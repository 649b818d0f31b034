"""The AI workers' job handler: one AIJobMessage -> a "succeeded" job with its result, or a
"failed" one with the reason.

    handle                  the CPU worker's handler: ocr, omr_grade, embed on CPU
    handler_for("cuda")     the GPU worker's handler: embed on CUDA (other types fail: they
                            belong on the CPU queue)

  ocr        the stored image -> ocr.recognise() -> {"text", "confidence", "lines": [...]}
  omr_grade  the stored scan -> omr.read_sheet() against the job's answer key -> grade
  embed      the job's questions -> Embedder.embed() and their Korean terms -> stored on
             each question

A stored PDF is read as the image of its job's page (pdf.render_page()), and the result
says which: {"page": 2, "pages": 3, ...}.

A job that can never succeed (an unreadable image or PDF, a page the PDF does not have, a
sheet without its marks, no questions left) is marked "failed" and raises
PermanentJobError, so the runtime deletes the message. Other errors (storage, database,
shutdown) make the runtime retry; every step is safe to repeat. A delivery that finds the
job "succeeded" does nothing. When the last delivery fails too, the job is marked "failed"
with "gave up after N attempts: ..." and `manage dlq redrive` can send it again.
"""

import logging

import numpy as np
from django.conf import settings
from django.core.files.storage import storages

from apps.core.queues import JobContext, PermanentJobError, gives_up_with, long_running
from apps.domains.ai import selectors, services, status
from apps.domains.ai.models import AIJob
from apps.shared.contracts import AIJobMessage, AIJobType
from apps.support.ai.services import dead_letters
from apps.support.ai.services.imaging import UnreadableImage, decode_image
from apps.support.ai.services.sniffing import PDF

log = logging.getLogger(__name__)


class JobInputError(Exception):
    """The job's input cannot be processed: the job fails with this message."""


def handler_for(device: str):
    """The handler for a worker whose embeddings run on device ("cpu" or "cuda")."""

    @long_running
    @gives_up_with(dead_letters.give_up)
    def handle(message: AIJobMessage, context: JobContext | None) -> None:
        job = selectors.job_for_message(job_id=message.job_id, tenant_id=message.tenant_id)
        if job is None:
            raise PermanentJobError(f"AI job {message.job_id} of tenant {message.tenant_id} does not exist")
        if job.status == status.SUCCEEDED:
            return
        if job.status == status.FAILED:
            raise PermanentJobError(f"AI job {job.id} has already failed: {job.failure_reason}")
        job = services.start_processing(job=job)
        try:
            if device != "cpu" and job.job_type != AIJobType.EMBED:
                raise JobInputError(f"{job.job_type} jobs run on the CPU worker, not the {device} worker")
            result = run_job(job, device=device)
        except JobInputError as exc:
            services.mark_failed(job=job, reason=str(exc))
            raise PermanentJobError(str(exc)) from None
        services.mark_succeeded(job=job, result=result)
        log.info("AI job %s (%s) succeeded", job.id, job.job_type)

    return handle


handle = handler_for("cpu")


def run_job(job: AIJob, *, device: str = "cpu") -> dict:
    if job.job_type == AIJobType.OCR:
        image, source = _image(job)
        return {**run_ocr(image), **source}
    if job.job_type == AIJobType.OMR_GRADE:
        image, source = _image(job)
        return {**run_omr(image, answers=_answers(job)), **source}
    if job.job_type == AIJobType.EMBED:
        return run_embed(job, device=device)
    raise JobInputError(f"unknown AI job type {job.job_type!r}")


def run_ocr(image) -> dict:
    from apps.support.ai.services import ocr

    try:
        return ocr.recognise(image, languages=settings.AI_OCR_LANGUAGES).as_json()
    except ocr.OCRFailed as exc:
        raise JobInputError(str(exc)) from None


def run_omr(image, *, answers: list[int]) -> dict:
    from apps.support.ai.services import omr
    from apps.support.ai.services.omr_layout import load_spec

    spec = load_spec()
    if len(answers) > spec.max_questions:
        raise JobInputError(f"the answer key has {len(answers)} questions; sheet v{spec.version} holds "
                            f"{spec.max_questions}")
    try:
        reading = omr.read_sheet(image, spec=spec, questions=len(answers))
    except omr.SheetNotFound as exc:
        raise JobInputError(f"not a readable answer sheet: {exc}") from None
    result = omr.grade(reading, answers=answers).as_json()
    result["fill"] = reading.fill
    return result


def run_embed(job: AIJob, *, device: str) -> dict:
    from apps.support.ai.services.embed import Embedder
    from apps.support.ai.services.terms import question_terms

    questions = selectors.questions_by_ids(tenant_id=job.tenant_id, question_ids=job.question_ids)
    if not questions:
        raise JobInputError("none of the job's questions exist any more")
    embedder = Embedder.load(device=device)
    texts = [q.text for q in questions]
    vectors = embedder.embed(texts, batch_size=settings.AI_EMBED_BATCH_SIZE)
    saved = services.store_embeddings(tenant_id=job.tenant_id, model=embedder.name,
                                      vectors={q.id: v.tolist() for q, v in zip(questions, vectors)},
                                      terms={q.id: t for q, t in zip(questions, question_terms(texts))})
    found = {str(q.id) for q in questions}
    return {"model": embedder.name, "dimensions": embedder.dimensions, "device": device, "embedded": saved,
            "missing": [q for q in job.question_ids if q not in found]}


def _image(job: AIJob) -> tuple[np.ndarray, dict]:
    """The job's input as pixels, and which page of how many it was ({} for an image)."""
    storage = storages["default"]
    if not job.input_key or not storage.exists(job.input_key):
        raise JobInputError(f"the uploaded file {job.input_key!r} is not in storage")
    with storage.open(job.input_key, "rb") as handle:
        data = handle.read()
    if job.input_format == PDF.name:
        from apps.support.ai.services import pdf

        try:
            page = pdf.render_page(data, number=job.page, max_pixels=settings.AI_MAX_IMAGE_PIXELS)
        except pdf.UnreadablePDF as exc:
            raise JobInputError(str(exc)) from None
        return page.image, {"page": page.number, "pages": page.count}
    try:
        return decode_image(data, max_pixels=settings.AI_MAX_IMAGE_PIXELS), {}
    except UnreadableImage as exc:
        raise JobInputError(f"the file is not a readable image: {exc}") from None


def _answers(job: AIJob) -> list[int]:
    if job.answer_key is None:
        raise JobInputError("the job has no answer key")
    return [int(a) for a in job.answer_key.answers]
