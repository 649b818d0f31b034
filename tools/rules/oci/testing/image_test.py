"""Checks one built image from the outside and from inside its own filesystem.

Every py_image gets a `<name>_test` running this file with IMAGE_LAYOUT (the layout
directory), IMAGE_DIGEST (its `<name>.digest` file), IMAGE_PUSH (the push runner), IMAGE_KIND (`worker` or `api`)
and IMAGE_REPOSITORY.
Runs as root: the image's filesystem is entered as a container runtime enters it (its own
mount and PID namespace, /proc, a minimal /dev, a tmpfs /tmp), as the image's own user.
"""

import json
import os
import pathlib
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

import boto3
import pytest

from tools.testing.container import run_in_rootfs, start_in_rootfs, stop_container
from tools.testing.media import make_video
from tools.testing.registry import registry
from tools.testing.sqs_server import start_sqs_server
from tools.testing.waiting import answers, free_port, wait_until

LAYOUT = pathlib.Path(os.environ["IMAGE_LAYOUT"])
DIGEST = pathlib.Path(os.environ["IMAGE_DIGEST"]).read_text().strip()
KIND = os.environ["IMAGE_KIND"]
REPOSITORY = os.environ["IMAGE_REPOSITORY"]
HERE = pathlib.Path(__file__).resolve().parent
UNPACK = HERE.parent / "private" / "unpack_image.py"
CHECK_DEPS = HERE.parents[2] / "dev" / "checks" / "check_worker_deps.sh"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="entering an image's filesystem needs root (chroot)")


@pytest.fixture(scope="module")
def rootfs():
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp) / "fs"
        config = pathlib.Path(tmp) / "config.json"
        subprocess.run([sys.executable, str(UNPACK), str(LAYOUT), str(root), "--config-out", str(config)], check=True)
        loaded = json.loads(config.read_text())
        data = pathlib.Path(tmp) / "data"  # the volume run_in_image mounts at /data
        data.mkdir()
        give_to_image_user(data, loaded)
        yield root, loaded


def give_to_image_user(path, config):
    """chown to the image's User, so the entrypoint may write what a test puts on the volume."""
    uid, _, gid = config["User"].partition(":")
    os.chown(path, int(uid), int(gid or uid))


def volumes(root):
    """The data directory, a volume (/data) that outlives each run, as /tmp does not."""
    return {str(root.parent / "data"): "/data"}


def run_in_image(root, config, args, extra_env, timeout=120, entrypoint=None, bare=False):
    """The image's entrypoint + args as a container runtime runs it (tools/testing/container.py)."""
    return run_in_rootfs(root, config, args, extra_env, timeout=timeout, entrypoint=entrypoint, bare=bare,
                         volumes=volumes(root))


# Every snippet run with the image's python3.11 -c starts with its worker settings.
DJANGO = """
import os, sys, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apps.worker.settings")
django.setup()
"""

MIGRATE = DJANGO + """
from django.core.management import call_command
call_command("migrate", verbosity=0)
"""


def migrate_and_create_queues(root, config, sqs, env):
    """The schema, migrated by the image's own Django, and the queues with their DLQs."""
    migrated = run_in_image(root, config, ["-c", MIGRATE], env, entrypoint=["/usr/bin/python3.11"])
    assert migrated.returncode == 0, migrated.stderr
    create_queues(sqs)


def create_queues(sqs):
    client = boto3.client("sqs", endpoint_url=sqs.endpoint_url, region_name=sqs.region,
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    for name in ("academy-video", "academy-ai-cpu", "academy-ai-gpu", "academy-messaging"):
        dlq = client.create_queue(QueueName=name + "-dlq")["QueueUrl"]
        arn = client.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        redrive = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": "5"})
        client.create_queue(QueueName=name, Attributes={"RedrivePolicy": redrive})


def test_config_is_non_root_python_without_a_shell(rootfs):
    root, config = rootfs
    assert config["User"] == "65532:65532"
    assert config["Entrypoint"][0] == "/usr/bin/python3.11"
    assert "LANG=C.UTF-8" in config["Env"]
    assert not (root / "bin" / "sh").exists() and not (root / "usr" / "bin" / "sh").exists()
    assert (root / "etc" / "ssl" / "certs" / "ca-certificates.crt").stat().st_size > 100_000
    assert (root / "usr" / "share" / "zoneinfo" / "Asia" / "Seoul").exists()


def test_runtime_dependency_check(rootfs):
    args = [str(CHECK_DEPS)] + (["--expect"] if KIND == "api" else []) + [str(LAYOUT)]
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


# As deployed: the video worker gets the key-encryption key the API holds too.
DEPLOYED_KEYS = {"VIDEO_KEY_ENCRYPTION_KEYS": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}


def test_entry_point_checks_its_configuration(rootfs):
    root, config = rootfs
    if KIND == "api":
        env = {"DJANGO_SECRET_KEY": "image-test", "ACADEMY_DATA_DIR": "/data"}
        result = run_in_image(root, config, ["--check-config"], env)
        assert result.returncode == 0, result.stdout + result.stderr
        return
    server, sqs = start_sqs_server()
    try:
        env = {**sqs.env(), "ACADEMY_DATA_DIR": "/data"}
        missing = run_in_image(root, config, ["--check"], env)
        assert missing.returncode == 1, missing.stdout + missing.stderr
        migrate_and_create_queues(root, config, sqs, env)
        if REPOSITORY.endswith("worker-video"):
            unkeyed = run_in_image(root, config, ["--check"], env)
            assert unkeyed.returncode == 1 and "VIDEO_KEY_ENCRYPTION_KEYS" in unkeyed.stdout + unkeyed.stderr
            env = {**env, **DEPLOYED_KEYS}
        ok = run_in_image(root, config, ["--check"], env)
        assert ok.returncode == 0, ok.stdout + ok.stderr
    finally:
        server.stop()


def _served_digest(host: str, reference: str) -> str:
    request = urllib.request.Request(
        f"http://{host}/v2/{REPOSITORY}/manifests/{reference}",
        method="HEAD",
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
    )
    with urllib.request.urlopen(request) as response:
        return response.headers["Docker-Content-Digest"]


@pytest.mark.skipif(KIND != "api", reason="only the API image serves HTTP")
def test_the_api_answers_an_academy_under_gunicorn(rootfs):
    """Migrated and given a tenant by its own manage command, the image serves /healthz and an
    authenticated request, with the academy's Korean name intact."""
    root, config = rootfs
    env = {"DJANGO_SECRET_KEY": "image-test", "ACADEMY_DATA_DIR": "/data"}
    manage = ["/usr/bin/python3.11", "-m", "apps.api.manage"]
    migrated = run_in_image(root, config, ["migrate", "--verbosity", "0"], env, entrypoint=manage)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    created = run_in_image(root, config, ["create_tenant", "--name", "대치 수학학원", "--slug", "daechi"], env,
                           entrypoint=manage)
    assert created.returncode == 0, created.stdout + created.stderr
    key = created.stdout.split("API key (shown once): ", 1)[1].split()[0]
    port = free_port()
    server = start_in_rootfs(root, config, ["--bind", f"127.0.0.1:{port}", "--workers", "1"], env,
                             volumes=volumes(root), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: server.poll() is not None or answers(base + "/healthz"), 60, "the API's /healthz")
        assert server.poll() is None, server.stderr.read()
        request = urllib.request.Request(base + "/api/v1/tenant/", headers={"Authorization": f"Api-Key {key}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read())["name"] == "대치 수학학원"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(base + "/api/v1/tenant/", timeout=10)
        assert refused.value.code in (401, 403)
    finally:
        stopped = stop_container(server)
    assert stopped == 0, server.stderr.read()  # gunicorn's graceful stop on SIGTERM


SUBMIT_MESSAGE = DJANGO + """
from apps.core.services.api_keys import create_tenant
from apps.support.messaging import credit_services
from apps.support.messaging.services.batches import RecipientInput, SendRequest, submit_batch
tenant = create_tenant(name="대치 수학학원", slug="daechi")
credit_services.top_up(tenant_id=tenant.id, amount=1000, actor="image-test")
request = SendRequest(type="sms", text="[대치 수학학원] 내일 보강이 있습니다.",
                      recipients=[RecipientInput(to="010-1234-5678")])
print(submit_batch(tenant=tenant, request=request).batch.id)
"""

BATCH_OUTCOME = DJANGO + """
from apps.support.messaging.models import MessageBatch
batch = MessageBatch.objects.get(id=sys.argv[1])
print(batch.status, *sorted(r.status for r in batch.recipients.all()))
"""


@pytest.mark.skipif(not REPOSITORY.endswith("worker-messaging"), reason="the messaging image's job")
def test_the_messaging_image_sends_a_batch(rootfs):
    """A batch submitted with the image's own services is sent by its worker (--once) through
    the console backend: a real job, against moto's SQS and a database on the data volume."""
    root, config = rootfs
    python = ["/usr/bin/python3.11"]
    server, sqs = start_sqs_server()
    try:
        env = {**sqs.env(), "ACADEMY_DATA_DIR": "/data", "MESSAGING_BACKEND": "console"}
        migrate_and_create_queues(root, config, sqs, env)
        submitted = run_in_image(root, config, ["-c", SUBMIT_MESSAGE], env, entrypoint=python)
        assert submitted.returncode == 0, submitted.stdout + submitted.stderr
        batch = submitted.stdout.split()[-1]
        worked = run_in_image(root, config, ["--once"], env, timeout=180)
        assert worked.returncode == 0, worked.stdout + worked.stderr
        assert "01012345678" in worked.stdout + worked.stderr  # the console backend logs each message
        outcome = run_in_image(root, config, ["-c", BATCH_OUTCOME, batch], env, entrypoint=python)
        assert outcome.stdout.split() == ["done", "sent"], outcome.stdout + outcome.stderr
    finally:
        server.stop()


SUBMIT_VIDEO = DJANGO + """
from django.core.files import File
from apps.core.services.api_keys import create_tenant
from apps.domains.lectures.services import create_lecture
from apps.support.video.services.uploads import accept_upload
tenant = create_tenant(name="대치 수학학원", slug="daechi")
lecture = create_lecture(tenant=tenant, title="수학 1강: 이차방정식")
with open(sys.argv[1], "rb") as source:
    print(accept_upload(lecture=lecture, upload=File(source, name="1강.mp4")).id)
"""

VIDEO_OUTCOME = DJANGO + """
from apps.domains.lectures.models import LectureVideo
video = LectureVideo.objects.get(id=sys.argv[1])
print(video.status, video.hls_master_key or "-", video.failure_reason or "-", sep="\\t")
"""


@pytest.mark.skipif(not REPOSITORY.endswith("worker-video"), reason="the video image's job")
def test_the_video_image_transcodes_a_lecture(rootfs):
    """A clip accepted with the image's own services becomes HLS through the image's ffmpeg,
    run by its worker (--once), on the filesystem storage of the data volume."""
    root, config = rootfs
    python = ["/usr/bin/python3.11"]
    make_video(root.parent / "data" / "clip.mp4", width=640, height=360, seconds=3)
    give_to_image_user(root.parent / "data" / "clip.mp4", config)
    server, sqs = start_sqs_server()
    try:
        env = {**sqs.env(), "ACADEMY_DATA_DIR": "/data", **DEPLOYED_KEYS}
        migrate_and_create_queues(root, config, sqs, env)
        submitted = run_in_image(root, config, ["-c", SUBMIT_VIDEO, "/data/clip.mp4"], env, entrypoint=python)
        assert submitted.returncode == 0, submitted.stdout + submitted.stderr
        video = submitted.stdout.split()[-1]
        worked = run_in_image(root, config, ["--once"], env, timeout=300)
        assert worked.returncode == 0, worked.stdout + worked.stderr
        outcome = run_in_image(root, config, ["-c", VIDEO_OUTCOME, video], env, entrypoint=python)
        status, master, _ = outcome.stdout.rstrip("\n").split("\t")
        assert status == "ready", outcome.stdout + outcome.stderr + worked.stderr
        playlist = (root.parent / "data" / "media" / master).read_text()
        assert playlist.startswith("#EXTM3U") and "#EXT-X-STREAM-INF" in playlist
    finally:
        server.stop()


SUBMIT_AI_JOBS = DJANGO + """
from django.core.files import File
from apps.core.services.api_keys import create_tenant
from apps.domains.ai.services import create_question
from apps.support.ai.services.uploads import submit_embed_job, submit_image_job
tenant = create_tenant(name="대치 수학학원", slug="daechi")
with open(sys.argv[1], "rb") as page:
    ocr = submit_image_job(tenant=tenant, job_type="ocr", upload=File(page, name="숙제 안내.png"))
questions = [create_question(tenant=tenant, text=text) for text in sys.argv[2:]]
embed = submit_embed_job(tenant=tenant, questions=questions)
print(ocr.id, embed.id)
"""

AI_OUTCOME = DJANGO + """
import json
from apps.domains.ai.models import AIJob, Question
jobs = {job.job_type: job for job in AIJob.objects.filter(id__in=sys.argv[1:])}
vectors = {q.text: q.embedding for q in Question.objects.all()}
print(json.dumps({"jobs": {t: [j.status, j.result, j.failure_reason] for t, j in jobs.items()}, "vectors": vectors}))
"""

# Two questions asking the same thing and one that does not, as teachers write them.
QUESTIONS = ("이차방정식 x^2 - 5x + 6 = 0 의 두 근의 합을 구하시오.",
             "x^2 - 5x + 6 = 0 의 두 근을 더한 값은?",
             "다음 글을 읽고 글쓴이의 주장으로 알맞은 것을 고르시오.")


@pytest.mark.skipif(not REPOSITORY.endswith("worker-ai"), reason="the AI CPU image's jobs")
def test_the_ai_image_reads_a_korean_page_and_embeds_questions(rootfs):
    """A scanned-looking Korean page is read by the image's tesseract and questions embedded by
    its torch, both jobs submitted with the image's own services and run by its worker (--once)."""
    from tools.testing.documents import text_images

    root, config = rootfs
    python = ["/usr/bin/python3.11"]
    page = root.parent / "data" / "page.png"
    lines = text_images.KOREAN_LINES
    page.write_bytes(text_images.png_bytes(
        text_images.scanned(text_images.render_lines(lines, korean=True), degrees=1.0, noise=8.0)))
    give_to_image_user(page, config)
    server, sqs = start_sqs_server()
    try:
        env = {**sqs.env(), "ACADEMY_DATA_DIR": "/data"}
        migrate_and_create_queues(root, config, sqs, env)
        submitted = run_in_image(root, config, ["-c", SUBMIT_AI_JOBS, "/data/page.png", *QUESTIONS], env,
                                 entrypoint=python)
        assert submitted.returncode == 0, submitted.stdout + submitted.stderr
        job_ids = submitted.stdout.split()[-2:]
        worked = run_in_image(root, config, ["--once"], env, timeout=300)
        assert worked.returncode == 0, worked.stdout + worked.stderr
        outcome = run_in_image(root, config, ["-c", AI_OUTCOME, *job_ids], env, entrypoint=python)
        assert outcome.returncode == 0, outcome.stdout + outcome.stderr
    finally:
        server.stop()
    found = json.loads(outcome.stdout.splitlines()[-1])
    ocr_status, ocr, ocr_failure = found["jobs"]["ocr"]
    assert ocr_status == "succeeded", ocr_failure + worked.stderr
    assert text_images.character_error_rate("\n".join(lines), ocr["text"]) <= 0.05, ocr["text"]
    embed_status, embedded, embed_failure = found["jobs"]["embed"]
    assert embed_status == "succeeded", embed_failure + worked.stderr
    assert embedded["embedded"] == 3
    same, paraphrase, other = (found["vectors"][text] for text in QUESTIONS)
    assert len(same) == embedded["dimensions"]
    assert abs(_dot(same, same) - 1) < 1e-3  # unit length, as sentence-transformers normalises
    assert _dot(same, paraphrase) > _dot(same, other)


def _dot(a, b):
    return sum(x * y for x, y in zip(a, b, strict=True))


@pytest.mark.skipif(KIND == "api", reason="the API image has no worker --check")
def test_check_names_what_a_bare_chroot_lacks(rootfs):
    """Where a job runs tesseract, --check runs it too: without /dev it says so at once."""
    root, config = rootfs
    if not (root / "usr" / "bin" / "tesseract").exists():
        pytest.skip("this image runs no tesseract")
    server, sqs = start_sqs_server()
    try:
        bare = run_in_image(root, config, ["--check"], {**sqs.env(), "ACADEMY_DATA_DIR": "/data"}, bare=True)
    finally:
        server.stop()
    assert bare.returncode == 1, bare.stdout + bare.stderr
    assert "/dev/null is missing" in bare.stdout + bare.stderr


def test_push_to_a_registry_keeps_the_digest(tmp_path):
    """As rules_oci's oci_push: by digest, then the target's remote_tags and each --tag too."""
    push = pathlib.Path(os.environ["IMAGE_PUSH"])
    with registry(tmp_path) as host:
        repository = f"{host}/{REPOSITORY}"
        result = subprocess.run([str(push), "-r", repository, "--tag", "test", "--insecure"],
                                capture_output=True, text=True, check=False, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"pushed {repository}@{DIGEST}" in result.stdout
        for reference in (DIGEST, "latest", "test"):
            assert _served_digest(host, reference) == DIGEST, reference
