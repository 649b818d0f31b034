"""A throwaway PostgreSQL server for tests, started from the host's binaries.

    from tools.testing.postgres import postgres_server, postgres_url  # noqa: F401 (conftest.py)

    def test_x(postgres_url):      # "postgres://postgres@127.0.0.1:<port>/test_<hex>", a fresh database
        ...

One server per test session, in its own temporary directory, listening on 127.0.0.1 and
an ephemeral port (no Unix socket), with fsync off: it holds nothing worth keeping.
Each test gets a new empty database on it. The binaries come from POSTGRES_BIN, else
the directory of `pg_ctl` on PATH, else the newest /usr/lib/postgresql/*/bin.

PostgreSQL refuses to run as root. Under root the server runs as an unprivileged user
(POSTGRES_TEST_USER, default "nobody"), which must be able to reach its data directory.
pytest's temporary directories are private to root (mode 0700, and under Bazel inside
root's home), so then the data directory is a fresh private directory owned by that
user in the system temp directory (or /dev/shm), and it is removed at the end.
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from tools.testing.waiting import free_port


def find_bin_dir() -> Path | None:
    if os.environ.get("POSTGRES_BIN"):
        return Path(os.environ["POSTGRES_BIN"])
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        return Path(pg_ctl).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    return Path(candidates[-1]) if candidates else None


class PostgresServer:
    def __init__(self, base_dir: Path, bin_dir: Path):
        self.bin_dir = bin_dir
        self.port: int | None = None
        self._user = None
        self._cleanup_dir: Path | None = None
        if os.geteuid() == 0:
            self._user = pwd.getpwnam(os.environ.get("POSTGRES_TEST_USER", "nobody"))
            base_dir = self._reachable_dir(base_dir)
        self.root = base_dir
        self.data = base_dir / "data"
        self.log = base_dir / "postgres.log"

    def start(self) -> "PostgresServer":
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        for _ in range(3):  # a free port can be taken between finding and binding it
            self.port = free_port()
            options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
                       "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
            result = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30",
                               "-o", options, "start", check=False)
            if result.returncode == 0:
                return self
        raise RuntimeError(f"PostgreSQL did not start; see {self.log}:\n{self._log_tail()}")

    def stop(self) -> None:
        if self.data.exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        if self._cleanup_dir:
            shutil.rmtree(self._cleanup_dir, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        import psycopg2

        name = name or f"test_{uuid.uuid4().hex[:12]}"
        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres")
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()
        return self.url(name)

    def _run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        kwargs = {}
        if self._user:
            kwargs = dict(user=self._user.pw_uid, group=self._user.pw_gid, extra_groups=[])
        result = subprocess.run(
            [str(self.bin_dir / program), *args], capture_output=True, text=True, cwd=self.root,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "TZ": "UTC"}, **kwargs,
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"{program} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def _reachable_dir(self, preferred: Path) -> Path:
        """A directory owned by the server's user that the user can reach."""
        uid, gid = self._user.pw_uid, self._user.pw_gid
        candidates = [preferred, Path(tempfile.gettempdir()), Path("/tmp"), Path("/dev/shm")]
        for base in candidates:
            if not base.is_dir() or not self._can_enter(base):
                continue
            if base == preferred:
                path = base / "pg"
                path.mkdir()
            else:
                path = Path(tempfile.mkdtemp(prefix="academy-test-postgres-", dir=base))
                self._cleanup_dir = path
            os.chown(path, uid, gid)
            return path
        raise RuntimeError(f"no directory among {candidates} is reachable by user {self._user.pw_name!r}")

    def _can_enter(self, path: Path) -> bool:
        try:
            probe = subprocess.run(["test", "-x", str(path)], user=self._user.pw_uid, group=self._user.pw_gid,
                                   extra_groups=[], check=False)
        except OSError as exc:  # e.g. a sandbox whose user namespace maps root only
            raise RuntimeError(f"cannot run PostgreSQL as user {self._user.pw_name!r} here: {exc}") from None
        return probe.returncode == 0

    def _log_tail(self) -> str:
        try:
            return self.log.read_text()[-3000:]
        except OSError:
            return "<no log>"


def start_for_program(workdir: Path) -> PostgresServer:
    """A started server with its data under workdir, for a program (a benchmark, the dev
    platform) rather than a test; the caller stops it. RuntimeError when the binaries are
    not found or the server does not start."""
    bin_dir = find_bin_dir()
    if bin_dir is None or not (bin_dir / "pg_ctl").exists():
        raise RuntimeError("PostgreSQL's server programs (initdb, pg_ctl) were not found: "
                           "tools/bazel installs them, or set POSTGRES_BIN")
    os.chmod(workdir, 0o755)  # the server's user (under root) reaches its data directory through it
    (workdir / "pg-base").mkdir()
    server = PostgresServer(workdir / "pg-base", bin_dir)
    try:
        return server.start()
    except Exception:
        server.stop()
        raise


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory):
    bin_dir = find_bin_dir()
    if bin_dir is None or not (bin_dir / "pg_ctl").exists():
        pytest.fail("PostgreSQL binaries not found: install postgresql (tools/bazel does) or set POSTGRES_BIN")
    server = PostgresServer(tmp_path_factory.mktemp("postgres"), bin_dir)
    started = time.monotonic()
    try:
        server.start()
    except Exception:
        server.stop()
        raise
    print(f"PostgreSQL on 127.0.0.1:{server.port} started in {time.monotonic() - started:.1f}s")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A fresh, empty database on the session's server."""
    return postgres_server.create_database()
