"""The platform's public HTTP API as the demo calls it: JSON in and out, any answer other
than the expected status raised as ApiError with the API's own message."""

import requests


class ApiError(Exception):
    pass


class Api:
    def __init__(self, base_url: str, key: str = "", timeout: float = 60):
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.timeout = timeout
        self.session = requests.Session()
        if key:
            self.session.headers["Authorization"] = f"Api-Key {key}"

    def call(self, method: str, path: str, *, expect: int = 200, **kwargs) -> dict:
        url = f"{self.base_url}{path}"
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise ApiError(f"{method} {path}: {exc}") from None
        if response.status_code != expect:
            raise ApiError(f"{method} {path} answered {response.status_code}, not {expect}: {response.text[:500]}")
        return response.json() if response.content else {}

    def get(self, path: str, **kwargs) -> dict:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, *, expect: int = 201, **kwargs) -> dict:
        return self.call("POST", path, expect=expect, **kwargs)
