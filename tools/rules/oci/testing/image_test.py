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
import urllib.request

import boto3
import pytest

from tools.testing.container import run_in_rootfs
from tools.testing.registry import registry
from tools.testing.sqs_server import start_sqs_server

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
        uid, _, gid = loaded["User"].partition(":")
        data = pathlib.Path(tmp) / "data"  # the volume run_in_image mounts at /data
        data.mkdir()
        os.chown(data, int(uid), int(gid or uid))
        yield root, loaded


def run_in_image(root, config, args, extra_env, timeout=120, entrypoint=None, bare=False):
    """The image's entrypoint + args as a container runtime runs it (tools/testing/container.py),
    with the data directory a volume (/data) that outlives each run, as /tmp does not."""
    return run_in_rootfs(root, config, args, extra_env, timeout=timeout, entrypoint=entrypoint, bare=bare,
                         volumes={str(root.parent / "data"): "/data"})


MIGRATE = """
import os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apps.worker.settings")
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
"""


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
        # The schema, migrated by the image's own Django, and queues with their dead-letter queues.
        migrated = run_in_image(root, config, ["-c", MIGRATE], env, entrypoint=["/usr/bin/python3.11"])
        assert migrated.returncode == 0, migrated.stderr
        create_queues(sqs)
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
