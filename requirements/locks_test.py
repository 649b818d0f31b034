"""The locks match their requirement files; otherwise say how to regenerate them."""

import pathlib
import re

from tools.rules.pip import compile_locks

REQUIREMENTS = pathlib.Path(__file__).resolve().parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(\S+)", re.MULTILINE)
PYTORCH_CPU = "https://download.pytorch.org/whl/cpu"


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


def test_the_cpu_locks_name_pytorchs_cpu_index_and_the_gpu_lock_does_not():
    """torch==2.13.0+cpu is only on PyTorch's index: a lock holding it must say so itself."""
    for lock in ("all.lock", "worker-ai.lock"):
        text = (REQUIREMENTS / lock).read_text()
        assert f"--extra-index-url {PYTORCH_CPU}\n" in text, lock
        assert "torch==2.13.0+cpu" in text, lock
    assert PYTORCH_CPU not in (REQUIREMENTS / "worker-ai-gpu.lock").read_text()
    for role in ("api", "worker-video", "worker-messaging"):
        assert "--extra-index-url" not in (REQUIREMENTS / f"{role}.lock").read_text(), role


def test_extras_stay_in_the_lock():
    assert re.search(r"^moto\[server\]==", (REQUIREMENTS / "all.lock").read_text(), re.MULTILINE)


def test_no_lock_names_a_machine_path():
    for lock in REQUIREMENTS.glob("*.lock"):
        for line in lock.read_text().splitlines():
            assert not line.startswith("--") or "://" in line and "file://" not in line, f"{lock.name}: {line}"


def test_constraint_pins_drop_options_and_extras():
    lock = (f"--extra-index-url {PYTORCH_CPU}\n# comment\nmoto[server]==5.2.5 \\\n    --hash=sha256:ab\n"
            "cuda-toolkit[cublas, cudart]==13.0.3.0 \\\n    --hash=sha256:cd\n")
    assert compile_locks.constraint_pins(lock) == ["moto==5.2.5", "cuda-toolkit==13.0.3.0"]


def test_index_options_follow_includes_and_an_unreachable_index_is_left_out_of_resolution(tmp_path):
    (tmp_path / "base.txt").write_text("six\n--find-links=/nonexistent/wheels\n")
    (tmp_path / "all.txt").write_text("-r ./base.txt\n--extra-index-url https://index.invalid/simple  # why\nrich\n")
    assert compile_locks.index_options(tmp_path, "all") == [
        ("--extra-index-url", "https://index.invalid/simple"), ("--find-links", "/nonexistent/wheels")]
    copy = tmp_path / "copy"
    copy.mkdir()
    assert compile_locks.resolvable_inputs(tmp_path, copy) == ["/nonexistent/wheels", "https://index.invalid/simple"]
    assert (copy / "all.txt").read_text().splitlines() == [
        "-r ./base.txt", "# (unreachable here) --extra-index-url https://index.invalid/simple  # why", "rich"]
    assert compile_locks.reachable(str(tmp_path)) and compile_locks.reachable("file://" + str(tmp_path))
