"""Regenerates the hash-pinned locks under requirements/ with uv.

    tools/bazel run //requirements:update            # every lock
    tools/bazel run //requirements:update -- --check # exit 1 if a lock is out of date (offline)

Versions already pinned stay as they are unless a requirement changed them (uv's
preference for the pins of an existing lock). First all.txt (every role plus the dev
tools) is compiled into all.lock; then each role's
file is compiled with all.lock as a constraint, so a package has one version in every lock.
Each lock opens with an `# inputs-sha256:` line: the hash of the requirement files it was
compiled from (following -r includes), which the offline staleness test compares.

Where packages come from is part of the inputs: an index option in a requirement file
(`--extra-index-url https://download.pytorch.org/whl/cpu` in worker-ai.txt) is written on a
line of its own at the top of every lock compiled from that file, so pip (pip_parse passes
such lines on, as rules_python does) finds the files whatever the machine's configuration.
Extras stay in the lock (`moto[server]`, uv's --no-strip-extras).

A machine that cannot resolve an index's host (an offline mirror) compiles without that
index, says so, and relies on its pip find-links directories (passed on to uv) to hold what
the index would have served; the lock still names the index. uv's own environment
(UV_INDEX_URL, ...) is honoured but never written into a lock.
"""

import argparse
import hashlib
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile

ROLES = ("api", "worker-video", "worker-ai", "worker-messaging", "worker-ai-gpu")
# Roles whose lock may differ from all.lock for these packages (and what they pull in):
# the GPU role takes PyTorch's CUDA build instead of the CPU one.
UNCONSTRAINED = {"worker-ai-gpu": ("torch",)}
# Roles resolved against the index alone: the local find-links wheel is torch's CPU build.
INDEX_ONLY = ("worker-ai-gpu",)
ALL = "all"
PYTHON_VERSION = "3.11"
PLATFORM = "x86_64-manylinux_2_28"
UPDATE_COMMAND = "tools/bazel run //requirements:update"
HEADER_PREFIX = "# inputs-sha256: "
# Requirement-file options that say where packages come from, and belong in the lock.
INDEX_OPTIONS = ("--index-url", "--extra-index-url", "--find-links")
EXTRAS = re.compile(r"\[[^\]]*\]")


def requirement_closure(path: pathlib.Path) -> list[pathlib.Path]:
    """The file and every file it includes with -r / -c, in a stable order."""
    seen: list[pathlib.Path] = []
    pending = [path]
    while pending:
        current = pending.pop(0)
        if current in seen:
            continue
        seen.append(current)
        for line in current.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] in ("-r", "-c", "--requirement", "--constraint"):
                pending.append((current.parent / parts[1]).resolve())
    return seen


def inputs_digest(requirements_dir: pathlib.Path, name: str) -> str:
    digest = hashlib.sha256()
    for path in requirement_closure((requirements_dir / f"{name}.txt").resolve()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def recorded_digest(lock: pathlib.Path) -> str | None:
    if not lock.exists():
        return None
    first = lock.read_text().split("\n", 1)[0]
    return first[len(HEADER_PREFIX):] if first.startswith(HEADER_PREFIX) else None


def stale_locks(requirements_dir: pathlib.Path) -> list[str]:
    return [
        f"{name}.lock"
        for name in (ALL, *ROLES)
        if recorded_digest(requirements_dir / f"{name}.lock") != inputs_digest(requirements_dir, name)
    ]


def index_option(line: str) -> tuple[str, str] | None:
    """`--extra-index-url URL` (or `--find-links=DIR`, ...) on a requirement-file line, else None."""
    parts = line.split("#", 1)[0].replace("=", " ", 1).split()
    return (parts[0], parts[1]) if len(parts) == 2 and parts[0] in INDEX_OPTIONS else None


def index_options(requirements_dir: pathlib.Path, name: str) -> list[tuple[str, str]]:
    """(option, value) of every index option in the file and the files it includes, once each."""
    found: list[tuple[str, str]] = []
    for path in requirement_closure((requirements_dir / f"{name}.txt").resolve()):
        for option in filter(None, map(index_option, path.read_text().splitlines())):
            if option not in found:
                found.append(option)
    return found


def reachable(location: str) -> bool:
    """Whether this machine can resolve an index's host (a local path: whether it exists)."""
    if "://" not in location or location.startswith("file://"):
        return pathlib.Path(location.removeprefix("file://")).exists()
    host = location.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1].split(":")[0]
    try:
        socket.getaddrinfo(host, 443)
    except OSError:
        return False
    return True


def resolvable_inputs(requirements_dir: pathlib.Path, into: pathlib.Path) -> list[str]:
    """Copies the requirement files into `into`, commenting out index options whose location
    this machine cannot reach; returns those locations."""
    unreachable: set[str] = set()
    for path in sorted(requirements_dir.glob("*.txt")):
        lines = path.read_text().splitlines()
        for i, option in enumerate(map(index_option, lines)):
            if option and not reachable(option[1]):
                unreachable.add(option[1])
                lines[i] = "# (unreachable here) " + lines[i]
        (into / path.name).write_text("\n".join(lines) + "\n")
    return sorted(unreachable)


def constraint_pins(lock: str) -> list[str]:
    """The lock's `name==version` lines without extras: constraint files take neither options
    nor extras."""
    return [EXTRAS.sub("", line.rstrip(" \\")) for line in lock.splitlines()
            if line and not line[0].isspace() and not line.startswith(("#", "-"))]


def pip_find_links() -> list[str]:
    """find-links directories from the machine's pip configuration (may be none)."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "config", "get", "global.find-links"],
        capture_output=True, text=True, check=False,
    )
    return result.stdout.split() if result.returncode == 0 else []


def find_uv() -> str:
    # uv comes from the lock (dev.txt) as a py_library; its wheel puts the binary in bin/.
    for entry in sys.path:
        candidate = pathlib.Path(entry) / "bin" / "uv"
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("uv")
    if not found:
        sys.exit("uv not found: run this through tools/bazel run //requirements:update")
    return found


def compile_lock(uv: str, requirements_dir: pathlib.Path, name: str, constraint: pathlib.Path | None,
                 inputs_dir: pathlib.Path, find_links: list[str]) -> None:
    """Compiles `inputs_dir/<name>.txt` (resolvable_inputs' copy) into `requirements_dir/<name>.lock`;
    find_links: pip's find-links directories, given to uv unless the role resolves from its index alone."""
    out = requirements_dir / f"{name}.lock"
    with tempfile.TemporaryDirectory() as tmp:
        tmp_out = pathlib.Path(tmp) / out.name
        if out.exists():
            # uv prefers the versions pinned in an existing output file: adding a package
            # changes the lock by that package, not by every upgrade since the last update.
            shutil.copyfile(out, tmp_out)
        command = [
            uv, "pip", "compile", f"{name}.txt",
            "--generate-hashes", "--no-strip-extras", "--python-version", PYTHON_VERSION,
            "--python-platform", PLATFORM, "--custom-compile-command", UPDATE_COMMAND, "--quiet",
            "-o", str(tmp_out),
        ]
        if constraint is not None:
            command += ["--constraint", str(constraint)]
        if name not in INDEX_ONLY:
            for link in find_links:
                command += ["--find-links", link]
        subprocess.run(command, cwd=inputs_dir, check=True)
        body = tmp_out.read_text()
    if constraint is not None:
        # uv names the temporary constraint path in "# via" comments; name the lock instead.
        body = body.replace(str(constraint), "all.lock")
    options = "".join(f"{option} {value}\n" for option, value in index_options(requirements_dir, name))
    out.write_text(f"{HEADER_PREFIX}{inputs_digest(requirements_dir, name)}\n{options}{body}")
    print(f"wrote requirements/{out.name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requirements-dir", type=pathlib.Path, help="default: <workspace>/requirements")
    parser.add_argument("--check", action="store_true", help="only report stale locks (no network)")
    args = parser.parse_args(argv)
    workspace = pathlib.Path(os.environ.get("BUILD_WORKSPACE_DIRECTORY", pathlib.Path(__file__).resolve().parents[3]))
    requirements_dir = (args.requirements_dir or workspace / "requirements").resolve()
    if args.check:
        stale = stale_locks(requirements_dir)
        for lock in stale:
            print(f"requirements/{lock}: lock out of date, run {UPDATE_COMMAND}")
        return 1 if stale else 0
    uv = find_uv()
    find_links = pip_find_links()
    with tempfile.TemporaryDirectory() as tmp:
        inputs_dir = pathlib.Path(tmp) / "requirements"
        inputs_dir.mkdir()
        for location in resolvable_inputs(requirements_dir, inputs_dir):
            print(f"warning: {location} cannot be reached from this machine: resolving without it, from pip's "
                  f"find-links ({' '.join(find_links) or 'none configured'}); the locks still name it",
                  file=sys.stderr)
        compile_lock(uv, requirements_dir, ALL, None, inputs_dir, find_links)
        # A constraint file has no hashes: uv's constraint parser takes pins only.
        constraint = pathlib.Path(tmp) / "all-pins.txt"
        pins = constraint_pins((requirements_dir / f"{ALL}.lock").read_text())
        for role in ROLES:
            free = UNCONSTRAINED.get(role, ())
            constraint.write_text("\n".join(p for p in pins if p.split("==")[0] not in free) + "\n")
            compile_lock(uv, requirements_dir, role, constraint, inputs_dir, find_links)
    return 0


if __name__ == "__main__":
    sys.exit(main())
