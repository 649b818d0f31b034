"""Runs a command inside an unpacked image's filesystem the way a container runtime does.

    result = run_in_rootfs(root, config, ["--check"], {"ACADEMY_DATA_DIR": "/tmp"})

As runc/crun set a container up (the OCI runtime spec's default mounts): a private mount
and PID namespace (`unshare --mount --pid --fork`), `/proc` mounted fresh, `/dev` a tmpfs
holding the spec's default devices (null, zero, full, random, urandom, tty bound from the
host) with `/dev/shm`, `/dev/pts` left out, `/dev/fd`, `stdin`, `stdout`, `stderr` links,
and `/tmp` a fresh tmpfs (mode 1777), each volume bound at its path; then the image's root,
WorkingDir and User (`unshare --root --wd --setgid --setuid`), with its Env and Entrypoint. The network is the host's, so servers on 127.0.0.1 are reachable,
as with `--network host`. Needs root; the mounts vanish with the namespace.
"""

import os
import pathlib
import signal
import subprocess

DEVICES = ("null", "zero", "full", "random", "urandom", "tty")

_SETUP = """
set -eu
root="$1"; shift
mkdir -p "$root/proc" "$root/dev" "$root/tmp"
mount -t proc proc "$root/proc"
mount -t tmpfs -o nosuid,mode=0755 tmpfs "$root/dev"
for device in {devices}; do
  touch "$root/dev/$device"
  mount --bind "/dev/$device" "$root/dev/$device"
done
mkdir "$root/dev/shm"
mount -t tmpfs -o nosuid,nodev,mode=1777 shm "$root/dev/shm"
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$root/tmp"
while [ "$1" != "--" ]; do
  mkdir -p "$root$2"
  mount --bind "$1" "$root$2"
  shift 2
done
shift
exec "$@"
""".format(devices=" ".join(DEVICES))


def image_command(root: pathlib.Path, config: dict, args: list[str], entrypoint: list[str] | None = None,
                  bare: bool = False, volumes: dict[str, str] | None = None) -> list[str]:
    """The argv that runs the image's entrypoint + args as its user, in its WorkingDir.

    `volumes` maps host directories to paths in the container (`docker run -v HOST:PATH`):
    what outlives one run, as /tmp does not. `bare` enters the filesystem with chroot alone
    (no /dev, /proc, tmpfs /tmp or volumes), as a plain chroot does: what a check should
    notice is missing.
    """
    uid, _, gid = config.get("User", "0:0").partition(":")
    gid = gid or uid
    command = [*(entrypoint or config["Entrypoint"]), *args]
    if bare:
        return ["/usr/sbin/chroot", f"--userspec={uid}:{gid}", str(root), *command]
    enter = ["unshare", f"--root={root}", f"--wd={config.get('WorkingDir') or '/'}",
             f"--setgid={gid}", f"--setuid={uid}", "--", *command]
    mounts = [part for host, path in (volumes or {}).items() for part in (str(host), path)]
    return ["unshare", "--mount", "--pid", "--fork", "--propagation", "private",
            "/bin/sh", "-c", _SETUP, "container", str(root), *mounts, "--", *enter]


def _environment(config: dict, extra_env: dict[str, str]) -> dict[str, str]:
    """The image's Env with extra_env on top, as `docker run -e` gives it."""
    return {**dict(item.split("=", 1) for item in config.get("Env", [])), **extra_env}


def run_in_rootfs(root: pathlib.Path, config: dict, args: list[str], extra_env: dict[str, str], *,
                  timeout: float = 120, entrypoint: list[str] | None = None, bare: bool = False,
                  volumes: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The image's entrypoint + args inside its filesystem, with its Env plus extra_env."""
    return subprocess.run(image_command(root, config, args, entrypoint, bare, volumes),
                          env=_environment(config, extra_env), cwd="/",
                          capture_output=True, text=True, timeout=timeout, check=False)


def start_in_rootfs(root: pathlib.Path, config: dict, args: list[str], extra_env: dict[str, str], *,
                    volumes: dict[str, str] | None = None, **popen) -> subprocess.Popen:
    """The same as a long-running process (a server); stop it with stop_container()."""
    return subprocess.Popen(image_command(root, config, args, volumes=volumes), env=_environment(config, extra_env),
                            cwd="/", **popen)


def stop_container(process: subprocess.Popen, grace_seconds: float = 30) -> int:
    """SIGTERM to the container's PID 1, as `docker stop` does, then SIGKILL after the grace.

    The signal goes to unshare's child (PID 1 inside), not to unshare: a process that changed
    its user keeps no parent-death signal, and when PID 1 exits the kernel ends the rest.
    """
    def signal_pid1(number: int) -> None:
        try:
            children = pathlib.Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        except FileNotFoundError:
            return
        for child in children:
            try:
                os.kill(int(child), number)
            except ProcessLookupError:
                pass

    signal_pid1(signal.SIGTERM)
    try:
        return process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        signal_pid1(signal.SIGKILL)
        return process.wait(timeout=10)
