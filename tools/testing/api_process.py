"""The API as its images run it, started as subprocesses by end-to-end and browser tests:
`python -m apps.api.manage` and gunicorn through `python -m apps.api.server`.

    manage(env, "migrate", "--verbosity", "0")        # its stdout; fails with both streams
    key = create_tenant_key(env, "daechi")            # a new tenant's first API key
    proc, url = start_api(env, log_path, "--timeout", "120")   # on an ephemeral 127.0.0.1 port
"""

import re
import subprocess
import sys
from pathlib import Path

from tools.testing.waiting import wait_until

# The line `manage create_tenant` prints with the key, which it shows only once.
ISSUED_KEY = re.compile(r"API key \(shown once\): (\S+)")
LISTENING = re.compile(r"Listening at: (http://127\.0\.0\.1:\d+)")


def issued_key(create_tenant_output: str) -> str:
    found = ISSUED_KEY.search(create_tenant_output)
    assert found, f"no API key in create_tenant's output:\n{create_tenant_output}"
    return found.group(1)


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "apps.api.manage", *args], env=env, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, f"manage {args[0]} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def create_tenant_key(env: dict[str, str], slug: str, *args: str) -> str:
    return issued_key(manage(env, "create_tenant", "--name", slug.title(), "--slug", slug, *args))


def start_api(env: dict[str, str], log_path: Path, *args: str) -> tuple[subprocess.Popen, str]:
    """gunicorn with one worker on a port the kernel picks; returns it and its base URL once
    it listens. Its output goes to log_path."""
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen([sys.executable, "-m", "apps.api.server", "--bind", "127.0.0.1:0", "--workers", "1",
                             *args], env=env, stdout=log, stderr=subprocess.STDOUT)

    def listening() -> str | None:
        text = log_path.read_text(errors="replace")
        if proc.poll() is not None:
            raise AssertionError(f"the API exited:\n{text}")
        found = LISTENING.search(text)
        return found and found.group(1)

    return proc, wait_until(listening, 30, "the API to listen")
