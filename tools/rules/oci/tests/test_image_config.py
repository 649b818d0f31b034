"""oci_image's config and layers behave as rules_oci documents them (build_image.py, describe_layer.py).

Each case runs the tools as the rule's actions do, with the files the oci_image macro writes.
"""

import gzip
import hashlib
import io
import json
import pathlib
import subprocess
import sys
import tarfile

PRIVATE = pathlib.Path("tools/rules/oci/private")


def run(tool: str, *args) -> None:
    subprocess.run([sys.executable, str(PRIVATE / tool), *map(str, args)], check=True)


def a_tar(path: pathlib.Path, content: bytes = b"hello\n") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    raw = buffer.getvalue()
    path.write_bytes(gzip.compress(raw, mtime=0) if path.name.endswith(".gz") else raw)
    return raw


def lines(path: pathlib.Path, *items: str) -> pathlib.Path:
    path.write_text("".join(item + "\n" for item in items))
    return path


def build(tmp: pathlib.Path, name: str, *args, layers=()) -> tuple[dict, dict]:
    out = tmp / name
    layer_args = []
    for i, layer in enumerate(layers):
        described = tmp / f"{name}-{i}.json"
        run("describe_layer.py", layer, described)
        layer_args.append(f"--layer={layer}={described}")
    run("build_image.py", "--out", out, *args, *layer_args)
    index = json.loads((out / "index.json").read_text())
    blob = out / "blobs" / "sha256"
    manifest = json.loads((blob / index["manifests"][0]["digest"].split(":")[1]).read_text())
    config = json.loads((blob / manifest["config"]["digest"].split(":")[1]).read_text())
    return manifest, config


def test_layers_are_stored_as_given_with_their_media_type(tmp_path):
    plain, packed = tmp_path / "plain.tar", tmp_path / "packed.tar.gz"
    raw_plain, raw_packed = a_tar(plain), a_tar(packed, b"other\n")
    manifest, config = build(tmp_path, "image", "--scratch", "linux/amd64", layers=[plain, packed])
    assert [layer["mediaType"] for layer in manifest["layers"]] == [
        "application/vnd.oci.image.layer.v1.tar",
        "application/vnd.oci.image.layer.v1.tar+gzip",
    ]
    assert [layer["digest"] for layer in manifest["layers"]] == [
        "sha256:" + hashlib.sha256(p.read_bytes()).hexdigest() for p in (plain, packed)
    ]
    assert config["rootfs"]["diff_ids"] == ["sha256:" + hashlib.sha256(r).hexdigest() for r in (raw_plain, raw_packed)]
    assert (config["os"], config["architecture"], config["created"]) == ("linux", "amd64", "1970-01-01T00:00:00Z")


def test_an_entrypoint_clears_the_base_cmd_and_env_expands_from_the_base(tmp_path):
    build(tmp_path, "base", "--scratch", "linux/arm64/v8",
          "--env", lines(tmp_path / "base.env", "PATH=/usr/bin:/bin", "HOME=/home/nonroot"),
          "--cmd", lines(tmp_path / "base.cmd", "--serve"),
          "--labels", lines(tmp_path / "base.labels", "a=1", "b=2"),
          "--volumes", lines(tmp_path / "base.volumes", "/data"))
    _, config = build(tmp_path, "app", "--base", tmp_path / "base",
                      "--entrypoint", lines(tmp_path / "app.entrypoint", "/usr/bin/python3.11", "-c", "a%5Cnb"),
                      "--env", lines(tmp_path / "app.env", "PATH=/opt/bin:$PATH", "CACHE=${HOME}/.cache", "X=$UNSET."),
                      "--labels", lines(tmp_path / "app.labels", "b=3"),
                      "--exposed-ports", lines(tmp_path / "app.ports", "8000,53/udp"),
                      "--volumes", lines(tmp_path / "app.volumes", "/srv/a,/srv/b"),
                      "--created", lines(tmp_path / "created", "2026-01-02T03:04:05.000Z"))
    image = config["config"]
    assert image["Entrypoint"] == ["/usr/bin/python3.11", "-c", "a\nb"]
    assert "Cmd" not in image
    assert image["Env"] == ["PATH=/opt/bin:/usr/bin:/bin", "HOME=/home/nonroot", "CACHE=/home/nonroot/.cache", "X=."]
    assert image["Labels"] == {"a": "1", "b": "3"}
    assert image["ExposedPorts"] == {"8000/tcp": {}, "53/udp": {}}
    assert image["Volumes"] == {"/data": {}, "/srv/a": {}, "/srv/b": {}}
    assert (config["architecture"], config["variant"], config["created"]) == ("arm64", "v8", "2026-01-02T03:04:05.000Z")


def test_a_cmd_given_with_an_entrypoint_is_kept(tmp_path):
    _, config = build(tmp_path, "image", "--scratch", "linux/amd64",
                      "--entrypoint", lines(tmp_path / "e", "/bin/app"), "--cmd", lines(tmp_path / "c", "--port", "80"))
    assert (config["config"]["Entrypoint"], config["config"]["Cmd"]) == (["/bin/app"], ["--port", "80"])


def test_equal_inputs_give_the_same_digest(tmp_path):
    layer = tmp_path / "layer.tar.gz"
    a_tar(layer)
    first = build(tmp_path, "one", "--scratch", "linux/amd64", layers=[layer])[0]
    second = build(tmp_path, "two", "--scratch", "linux/amd64", layers=[layer])[0]
    assert first == second
