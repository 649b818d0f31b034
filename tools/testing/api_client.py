"""The platform's HTTP API as every caller outside it speaks it: the demo, the end-to-end and
browser tests and the benchmarks.

    api = ApiClient(platform.api_url, key)          # Authorization: Api-Key <key>
    response = api.post("/api/v1/lectures/", json={"title": "미적분"})   # a requests.Response
    lecture = api.call("POST", "/api/v1/lectures/", expect=201, json={...})   # its JSON, or ApiError

A requests.Session whose paths are relative to the API's base URL (a full URL passes through
unchanged) and whose requests time out; `call` is for callers that want the JSON of an
expected answer and one exception, with the API's own message, for anything else.
"""

from pathlib import Path

import requests

DEFAULT_TIMEOUT_SECONDS = 60


class ApiError(Exception):
    pass


class ApiClient(requests.Session):
    def __init__(self, base_url: str, key: str = "", *, timeout: float = DEFAULT_TIMEOUT_SECONDS):
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.timeout = timeout
        if key:
            self.headers["Authorization"] = f"Api-Key {key}"

    def request(self, method, url, *args, **kwargs):
        if url.startswith("/"):
            url = self.base_url + url
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)

    def call(self, method: str, path: str, *, expect: int = 200, **kwargs) -> dict:
        """The JSON body of an answer with status `expect`; ApiError for any other answer or none."""
        try:
            response = self.request(method, path, **kwargs)
        except requests.RequestException as exc:
            raise ApiError(f"{method} {path}: {exc}") from None
        if response.status_code != expect:
            raise ApiError(f"{method} {path} answered {response.status_code}, not {expect}: {response.text[:500]}")
        return response.json() if response.content else {}

    def upload_video(self, source: Path, *, title: str = "Calculus") -> str:
        """A new lecture with `source` uploaded to it in one request; the video's URL."""
        lecture = self.call("POST", "/api/v1/lectures/", expect=201, json={"title": title})
        with open(source, "rb") as handle:
            video = self.call("POST", f"/api/v1/lectures/{lecture['id']}/videos/", expect=201, files={"file": handle})
        return f"{self.base_url}/api/v1/lectures/{lecture['id']}/videos/{video['id']}/"
