"""fetch_package.py against a tarball built here and a stand-in `npm` on PATH (no network).

The stand-in does what `npm pack <spec>` does for a registry package: it writes the tarball into
its working directory. It also records its arguments, so a test can tell whether npm ran.
"""

import base64
import hashlib
import io
import json
import os
import pathlib
import sys
import tarfile

import pytest

if "TEST_SRCDIR" in os.environ:
    ROOT = pathlib.Path(os.environ["TEST_SRCDIR"]) / "academy"
else:
    ROOT = pathlib.Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT / "tools" / "rules" / "npm" / "private"))

import fetch_package

FILES = {
    "package/package.json": b'{"name": "demo-pkg", "version": "1.0.0"}\n',
    "package/dist/demo.min.js": b"window.Demo = {};\n",
    "package/src/BUILD": b"not a Bazel file\n",
    "package/has space.txt": b"no label can name this\n",
}

STAND_IN = """#!{python}
import json, pathlib, shutil, sys
pathlib.Path({log!r}).write_text(json.dumps(sys.argv[1:]))
if {exit_code}:
    print("npm error 404 Not Found", file=sys.stderr)
    sys.exit({exit_code})
shutil.copy({tarball!r}, "demo-pkg-1.0.0.tgz")
"""


def build_tarball(path: pathlib.Path, files: dict[str, bytes]) -> str:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


@pytest.fixture
def npm(tmp_path, monkeypatch):
    """Puts a stand-in npm on PATH; returns a function that sets what it serves and how it exits."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    log = tmp_path / "npm-args.json"

    def serve(files: dict[str, bytes] = FILES, exit_code: int = 0) -> str:
        tarball = tmp_path / "served.tgz"
        integrity = build_tarball(tarball, files)
        script = bin_dir / "npm"
        script.write_text(STAND_IN.format(python=sys.executable, log=str(log), tarball=str(tarball),
                                          exit_code=exit_code))
        script.chmod(0o755)
        return integrity

    serve.log = log
    return serve


def run(tmp_path, integrity, capsys, version="1.0.0"):
    out = tmp_path / "repo"
    code = fetch_package.main(["--package", "demo-pkg", "--version", version, f"--integrity={integrity}",
                               "--out", str(out)])
    captured = capsys.readouterr()
    return code, out, captured


def test_a_matching_tarball_is_unpacked_and_its_files_listed(tmp_path, npm, capsys):
    integrity = npm()
    code, out, captured = run(tmp_path, integrity, capsys)
    assert code == 0, captured.err
    assert json.loads(npm.log.read_text()) == ["pack", "demo-pkg@1.0.0", "--ignore-scripts", "--json"]
    assert captured.out.split() == ["dist/demo.min.js", "package.json"]
    assert (out / "dist/demo.min.js").read_bytes() == FILES["package/dist/demo.min.js"]
    assert (out / "has space.txt").exists() and (out / "src/BUILD").exists()  # unpacked, not exported
    kept = out / fetch_package.TARBALL
    assert "sha512-" + base64.b64encode(hashlib.sha512(kept.read_bytes()).digest()).decode() == integrity
    assert not list(out.glob(".npm-pack-*"))


def test_a_wrong_integrity_fails_and_unpacks_nothing(tmp_path, npm, capsys):
    served = npm()
    pinned = "sha512-" + base64.b64encode(hashlib.sha512(b"another tarball").digest()).decode()
    code, out, captured = run(tmp_path, pinned, capsys)
    assert code == 1
    assert "demo-pkg@1.0.0: integrity mismatch" in captured.err
    assert pinned in captured.err and served in captured.err
    assert "npm view demo-pkg@1.0.0 dist.integrity" in captured.err
    assert sorted(p.name for p in out.iterdir()) == []


@pytest.mark.parametrize("integrity, message", [
    ("", "integrity is required"),
    ("sha1-" + base64.b64encode(hashlib.sha1(b"x").digest()).decode(), 'a single "sha512-<base64>" value'),
    ("sha256-" + base64.b64encode(hashlib.sha256(b"x").digest()).decode(), 'a single "sha512-<base64>" value'),
    ("sha512-not*base64", "is not a base64 sha512 digest"),
    ("sha512-" + base64.b64encode(b"short").decode(), "is not a base64 sha512 digest"),
    ("sha512-" + base64.b64encode(hashlib.sha512(b"x").digest()).decode() + " sha512-AAAA", "a single"),
])
def test_a_missing_or_odd_integrity_is_refused_before_npm_runs(tmp_path, npm, capsys, integrity, message):
    npm()
    code, _, captured = run(tmp_path, integrity, capsys)
    assert code == 1
    assert message in captured.err
    assert "npm view demo-pkg@1.0.0 dist.integrity" in captured.err
    assert not npm.log.exists()


def test_a_range_is_refused(tmp_path, npm, capsys):
    code, _, captured = run(tmp_path, npm(), capsys, version="^1.0.0")
    assert code == 1
    assert "version must be one exact version" in captured.err
    assert not npm.log.exists()


def test_no_npm_on_path_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    code, _, captured = run(tmp_path, "sha512-" + base64.b64encode(bytes(64)).decode(), capsys)
    assert code == 1
    assert "npm is not installed or not on PATH" in captured.err


def test_npm_failing_is_reported_with_its_message(tmp_path, npm, capsys):
    code, _, captured = run(tmp_path, npm(exit_code=1), capsys)
    assert code == 1
    assert "npm pack failed (exit 1)" in captured.err and "404 Not Found" in captured.err


def test_a_member_outside_the_package_directory_is_refused(tmp_path, npm, capsys):
    integrity = npm({"package/package.json": b"{}", "package/../../escape.js": b"x"})
    code, _, captured = run(tmp_path, integrity, capsys)
    assert code == 1
    assert "outside its package directory" in captured.err
    assert not (tmp_path / "escape.js").exists()
