"""@npm_hls_js holds the tarball the WORKSPACE pins, and its dist/hls.min.js is that tarball's file.

npm_import checked the tarball when it fetched it; this checks the check, from the outside: the
kept tarball's sha512 against the WORKSPACE text, and the exported file against the tarball.
"""

import base64
import hashlib
import json
import os
import pathlib
import re
import tarfile

RUNFILES = pathlib.Path(os.environ.get("TEST_SRCDIR", ".")) / "academy"


def runfile(variable: str) -> pathlib.Path:
    return RUNFILES / os.environ[variable]


def pinned() -> dict[str, str]:
    workspace = runfile("WORKSPACE").read_text()
    block = re.search(r'npm_import\(\s*name = "npm_hls_js",(.*?)\n\)', workspace, flags=re.DOTALL)
    assert block, "WORKSPACE declares no npm_import named npm_hls_js"
    return dict(re.findall(r'(\w+) = "([^"]*)"', block.group(1)))


def test_the_tarball_is_the_pinned_one():
    tarball = runfile("TARBALL").read_bytes()
    assert "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode() == pinned()["integrity"]


def test_hls_min_js_is_the_tarballs_file_of_the_pinned_version():
    pin = pinned()
    with tarfile.open(runfile("TARBALL"), "r:gz") as archive:
        manifest = json.load(archive.extractfile("package/package.json"))
        member = archive.extractfile("package/dist/hls.min.js").read()
    assert (manifest["name"], manifest["version"]) == (pin["package"], pin["version"])
    assert runfile("HLS_MIN_JS").read_bytes() == member
    assert re.fullmatch(r"1\.\d+\.\d+", pin["version"]), "the player is written for a hls.js 1.x release"
