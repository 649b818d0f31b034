"""One API server and one browser for the module: each test reloads the page, which
resets Swagger UI's state (credentials included)."""

import pytest

from apps.api.tests_browser.api_server import ApiServer, Tenant
from apps.api.tests_browser.chromium import headless_chromium
from apps.api.tests_browser.swagger_page import SwaggerPage


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> ApiServer:
    server = ApiServer(tmp_path_factory.mktemp("api"))
    with server.running():
        yield server


@pytest.fixture(scope="module")
def tenant(api) -> Tenant:
    return api.create_tenant("browser-academy")


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    with headless_chromium(tmp_path_factory.mktemp("chromium")) as driver:
        yield driver


@pytest.fixture
def swagger(driver, api) -> SwaggerPage:
    page = SwaggerPage(driver, api.url)
    page.console_errors()  # drop what earlier tests logged
    page.open()
    return page
