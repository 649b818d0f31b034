"""Fetches one npm package with npm itself, checks it against its pinned integrity, unpacks it.

Run by the npm_import repository rule at fetch time:

    fetch_package.py --package NAME --version VERSION --integrity SRI --out DIR

`npm pack NAME@VERSION` downloads the tarball from whatever registry npm's own configuration
names (`npm config get registry`, an `.npmrc`), so nothing in the repository names a host and a
mirror or its credentials stay in npm's configuration. The tarball's sha512 is compared with
INTEGRITY, the registry's `dist.integrity` for that version, before anything is unpacked: npm
checks what it downloads against what the registry claims, this checks it against what the
WORKSPACE pinned, so a republished or substituted tarball fails the fetch.

The tarball is kept as DIR/package.tgz; its files are unpacked into DIR without their top-level
directory (`package/` in registry tarballs). Files Bazel would take for package or repository
boundaries (BUILD, BUILD.bazel, WORKSPACE, WORKSPACE.bazel) and names a Bazel 4 label cannot
hold are left out of the listing. The exported files are printed, one per line, for the rule's
BUILD file.
"""

import argparse
import base64
import hashlib
import hmac
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

TARBALL = "package.tgz"
# Bazel would read these as the start of another package or repository inside this one.
BAZEL_FILES = {"BUILD", "BUILD.bazel", "WORKSPACE", "WORKSPACE.bazel"}
# What npm itself accepts as a package name, and an exact semantic version (never a range or a tag).
PACKAGE_NAME = re.compile(r"^(@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$")
EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
# One path segment of a file that a Bazel 4 label can name and a BUILD string can hold as written.
LABEL_SEGMENT = re.compile(r"^[A-Za-z0-9_.+@~-]+$")


class FetchError(Exception):
    """A reason to fail the fetch; the message is what the user sees."""


def parse_integrity(integrity: str, spec: str) -> bytes:
    """The sha512 digest an SRI string pins; anything but one `sha512-<base64>` value is refused."""
    hint = f"use the registry's value: npm view {spec} dist.integrity"
    if not integrity.strip():
        raise FetchError(f"{spec}: integrity is required ({hint})")
    algorithm, _, encoded = integrity.strip().partition("-")
    if algorithm != "sha512" or " " in encoded:
        raise FetchError(f'{spec}: integrity must be a single "sha512-<base64>" value, got {integrity!r} ({hint})')
    try:
        digest = base64.b64decode(encoded, validate=True)
    except ValueError:
        digest = b""
    if len(digest) != hashlib.sha512().digest_size:
        raise FetchError(f"{spec}: integrity {integrity!r} is not a base64 sha512 digest ({hint})")
    return digest


def sha512_of(path: pathlib.Path) -> bytes:
    digest = hashlib.sha512()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.digest()


def npm_pack(spec: str, directory: pathlib.Path) -> pathlib.Path:
    """Downloads the tarball with `npm pack` into `directory` and returns its path."""
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError(f"{spec}: npm is not installed or not on PATH; install npm (Debian: apt-get install npm; "
                         f"tools/bazel installs it) or put it on PATH")
    # --ignore-scripts: a registry package runs nothing while it is packed; --json keeps npm's own
    # messages out of the way (they are shown only when npm fails).
    result = subprocess.run([npm, "pack", spec, "--ignore-scripts", "--json"], cwd=directory,
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise FetchError(f"{spec}: npm pack failed (exit {result.returncode}); check npm's registry configuration "
                         f"(npm config get registry):\n{result.stderr.strip()}")
    tarballs = sorted(directory.glob("*.tgz"))
    if len(tarballs) != 1:
        raise FetchError(f"{spec}: npm pack left {len(tarballs)} tarballs, expected one")
    return tarballs[0]


def verify(tarball: pathlib.Path, expected: bytes, integrity: str, spec: str) -> None:
    actual = sha512_of(tarball)
    if not hmac.compare_digest(actual, expected):
        raise FetchError(f"{spec}: integrity mismatch: the pin is {integrity} but the tarball npm fetched is "
                         f"sha512-{base64.b64encode(actual).decode()}. Nothing was unpacked. Compare both with "
                         f"`npm view {spec} dist.integrity` before changing the pin.")


def exported(name: str) -> bool:
    segments = name.split("/")
    return (segments[-1] not in BAZEL_FILES and name != TARBALL
            and all(LABEL_SEGMENT.match(s) and s not in (".", "..") for s in segments))


def unpack(tarball: pathlib.Path, out: pathlib.Path, spec: str) -> list[str]:
    """Unpacks the tarball's regular files into `out` without their top-level directory."""
    names = []
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive.getmembers():
            if member.isdir():
                continue
            parts = pathlib.PurePosixPath(member.name).parts
            if len(parts) < 2 or member.name.startswith("/") or ".." in parts:
                raise FetchError(f"{spec}: the tarball holds {member.name!r}, outside its package directory")
            if not member.isfile():
                raise FetchError(f"{spec}: the tarball holds {member.name!r}, which is not a regular file")
            name = "/".join(parts[1:])
            target = out / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.extractfile(member) as source, target.open("wb") as sink:
                shutil.copyfileobj(source, sink)
            target.chmod(0o755 if member.mode & 0o111 else 0o644)
            names.append(name)
    if TARBALL in names:
        raise FetchError(f"{spec}: the package holds its own {TARBALL}, which would hide the fetched tarball")
    return sorted(n for n in names if exported(n))


def fetch(package: str, version: str, integrity: str, out: pathlib.Path) -> list[str]:
    spec = f"{package}@{version}"
    if not PACKAGE_NAME.match(package):
        raise FetchError(f"{package!r} is not an npm package name")
    if not EXACT_VERSION.match(version):
        raise FetchError(f"{spec}: version must be one exact version such as 1.2.3, not a range or a tag")
    expected = parse_integrity(integrity, spec)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out, prefix=".npm-pack-") as scratch:
        tarball = npm_pack(spec, pathlib.Path(scratch))
        verify(tarball, expected, integrity, spec)
        names = unpack(tarball, out, spec)
        shutil.move(tarball, out / TARBALL)
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--package", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--integrity", required=True)
    parser.add_argument("--out", required=True, type=pathlib.Path)
    args = parser.parse_args(argv)
    try:
        names = fetch(args.package, args.version, args.integrity, args.out)
    except FetchError as error:
        print(error, file=sys.stderr)
        return 1
    print("\n".join(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
