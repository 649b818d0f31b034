"""Debian's chromium, headless through chromedriver, that can reach 127.0.0.1 and nothing else:
what the browser tests and the demo open pages in.

    with headless_chromium(workdir) as browser:      # a tools.testing.webdriver.Session
        browser.get(url)
"""

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tools.testing.webdriver import ChromeDriver, Session, WebDriverError

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

# No background traffic (updates, sync, field trials), no proxy, and every host name but
# 127.0.0.1 resolves to nothing, so a page that reaches out fails here instead of leaking.
OFFLINE_FLAGS = [
    "--headless=new",
    "--no-sandbox",  # chromium refuses to sandbox itself as root, as in CI containers
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-proxy-server",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--window-size=1280,1600",
    # A player page starts playing by itself, as it does after a viewer's click.
    "--autoplay-policy=no-user-gesture-required",
]


class ChromiumUnavailable(Exception):
    """chromium or chromedriver is missing, or chromium would not start."""


def require_chromium() -> None:
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        raise ChromiumUnavailable(f"{' and '.join(missing)} not found: install Debian's chromium and chromium-driver "
                    "(tools/bazel installs them with the other host packages)")


@contextlib.contextmanager
def headless_chromium(workdir: Path) -> Iterator[Session]:
    """A fresh profile under workdir; chromedriver's log lands in workdir/chromedriver.log."""
    require_chromium()
    capabilities = {
        "browserName": "chrome",
        "goog:chromeOptions": {"binary": CHROMIUM,
                               "args": [*OFFLINE_FLAGS, f"--user-data-dir={workdir / 'profile'}"]},
        "goog:loggingPrefs": {"browser": "ALL"},
    }
    home = workdir / "home"  # chromium keeps its NSS database under $HOME, which may be read-only
    home.mkdir(parents=True, exist_ok=True)
    # The system temp dir, not one under workdir: chromium's singleton socket lives there, and a
    # Unix socket path may not exceed 107 bytes.
    env = {"HOME": str(home), "TMPDIR": tempfile.gettempdir(), "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "LANG": "C.UTF-8"}
    with ChromeDriver(CHROMEDRIVER, workdir / "chromedriver.log", env) as chromedriver:
        try:
            session = chromedriver.new_session(capabilities)
        except WebDriverError as exc:
            tail = chromedriver.log()[-3000:]
            raise ChromiumUnavailable(f"chromium did not start: {exc}\n--- {chromedriver.log_path} ---\n{tail}")
        with session:
            yield session
