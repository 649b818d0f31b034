"""The API as it is deployed: gunicorn (python -m apps.api.server) with DEBUG off, on an
ephemeral 127.0.0.1 port, over a throwaway SQLite file."""

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tools.testing.waiting import wait_until


@dataclass(frozen=True)
class Tenant:
    slug: str
    api_key: str


class ApiServer:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.log_path = workdir / "api.log"
        self.url = ""
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            # gunicorn keeps its control socket under $HOME: one per test, not the user's.
            "HOME": str(workdir),
            "PYTHONPATH": ":".join(sys.path),
            # Production settings: static files must be served without DEBUG's help.
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "browser-test-secret-key",
            "DATABASE_URL": f"sqlite:///{workdir / 'academy.sqlite3'}",
            "ACADEMY_DATA_DIR": str(workdir / "data"),
        }
        self.manage("migrate", "--verbosity", "0")

    def manage(self, *args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "apps.api.manage", *args], env=self.env,
                                capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"manage {args[0]} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def create_tenant(self, slug: str) -> Tenant:
        out = self.manage("create_tenant", "--name", slug.title(), "--slug", slug)
        return Tenant(slug=slug, api_key=re.search(r"API key \(shown once\): (\S+)", out).group(1))

    @contextlib.contextmanager
    def running(self) -> Iterator[str]:
        """Starts gunicorn, yields its base URL, and stops it."""
        with open(self.log_path, "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "apps.api.server", "--bind", "127.0.0.1:0",
                                     "--workers", "1"], env=self.env, stdout=log, stderr=subprocess.STDOUT)
            try:
                self.url = wait_until(lambda: self._listening_url(proc), 30, "the API to listen")
                yield self.url
            finally:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def _listening_url(self, proc: subprocess.Popen) -> str | None:
        if proc.poll() is not None:
            raise AssertionError(f"the API exited:\n{self.log()}")
        found = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", self.log())
        return found and found.group(1)
