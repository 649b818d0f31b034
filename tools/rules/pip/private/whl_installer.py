"""Installs one locked distribution for whl_library and prints what it depends on.

Run at fetch time with the host interpreter (no third-party imports beyond pip itself):

    whl_installer.py --lock LOCK --package NAME --version VERSION --hash SHA256 [--hash ...]
        --download DIR --target DIR --locked NAME,... --resolved NAME,... [--pip-arg ARG ...]

Fetches the wheel of `NAME==VERSION` with `pip wheel --no-deps --require-hashes --wheel-dir
DIR` (the pinned wheel, checked against the lock's hashes; for a distribution published only
as an sdist, the wheel pip builds from the checked sdist), installs it from there with `pip
install --no-index --find-links DIR --target DIR` (by name, so pip records no
direct_url.json and the install is the same as from an index), each with the --pip-arg
arguments (index options, --isolated, --quiet), then prints one dependency per line:
the distribution's requirements from its wheel metadata, with markers evaluated for this
interpreter, limited to packages in the lock. A requirement gated by an extra
(`; extra == "server"`) is kept only when the lock's resolver chose it for this package
(--resolved, from the lock's "# via" graph): an extra nobody asked for (setuptools[test] ->
pytest) adds no edge, and no dependency cycle.

On a failure (a hash mismatch from a tampered lock, a version the index lacks) it exits 1
with a message naming the package, the lock and the command that regenerates it.
"""

import argparse
import importlib.metadata
import re
import subprocess
import sys
import tempfile

from pip._vendor.packaging.requirements import Requirement

UPDATE_COMMAND = "tools/bazel run //requirements:update"


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _run_pip(command: list[str], pin: str, pip_args: list[str]) -> subprocess.CompletedProcess:
    """pip with the pin as its one requirement, never resolving dependencies."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as requirement:
        requirement.write(pin + "\n")
        requirement.flush()
        return subprocess.run(
            [
                sys.executable, "-m", "pip", *command,
                "--no-deps", "--no-input", "--disable-pip-version-check",
                *pip_args, "-r", requirement.name,
            ],
            capture_output=True, text=True, check=False,
        )


def install(
    package: str, version: str, hashes: list[str], download: str, target: str, pip_args: list[str] = (),
) -> subprocess.CompletedProcess:
    pin = f"{package}=={version} " + " ".join(f"--hash=sha256:{h.removeprefix('sha256:')}" for h in hashes)
    fetched = _run_pip(["wheel", "--require-hashes", "--wheel-dir", download], pin, list(pip_args))
    if fetched.returncode != 0:
        return fetched
    # The wheel was checked (or built from a checked sdist) above; a built wheel has no
    # hash in the lock, so this install from the local directory goes by name and version.
    local = [a for a in pip_args if a in ("--isolated", "--quiet")]
    return _run_pip(
        ["install", "--no-index", "--find-links", download, "--no-warn-script-location", "--target", target],
        f"{package}=={version}",
        local,
    )


def failure_message(package: str, version: str, lock: str, pip_output: str) -> str:
    return "\n".join([
        f"pip could not install {package}=={version}, pinned in {lock}.",
        "If the lock was edited by hand, or the index serves a different file for this pin,",
        f"regenerate it with: {UPDATE_COMMAND}",
        "pip said:",
        pip_output.strip(),
    ])


def dependencies(site_dir: str, package: str, locked: set[str], resolved: set[str]) -> list[str]:
    wanted = normalize(package)
    dists = [d for d in importlib.metadata.distributions(path=[site_dir]) if normalize(d.metadata["Name"]) == wanted]
    if not dists:
        raise LookupError(f"no .dist-info for {package} in {site_dir}")
    deps = set()
    for spec in dists[0].requires or []:
        req = Requirement(spec)
        name = normalize(req.name)
        if name == wanted or name not in locked:
            continue
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            deps.add(name)
        elif "extra" in str(req.marker) and name in resolved:
            deps.add(name)
    return sorted(deps)


def _names(value: str) -> set[str]:
    return {normalize(n) for n in value.split(",") if n}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lock", required=True)
    parser.add_argument("--package", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--hash", action="append", required=True, dest="hashes")
    parser.add_argument("--download", required=True, help="directory that keeps the downloaded file")
    parser.add_argument("--target", required=True)
    parser.add_argument("--locked", default="")
    parser.add_argument("--resolved", default="")
    parser.add_argument("--pip-arg", action="append", default=[], dest="pip_args", help="an argument for pip")
    args = parser.parse_args(argv)
    result = install(args.package, args.version, args.hashes, args.download, args.target, args.pip_args)
    if result.returncode != 0:
        print(failure_message(args.package, args.version, args.lock, result.stderr or result.stdout), file=sys.stderr)
        return 1
    print("\n".join(dependencies(args.target, args.package, _names(args.locked), _names(args.resolved))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
