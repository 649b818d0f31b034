"""The demo and the dev stack as a newcomer runs them: the py_binary launchers that
`tools/bazel run //:demo` and `//:dev` run, each a real process tree."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tools.testing.waiting import free_port, wait_until


def launcher(name: str) -> list[str]:
    """The Bazel-built binary when run under Bazel, else the module with this interpreter."""
    built = Path(os.environ.get("TEST_SRCDIR", "/nonexistent")) / "academy" / "tools" / "dev" / "demo" / name
    return [str(built)] if built.exists() else [sys.executable, "-m", f"tools.dev.demo.{name}"]


def no_live_workers(root: Path) -> bool:
    # A worker removes its liveness file when it exits cleanly.
    return not list((root / "run").glob("*.alive"))


def test_the_demo_runs_every_step_and_stops_everything(tmp_path):
    out = tmp_path / "out"
    result = subprocess.run([*launcher("demo"), "--out", str(out)], capture_output=True, text=True,
                            timeout=900, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    summary = result.stdout.split("\nSummary\n", 1)[1]
    for step in ("Start the platform", "Create an academy", "Upload a 20-second lecture video", "Transcode to HLS",
                 "Play the lecture for a student",
                 "Grade a phone photo of an answer sheet", "Read a printed page", "Top up", "Send an attendance notice",
                 "Balance and ledger", "Stop every process"):
        assert re.search(rf"{re.escape(step)}.*\d+\.\ds  ok", summary), (step, summary)
    assert "score 18/20" in result.stdout  # two questions marked wrong on purpose
    assert "renditions: 720p 1280x720" in result.stdout and "360p 640x360" in result.stdout
    assert "balance 940, held 0" in result.stdout  # 1000 topped up, three SMS at 20
    master = Path(re.search(r"HLS master playlist \(encrypted ladder\)\s+(\S+)", summary).group(1))
    assert master.read_text().startswith("#EXTM3U")
    screenshot = Path(re.search(r"player screenshot \(watermark\)\s+(\S+)", summary).group(1))
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert 'watermark "김민준 · Daechi Math Academy"' in result.stdout
    watched = float(re.search(r"progress of 김민준: ([\d.]+) of", result.stdout).group(1))
    assert watched > 5, result.stdout
    assert "its master playlist URL now answers 403" in result.stdout
    assert len(re.findall(r"010-?\d{4}-?\d{4}", (out / "logs" / "messaging-worker.log").read_text())) >= 3
    assert no_live_workers(out)


def test_a_failing_step_exits_1_with_its_reason_and_still_stops_everything(tmp_path):
    out = tmp_path / "out"
    # The video worker refuses sources longer than this: the transcode step fails.
    env = {**os.environ, "VIDEO_MAX_DURATION_SECONDS": "5"}
    result = subprocess.run([*launcher("demo"), "--out", str(out), "--video-seconds", "8"], env=env,
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 1, result.stdout[-4000:]
    assert re.search(r'Failed at "Transcode to HLS.*": the video failed: the video is 8 s long; the limit is 5 s', result.stdout), \
        result.stdout[-2000:]
    assert "Grade a phone photo of an answer sheet" not in result.stdout
    assert re.search(r"Stop every process.*ok", result.stdout.split("\nSummary\n", 1)[1])
    assert no_live_workers(out)


@pytest.mark.parametrize("db", ["sqlite", "postgres"])
def test_dev_serves_the_api_until_interrupted(tmp_path, db):
    port = free_port()
    data = tmp_path / "data"
    log = open(tmp_path / "dev.log", "w+")  # noqa: SIM115 - closed below
    dev = subprocess.Popen([*launcher("dev"), "--port", str(port), "--db", db, "--data", str(data)],
                           stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        output = lambda: (tmp_path / "dev.log").read_text()  # noqa: E731
        wait_until(lambda: "Ctrl-C stops everything" in output() or dev.poll() is not None, 180, "dev to start")
        assert dev.poll() is None, output()
        assert ("PostgreSQL" in output() or "postgres://" in output()) == (db == "postgres"), output()
        key = re.search(r"academy key\s+(\S+)", output()).group(1)
        api = f"http://127.0.0.1:{port}"
        assert requests.get(f"{api}/swagger/", timeout=10).status_code == 200
        me = requests.get(f"{api}/api/v1/tenant/", headers={"Authorization": f"Api-Key {key}"}, timeout=10)
        assert me.status_code == 200 and me.json()["slug"] == "dev-academy"
        dev.send_signal(signal.SIGINT)
        assert dev.wait(60) == 0, output()
        assert no_live_workers(data)
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{api}/healthz", timeout=2)
    finally:
        if dev.poll() is None:
            dev.kill()
        log.close()


def test_dev_starts_again_on_the_same_data_directory(tmp_path):
    data = tmp_path / "data"
    for _ in range(2):
        port = free_port()
        dev = subprocess.Popen([*launcher("dev"), "--port", str(port), "--data", str(data)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            lines = []
            for line in dev.stdout:
                lines.append(line)
                if "Ctrl-C stops everything" in line:
                    break
            assert dev.poll() is None, "".join(lines)
            dev.send_signal(signal.SIGINT)
            assert dev.wait(60) == 0
        finally:
            if dev.poll() is None:
                dev.kill()
