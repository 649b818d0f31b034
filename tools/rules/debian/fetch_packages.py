"""Downloads the .deb files a Debian lock pins, and verifies each sha256.

Run by the debian_packages repository rule at fetch time:

    fetch_packages.py LOCK OUT_DIR

Uses `apt-get download name=version`, so the files come from whatever archive the machine's
apt sources name; nothing in the repository names a host. A file whose sha256 differs from
the lock fails the fetch with a message naming the package.
"""

import hashlib
import pathlib
import subprocess
import sys

UPDATE_COMMAND = "tools/bazel run //third_party/debian:update"


def read_lock(path: pathlib.Path) -> list[tuple[str, str, str, str]]:
    entries = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            package, version, arch, sha256 = line.split()
            entries.append((package, version, arch, sha256))
    return entries


def sha256_of(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def main(lock: str, out_dir: str) -> int:
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    entries = read_lock(pathlib.Path(lock))
    wanted = [f"{p}={v}" for p, v, _, _ in entries]
    result = subprocess.run(
        ["apt-get", "download", "-q", *wanted], cwd=out, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        print(
            f"apt-get download failed for {lock}; run apt-get update, or regenerate the lock with "
            f"{UPDATE_COMMAND} if the archive no longer has these versions:\n{result.stderr.strip()}",
            file=sys.stderr,
        )
        return 1
    debs = {}
    for deb in out.glob("*.deb"):
        debs[deb.name.split("_", 1)[0]] = deb
    for package, version, arch, sha256 in entries:
        deb = debs.get(package)
        if deb is None:
            print(f"{package}={version}: apt-get download produced no file", file=sys.stderr)
            return 1
        actual = sha256_of(deb)
        if actual != sha256:
            print(
                f"{package}={version} ({arch}): sha256 {actual} does not match the lock's {sha256} in {lock}",
                file=sys.stderr,
            )
            return 1
        # Stable names: the order of layers' contents follows the lock, not download order.
        deb.rename(out / f"{package}.deb")
    print(f"fetched {len(entries)} packages")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
