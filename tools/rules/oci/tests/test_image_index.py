"""oci_image_index as rules_oci documents it: an index of per-platform images, its digest,
its push with every image, and its load tarball (oci only)."""

import json
import os
import pathlib
import subprocess
import sys
import tarfile
import urllib.request

import pytest

from tools.testing.registry import registry

LAYOUT = pathlib.Path(os.environ["INDEX_LAYOUT"])
DIGEST = pathlib.Path(os.environ["INDEX_DIGEST"]).read_text().strip()
INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
PRIVATE = pathlib.Path("tools/rules/oci/private")


def blob(layout: pathlib.Path, digest: str) -> bytes:
    return (layout / "blobs" / "sha256" / digest.split(":", 1)[1]).read_bytes()


def the_index() -> dict:
    return json.loads(blob(LAYOUT, DIGEST))


def test_the_layout_names_one_index_whose_digest_is_the_digest_target():
    top = json.loads((LAYOUT / "index.json").read_text())
    assert [(m["mediaType"], m["digest"]) for m in top["manifests"]] == [(INDEX, DIGEST)]
    assert json.loads((LAYOUT / "oci-layout").read_text()) == {"imageLayoutVersion": "1.0.0"}
    assert the_index()["mediaType"] == INDEX


def test_each_image_is_listed_in_order_with_its_platform_and_every_blob_is_there():
    index = the_index()
    assert [m["platform"] for m in index["manifests"]] == [
        {"os": "linux", "architecture": "amd64"},
        {"os": "linux", "architecture": "arm64", "variant": "v8"},
    ]
    for entry in index["manifests"]:
        assert entry["mediaType"] == MANIFEST
        manifest = json.loads(blob(LAYOUT, entry["digest"]))
        config = json.loads(blob(LAYOUT, manifest["config"]["digest"]))
        assert (config["os"], config["architecture"]) == (entry["platform"]["os"], entry["platform"]["architecture"])
        for layer in manifest["layers"]:
            assert len(blob(LAYOUT, layer["digest"])) == layer["size"]
    assert index["annotations"] == {"org.opencontainers.image.title": "앱 A"}


def test_the_amd64_entry_is_the_amd64_image_itself():
    amd64 = LAYOUT.parent / "app_a_linux_amd64"
    own = json.loads((amd64 / "index.json").read_text())["manifests"][0]["digest"]
    assert the_index()["manifests"][0]["digest"] == own


def test_push_sends_the_index_with_its_images_and_keeps_its_digest(tmp_path):
    push = pathlib.Path(os.environ["INDEX_PUSH"])
    with registry(tmp_path) as host:
        result = subprocess.run([str(push), "-r", f"{host}/academy/app-a", "--insecure"],
                                capture_output=True, text=True, check=False, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"pushed {host}/academy/app-a@{DIGEST}" in result.stdout
        for reference in (DIGEST, "multi"):
            request = urllib.request.Request(f"http://{host}/v2/academy/app-a/manifests/{reference}",
                                             headers={"Accept": INDEX})
            with urllib.request.urlopen(request) as response:
                assert response.headers["Docker-Content-Digest"] == DIGEST
                assert json.loads(response.read())["mediaType"] == INDEX
        for entry in the_index()["manifests"]:  # each platform's image came along
            request = urllib.request.Request(f"http://{host}/v2/academy/app-a/manifests/{entry['digest']}",
                                             method="HEAD", headers={"Accept": MANIFEST})
            with urllib.request.urlopen(request) as response:
                assert response.headers["Docker-Content-Digest"] == entry["digest"]


def test_the_oci_load_tarball_holds_the_index_under_its_tag():
    with tarfile.open(os.environ["INDEX_TARBALL"]) as tar:
        names = tar.getnames()
        top = json.loads(tar.extractfile("index.json").read())
    assert "manifest.json" not in names and "oci-layout" in names
    assert [(m["digest"], m["annotations"]["org.opencontainers.image.ref.name"]) for m in top["manifests"]] == [
        (DIGEST, "academy/app-a:multi")]


def test_a_docker_format_load_of_an_index_says_why_it_cannot(tmp_path):
    tags = tmp_path / "tags.txt"
    tags.write_text("academy/app-a:multi\n")
    result = subprocess.run([sys.executable, str(PRIVATE / "docker_tarball.py"), str(LAYOUT),
                             str(tmp_path / "out.tar"), str(tags)], capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "is an image index" in result.stderr and 'format = "oci"' in result.stderr
    assert not (tmp_path / "out.tar").exists()


@pytest.mark.parametrize("annotations", ["", "org.example.note=a=b\n"])
def test_the_builder_writes_annotations_only_when_given(tmp_path, annotations):
    args = [sys.executable, str(PRIVATE / "build_index.py"), "--out", str(tmp_path / "out"),
            "--image", str(LAYOUT.parent / "app_a_linux_amd64")]
    if annotations:
        (tmp_path / "a.txt").write_text(annotations)
        args += ["--annotations", str(tmp_path / "a.txt")]
    subprocess.run(args, check=True)
    top = json.loads((tmp_path / "out" / "index.json").read_text())
    index = json.loads(blob(tmp_path / "out", top["manifests"][0]["digest"]))
    assert index.get("annotations") == ({"org.example.note": "a=b"} if annotations else None)
