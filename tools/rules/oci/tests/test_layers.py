"""Layer order pays off (only the code layer changes) and layers are byte-for-byte reproducible."""

import json
import os
import pathlib
import subprocess
import sys
import tarfile

PACKAGE = pathlib.Path("tools/rules/oci/tests")
PRIVATE = pathlib.Path("tools/rules/oci/private")


def manifest(layout: pathlib.Path) -> dict:
    index = json.loads((layout / "index.json").read_text())
    digest = index["manifests"][0]["digest"].split(":")[1]
    return json.loads((layout / "blobs" / "sha256" / digest).read_text())


def test_a_one_line_change_changes_only_the_last_layer():
    a = [layer["digest"] for layer in manifest(PACKAGE / "app_a_image")["layers"]]
    b = [layer["digest"] for layer in manifest(PACKAGE / "app_b_image")["layers"]]
    assert len(a) == len(b) >= 4  # base packages, users, pip, code
    assert a[:-1] == b[:-1]
    assert a[-1] != b[-1]


def build_layer(out: pathlib.Path, manifest_file: pathlib.Path) -> bytes:
    subprocess.run(
        [sys.executable, str(PRIVATE / "build_layer.py"), "--out", str(out), "--files", str(manifest_file),
         "--directory", "tmp=1777", "--symlink", "usr/bin/python=python3.11"],
        check=True,
    )
    return out.read_bytes()


def test_layers_are_reproducible_whatever_the_file_metadata(tmp_path):
    source = tmp_path / "hello.py"
    source.write_text("print('hi')\n")
    files = tmp_path / "files.json"
    files.write_text(json.dumps([[str(source), "app/hello.py", None]]))
    first = build_layer(tmp_path / "1.tar.gz", files)
    os.utime(source, (1_700_000_000, 1_700_000_000))
    os.chmod(source, 0o600)
    second = build_layer(tmp_path / "2.tar.gz", files)
    assert first == second
    with tarfile.open(tmp_path / "1.tar.gz") as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == sorted(m.name for m in members)
    assert {(m.uid, m.gid, m.uname, m.gname, m.mtime) for m in members} == {(0, 0, "", "", 946684800)}
    assert [m.name for m in members if m.issym()] == ["usr/bin/python"]
