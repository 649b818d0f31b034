"""Swagger UI at /swagger/ in a real browser, served by gunicorn with DEBUG off: its assets
load, it lists the v1 API, and "Try it out" works once an API key is authorized."""

# A few of every area the v1 API covers, as paths under its base URL (/api/v1).
V1_PATHS = {"/lectures/", "/messages/", "/credits/", "/ai/jobs/", "/questions/", "/tenant/"}
REQUIRED_ASSETS = ["swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css", "swagger-ui-init.js"]


def test_page_loads_every_asset(swagger, api):
    assets = swagger.assets()
    failed = [asset for asset in assets if asset.status != 200]
    assert not failed, f"assets that did not load: {failed}\n--- api.log ---\n{api.log('api')[-3000:]}"
    loaded = [asset.url for asset in assets]
    for name in REQUIRED_ASSETS:
        assert any(url.startswith(api.api_url + "/static/") and url.endswith("/" + name) for url in loaded), (
            f"{name} was never requested; the page requested {loaded}")
    assert all(url.startswith(api.api_url + "/") for url in loaded), f"the page reached beyond the API: {loaded}"
    swagger.wait_for_operations()
    assert swagger.console_errors() == []


def test_lists_the_v1_operations(swagger):
    swagger.wait_for_operations()
    assert swagger.driver.title() == "academy API"
    assert swagger.title().startswith("academy API")
    assert swagger.base_url_shown().endswith("/api/v1 ]")
    missing = V1_PATHS - swagger.operation_paths()
    assert not missing, f"operations missing from the page: {sorted(missing)}"


def test_try_it_out_needs_the_api_key_then_shows_the_tenant(swagger, tenant):
    swagger.wait_for_operations()
    assert swagger.try_it_out("tenant-tenant_list").status == 401

    help_text = swagger.authorize("Api-Key", f"Api-Key {tenant.api_key}")
    assert help_text == "Api-Key <key>"
    assert swagger.is_locked()

    response = swagger.try_it_out("tenant-tenant_list")
    assert response.status == 200, response.body
    assert response.json()["slug"] == tenant.slug
