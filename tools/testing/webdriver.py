"""A small W3C WebDriver client for chromedriver: JSON over HTTP, standard library only.

It covers what a page test needs (navigate, find, click, type, read text and attributes,
run a script, read the title and the browser's console log), and nothing more:

    with ChromeDriver("/usr/bin/chromedriver", workdir / "chromedriver.log", env) as driver:
        with driver.new_session({"browserName": "chrome",
                                 "goog:chromeOptions": {"binary": "/usr/bin/chromium",
                                                        "args": ["--headless=new"]}}) as browser:
            browser.get("http://127.0.0.1:8000/")
            browser.find("form button.submit").click()
            rows = browser.find("table").find_all(".//tr[td]", XPATH)
            assert browser.title() == "Example"

Any error chromedriver reports is raised as WebDriverError, with its code and message
(`no such element: ...`). There is no implicit wait: poll with waiting.wait_until.
"""

import base64
import json
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

from tools.testing.waiting import free_port, wait_until

CSS = "css selector"
XPATH = "xpath"
# The web element identifier: the key under which W3C WebDriver returns an element reference.
ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf"


class WebDriverError(Exception):
    def __init__(self, error: str, message: str):
        # chromedriver's messages usually start with the error code already.
        super().__init__(message if message.startswith(error) else f"{error}: {message}")
        self.error = error
        self.message = message


def _call(url: str, method: str, body: dict | None = None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            reply = json.load(response)
    except urllib.error.HTTPError as exc:  # WebDriver errors come with a 4xx/5xx status
        body = exc.read()
        try:
            reply = json.loads(body)
        except ValueError:
            raise WebDriverError(f"HTTP {exc.code}", body.decode(errors="replace")) from None
    value = reply.get("value")
    if isinstance(value, dict) and "error" in value:
        raise WebDriverError(value["error"], value.get("message", ""))
    return value


class _Node:
    """What a session and an element share: a URL, and finding elements under it."""

    def __init__(self, session_url: str, url: str):
        self._session_url = session_url
        self._url = url

    def _call(self, method: str, path: str, body: dict | None = None):
        return _call(self._url + path, method, body)

    def find(self, selector: str, using: str = CSS) -> "Element":
        """The first match; raises WebDriverError ("no such element") when there is none."""
        return self._element(self._call("POST", "/element", {"using": using, "value": selector}))

    def find_all(self, selector: str, using: str = CSS) -> list["Element"]:
        return [self._element(found)
                for found in self._call("POST", "/elements", {"using": using, "value": selector})]

    def _element(self, reference: dict) -> "Element":
        element_id = reference[ELEMENT_KEY]
        return Element(self._session_url, f"{self._session_url}/element/{element_id}")


class Element(_Node):
    def click(self) -> None:
        self._call("POST", "/click", {})

    def send_keys(self, text: str) -> None:
        self._call("POST", "/value", {"text": text})

    @property
    def text(self) -> str:
        """The rendered text, as a user sees it."""
        return self._call("GET", "/text")

    def attribute(self, name: str) -> str | None:
        return self._call("GET", f"/attribute/{name}")


class Session(_Node):
    def __init__(self, url: str):
        super().__init__(url, url)

    def get(self, url: str) -> None:
        """Navigates, and returns after the load event."""
        self._call("POST", "/url", {"url": url})

    def title(self) -> str:
        return self._call("GET", "/title")

    def execute(self, script: str, *args):
        """Runs script as a function body (arguments in `arguments`); returns what it returns."""
        return self._call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def screenshot(self) -> bytes:
        """The viewport as a PNG."""
        return base64.b64decode(self._call("GET", "/screenshot"))

    def browser_log(self) -> list[dict]:
        """Console entries ({"level", "message", ...}) since the last call; needs the
        "goog:loggingPrefs": {"browser": "ALL"} capability."""
        return self._call("POST", "/se/log", {"type": "browser"})

    def quit(self) -> None:
        self._call("DELETE", "")

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self.quit()


class ChromeDriver:
    """chromedriver on a free 127.0.0.1 port, logging to log_path; stopped on exit."""

    def __init__(self, executable: str, log_path: Path, env: dict[str, str]):
        self.executable, self.log_path, self.env = executable, log_path, env
        self.url = ""
        self._proc: subprocess.Popen | None = None

    def __enter__(self) -> "ChromeDriver":
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self._proc = subprocess.Popen([self.executable, f"--port={port}", f"--log-path={self.log_path}"],
                                      env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._ready, 30, "chromedriver to listen")
        return self

    def __exit__(self, *exc) -> None:
        self._proc.terminate()
        try:
            self._proc.wait(10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    def new_session(self, capabilities: dict) -> Session:
        """Starts the browser; raises WebDriverError ("session not created") if it cannot."""
        created = _call(self.url + "/session", "POST", {"capabilities": {"alwaysMatch": capabilities}})
        return Session(f"{self.url}/session/{created['sessionId']}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def _ready(self) -> bool:
        if self._proc.poll() is not None:
            raise AssertionError(f"chromedriver exited ({self._proc.returncode}):\n{self.log()[-3000:]}")
        try:
            return bool(_call(self.url + "/status", "GET").get("ready"))
        except OSError:  # not listening yet
            return False
