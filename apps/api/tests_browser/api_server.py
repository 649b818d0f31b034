"""The API as it is deployed: gunicorn (python -m apps.api.server) with DEBUG off, on an
ephemeral 127.0.0.1 port, over a throwaway SQLite file."""

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tools.testing.api_process import create_tenant_key, manage, start_api


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
        manage(self.env, "migrate", "--verbosity", "0")

    def create_tenant(self, slug: str) -> Tenant:
        return Tenant(slug=slug, api_key=create_tenant_key(self.env, slug))

    @contextlib.contextmanager
    def running(self) -> Iterator[str]:
        """Starts gunicorn, yields its base URL, and stops it."""
        proc, self.url = start_api(self.env, self.log_path)
        try:
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
