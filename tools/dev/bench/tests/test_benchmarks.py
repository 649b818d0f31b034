"""Every benchmark target builds (Bazel builds a test's data first, manual targets included)
and starts: `--help` imports its module and everything it needs, and prints the usage."""

import os
import subprocess
from pathlib import Path

import pytest

BENCH_DIR = Path(os.environ.get("TEST_SRCDIR", "/nonexistent")) / "academy" / "tools" / "dev" / "bench"
BENCHMARKS = os.environ.get("BENCHMARKS", "").split()


def test_every_benchmark_is_listed():
    sources = {path.stem for path in BENCH_DIR.glob("*_bench.py")}
    assert BENCHMARKS and set(BENCHMARKS) == sources, f"targets {sorted(BENCHMARKS)} vs sources {sorted(sources)}"


@pytest.mark.parametrize("name", BENCHMARKS)
def test_the_benchmark_builds_and_shows_its_usage(name):
    result = subprocess.run([str(BENCH_DIR / name), "--help"], capture_output=True, text=True, timeout=300,
                            check=False)
    assert result.returncode == 0, f"{name} --help failed:\n{result.stdout}\n{result.stderr}"
    assert "usage:" in result.stdout, result.stdout
