"""The handler against the database and a filesystem storage: each job type from a stored
input (an image, or a page of a PDF) to a "succeeded" job, and inputs only the worker can
judge to a "failed" one."""

import re
import uuid

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from apps.core.queues import PermanentJobError, is_long_running
from apps.core.services.api_keys import create_tenant
from apps.domains.ai import selectors, services, status
from apps.domains.ai.models import Question
from apps.shared.contracts import AIJobMessage, AIJobType
from apps.support.ai.services import jobs
from apps.support.ai.services.omr_layout import load_spec
from tools.testing.documents import text_images as ti
from tools.testing.documents.pdfs import password_protected_pdf, pdf_bytes
from tools.testing.documents.sheets import scanned_sheet
from tools.testing.media_storage import media_root  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


@pytest.fixture
def tenant():
    return create_tenant(name="Alpha", slug="alpha")


def _stored_job(tenant, job_type, data: bytes, **fields):
    key = storages["default"].save(f"in/{uuid.uuid4()}.{fields.get('input_format') or 'png'}", ContentFile(data))
    return services.create_job(tenant=tenant, job_type=job_type, input_key=key, **fields)


def _run(job, handler=jobs.handle):
    handler(AIJobMessage(job_id=job.id, tenant_id=job.tenant_id, job_type=AIJobType(job.job_type)), None)
    return selectors.job_for_message(job_id=job.id, tenant_id=job.tenant_id)


def test_ocr_job(tenant):
    assert is_long_running(jobs.handle)
    job = _stored_job(tenant, "ocr", ti.png_bytes(ti.render_lines(ti.KOREAN_LINES[:2], korean=True)))
    job = _run(job)
    assert job.status == status.SUCCEEDED
    assert ti.character_error_rate("\n".join(ti.KOREAN_LINES[:2]), job.result["text"]) <= 0.05
    assert len(job.result["lines"]) == 2 and job.result["lines"][0]["confidence"] > 50
    assert _run(job).status == status.SUCCEEDED  # a second delivery does nothing


def test_omr_job_grades_against_the_answer_key(tenant):
    key = services.create_answer_key(tenant=tenant, name="Quiz", answers=[1, 2, 3, 4, 5, 1])
    marks = {1: [1], 2: [2], 3: [3], 4: [1, 4], 5: [], 6: [2]}
    image = scanned_sheet(load_spec(), questions=6, marks=marks, degrees=1.5, scale=0.95, noise=15)
    job = _run(_stored_job(tenant, "omr_grade", ti.png_bytes(image), answer_key=key))
    assert job.status == status.SUCCEEDED, job.failure_reason
    assert (job.result["score"], job.result["total"]) == (3, 6)
    assert [q["marked"] for q in job.result["questions"]] == [[1], [2], [3], [1, 4], [], [2]]


def test_ocr_job_reads_the_page_asked_for_of_a_pdf(tenant):
    pages = [ti.render_lines(ti.ENGLISH_LINES[:2], korean=False), ti.render_lines(ti.KOREAN_LINES[2:], korean=True)]
    job = _stored_job(tenant, "ocr", pdf_bytes(pages), input_format="pdf", page=2)
    job = _run(job)
    assert job.status == status.SUCCEEDED, job.failure_reason
    assert (job.result["page"], job.result["pages"]) == (2, 2)
    assert ti.character_error_rate("\n".join(ti.KOREAN_LINES[2:]), job.result["text"]) <= 0.05


def test_omr_job_grades_a_sheet_scanned_to_pdf(tenant):
    key = services.create_answer_key(tenant=tenant, name="Quiz", answers=[2, 2, 5, 1])
    marks = {1: [2], 2: [3], 3: [5], 4: [1]}
    image = scanned_sheet(load_spec(), questions=4, marks=marks, degrees=-1.0, noise=10)
    job = _run(_stored_job(tenant, "omr_grade", pdf_bytes([image]), input_format="pdf", answer_key=key))
    assert job.status == status.SUCCEEDED, job.failure_reason
    assert (job.result["score"], job.result["total"], job.result["pages"]) == (3, 4, 1)
    assert [q["marked"] for q in job.result["questions"]] == [[2], [3], [5], [1]]


PDF = {"input_format": "pdf"}


@pytest.mark.parametrize("job_type, data, fields, reason", [
    ("ocr", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, {}, "not a readable image"),
    ("omr_grade", None, {}, "not a readable answer sheet"),
    ("ocr", b"%PDF-1.7\n" + b"\x00" * 200, PDF, "the file could not be read as a PDF (corrupt or truncated?)"),
    ("ocr", password_protected_pdf(), PDF, "the PDF is encrypted (password-protected)"),
    ("omr_grade", pdf_bytes([np.full((300, 200), 255, np.uint8)]), {**PDF, "page": 2},
     "page 2 was asked for, but the PDF has 1 page"),
])
def test_inputs_only_the_worker_can_judge_fail_the_job(tenant, job_type, data, fields, reason):
    key = services.create_answer_key(tenant=tenant, name="Quiz", answers=[1, 2])
    if data is None:  # a real image, but no answer sheet
        data = ti.png_bytes(ti.render_lines(["not an answer sheet"], korean=False))
    job = _stored_job(tenant, job_type, data, answer_key=key, **fields)
    with pytest.raises(PermanentJobError, match=re.escape(reason)):
        _run(job)
    job.refresh_from_db()
    assert job.status == status.FAILED and reason in job.failure_reason


def test_embed_job_stores_vectors_and_the_gpu_handler_refuses_other_types(tenant):
    questions = [services.create_question(tenant=tenant, text=t) for t in ("What is 2+2?", "Add two and two.")]
    job = services.create_job(tenant=tenant, job_type="embed", question_ids=[q.id for q in questions])
    job = _run(job)
    assert job.status == status.SUCCEEDED and job.result["embedded"] == 2 and job.result["dimensions"] == 384
    stored = Question.objects.get(pk=questions[0].id)
    assert len(stored.embedding) == 384 and stored.embedding_model == "all-MiniLM-L6-v2"

    ocr_job = _stored_job(tenant, "ocr", b"\x89PNG\r\n\x1a\n")
    with pytest.raises(PermanentJobError, match="run on the CPU worker"):
        _run(ocr_job, handler=jobs.handler_for("cuda"))


def test_a_message_for_another_tenant_is_refused(tenant):
    job = services.create_job(tenant=tenant, job_type="embed", question_ids=[uuid.uuid4()])
    with pytest.raises(PermanentJobError, match="does not exist"):
        jobs.handle(AIJobMessage(job_id=job.id, tenant_id=uuid.uuid4(), job_type=AIJobType.EMBED), None)
