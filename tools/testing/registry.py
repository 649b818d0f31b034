"""A private CNCF distribution registry (Debian's docker-registry) on an ephemeral 127.0.0.1 port."""

import contextlib
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from tools.testing.waiting import free_port

CONFIG = """\
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
"""



@contextlib.contextmanager
def registry(directory: Path) -> Iterator[str]:
    """Yields the registry's host:port; it serves plain HTTP until the block ends."""
    binary = shutil.which("docker-registry") or "/usr/bin/docker-registry"
    port = free_port()
    config = directory / "registry.yml"
    config.write_text(CONFIG.format(root=directory / "storage", port=port))
    log = (directory / "registry.log").open("w")
    process = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        while True:
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=0.5).close()
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"docker-registry did not start: {(directory / 'registry.log').read_text()}")
            time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
