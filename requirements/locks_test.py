"""The locks match their requirement files; otherwise say how to regenerate them."""

import pathlib
import re

from tools.rules.pip import compile_locks

REQUIREMENTS = pathlib.Path(__file__).resolve().parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", re.M)


def pins(lock: str) -> dict[str, str]:
    return dict(PIN.findall((REQUIREMENTS / lock).read_text()))


def test_every_lock_is_up_to_date():
    stale = compile_locks.stale_locks(REQUIREMENTS)
    assert not stale, "\n".join(
        f"requirements/{lock}: lock out of date, run {compile_locks.UPDATE_COMMAND}" for lock in stale
    )


def test_a_package_has_one_version_in_every_lock():
    everything = pins("all.lock")
    for role in compile_locks.ROLES:
        free = compile_locks.UNCONSTRAINED.get(role, ())
        for name, version in pins(f"{role}.lock").items():
            if name in free or name not in everything and name.startswith(("nvidia-", "triton", "cuda-")):
                continue  # the CUDA build of torch and the wheels it brings
            assert everything.get(name) == version, f"{role}.lock pins {name}=={version}, all.lock {everything.get(name)}"


def test_worker_locks_hold_no_api_server_packages():
    for role in ("worker-video", "worker-ai", "worker-messaging", "worker-ai-gpu"):
        names = set(pins(f"{role}.lock"))
        assert not names & {"djangorestframework", "drf-yasg", "gunicorn"}, role
    assert {"djangorestframework", "drf-yasg", "gunicorn"} <= set(pins("api.lock"))


def test_an_edited_requirement_file_makes_its_lock_stale(tmp_path):
    for path in REQUIREMENTS.glob("*.txt"):
        (tmp_path / path.name).write_text(path.read_text())
    for path in REQUIREMENTS.glob("*.lock"):
        (tmp_path / path.name).write_text(path.read_text())
    assert compile_locks.stale_locks(tmp_path) == []
    with (tmp_path / "common.txt").open("a") as f:
        f.write("six\n")
    # common.txt is included by every role, so every lock is stale.
    assert compile_locks.stale_locks(tmp_path) == ["all.lock", *(f"{r}.lock" for r in compile_locks.ROLES)]


def test_every_pin_carries_a_hash():
    for lock in REQUIREMENTS.glob("*.lock"):
        blocks = re.split(r"\n(?=[A-Za-z0-9])", lock.read_text())
        for block in blocks:
            if PIN.match(block):
                assert "--hash=sha256:" in block, f"{lock.name}: {block.splitlines()[0]} has no hash"
