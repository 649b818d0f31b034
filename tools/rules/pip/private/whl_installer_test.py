"""whl_installer against a wheel built here and served from a local directory (no network)."""

import base64
import hashlib
import os
import pathlib
import zipfile

import pytest

import whl_installer

METADATA = """\
Metadata-Version: 2.1
Name: demo-pkg
Version: 1.0
Requires-Dist: six
Requires-Dist: pytest ; extra == "test"
Requires-Dist: rich ; extra == "pretty"
Requires-Dist: colorama ; sys_platform == "win32"
Requires-Dist: not-in-lock
"""


def build_wheel(directory: pathlib.Path) -> str:
    files = {
        "demo_pkg/__init__.py": "VALUE = 1\n",
        "demo_pkg-1.0.dist-info/METADATA": METADATA,
        "demo_pkg-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(text.encode())}")
    record.append("demo_pkg-1.0.dist-info/RECORD,,")
    files["demo_pkg-1.0.dist-info/RECORD"] = "\n".join(record) + "\n"
    wheel = directory / "demo_pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return hashlib.sha256(wheel.read_bytes()).hexdigest()


@pytest.fixture
def local_index(tmp_path, monkeypatch):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)  # ignore the machine's index settings
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    return wheels


def run(tmp_path, digest, capsys):
    code = whl_installer.main([
        "--lock", "//requirements:all.lock", "--package", "demo-pkg", "--version", "1.0",
        f"--hash=sha256:{digest}", "--download", str(tmp_path / "whl"), "--target", str(tmp_path / "site"),
        "--locked", "demo-pkg,six,pytest,rich,colorama", "--resolved", "rich",
    ])
    return code, capsys.readouterr()


def test_installs_and_lists_locked_dependencies(tmp_path, local_index, capsys):
    code, out = run(tmp_path, build_wheel(local_index), capsys)
    assert code == 0, out.err
    assert (tmp_path / "site" / "demo_pkg" / "__init__.py").exists()
    assert [p.name for p in (tmp_path / "whl").iterdir()] == ["demo_pkg-1.0-py3-none-any.whl"]
    # Installed by name from the checked wheel, as from an index: no record of a local path.
    assert not (tmp_path / "site" / "demo_pkg-1.0.dist-info" / "direct_url.json").exists()
    # six: plain requirement; rich: an extra the lock resolved for it; pytest: an extra
    # nobody asked for; colorama: wrong platform; not-in-lock: not locked.
    assert out.out.split() == ["rich", "six"]


def test_a_tampered_hash_fails_naming_the_package(tmp_path, local_index, capsys):
    build_wheel(local_index)
    code, out = run(tmp_path, "0" * 64, capsys)
    assert code == 1
    assert "pip could not install demo-pkg==1.0, pinned in //requirements:all.lock" in out.err
    assert "tools/bazel run //requirements:update" in out.err
    assert "HASHES" in out.err  # pip's own explanation follows
