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


def a_wheel_installed(tmp_path: pathlib.Path, tampered: bool = False):
    """A wheel of `bundle 1.0` holding bundle/cacert.pem, and its install (pip --target's layout,
    without RECORD, as a pip rule set's package files leave it out)."""
    import base64
    import hashlib
    import zipfile

    def record_hash(data: bytes) -> str:
        return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()

    files = {"bundle/cacert.pem": b"-----BEGIN CERTIFICATE-----\n",
             "bundle-1.0.dist-info/METADATA": b"Name: bundle\nVersion: 1.0\n"}
    record = "".join(f"{path},{record_hash(data)},{len(data)}\n" for path, data in files.items())
    wheel = tmp_path / "bundle-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, b"tampered\n" if tampered and path.endswith(".pem") else data)
        archive.writestr("bundle-1.0.dist-info/RECORD", record + "bundle-1.0.dist-info/RECORD,,\n")
    site = tmp_path / "site"
    for path, data in files.items():
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_bytes(data)
    manifest_file = tmp_path / "files.json"
    manifest_file.write_text(json.dumps([[str(site / p), f"opt/academy/site-packages/{p}", None] for p in files]))
    return wheel, site, manifest_file


def pip_layer(out, manifest_file, *wheels):
    return subprocess.run(
        [sys.executable, str(PRIVATE / "build_layer.py"), "--out", str(out), "--files", str(manifest_file),
         "--site-root", "opt/academy/site-packages", *(f"--wheel={w}" for w in wheels)],
        capture_output=True, text=True, check=False)


def test_a_file_changed_after_its_install_goes_in_as_its_wheel_has_it(tmp_path):
    wheel, site, manifest_file = a_wheel_installed(tmp_path)
    assert pip_layer(tmp_path / "untouched.tar", manifest_file, wheel).returncode == 0
    with (site / "bundle/cacert.pem").open("ab") as bundle:  # as a start-up hook appends a proxy's CA
        bundle.write(b"\nproxy CA\n")
    result = pip_layer(tmp_path / "restored.tar", manifest_file, wheel)
    assert result.returncode == 0, result.stderr
    assert "opt/academy/site-packages/bundle/cacert.pem was changed after its install" in result.stderr
    assert (tmp_path / "restored.tar").read_bytes() == (tmp_path / "untouched.tar").read_bytes()


def test_a_distribution_without_its_wheel_or_a_wheel_unlike_its_record_fails_the_build(tmp_path):
    _, site, manifest_file = a_wheel_installed(tmp_path)
    result = pip_layer(tmp_path / "layer.tar", manifest_file)
    assert result.returncode != 0 and "no wheel given for bundle-1.0" in result.stderr
    (site / "bundle/cacert.pem").write_bytes(b"changed\n")
    (tmp_path / "other").mkdir()
    tampered, _, _ = a_wheel_installed(tmp_path / "other", tampered=True)
    result = pip_layer(tmp_path / "layer.tar", manifest_file, tampered)
    assert result.returncode != 0 and "does not have the hash its RECORD gives" in result.stderr
