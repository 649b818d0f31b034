"""One API server and one browser for the module: each test reloads the page, which
resets Swagger UI's state (credentials included)."""

from dataclasses import dataclass

import pytest

from tools.testing.chromium import headless_chromium
from apps.api.tests_browser.swagger_page import SwaggerPage
from tools.testing.local_platform import LocalPlatform


@dataclass(frozen=True)
class Tenant:
    slug: str
    api_key: str


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> LocalPlatform:
    """The API as it is deployed: gunicorn with DEBUG off (static files served without its
    help), over a throwaway SQLite file."""
    platform = LocalPlatform(tmp_path_factory.mktemp("api"), debug=False)
    platform.migrate()
    platform.start_api()
    yield platform
    platform.stop()


@pytest.fixture(scope="module")
def tenant(api) -> Tenant:
    return Tenant(slug="browser-academy", api_key=api.api_key("browser-academy"))


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    with headless_chromium(tmp_path_factory.mktemp("chromium")) as driver:
        yield driver


@pytest.fixture
def swagger(driver, api) -> SwaggerPage:
    page = SwaggerPage(driver, api.api_url)
    page.console_errors()  # drop what earlier tests logged
    page.open()
    return page
