import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:  # --check exits 1 when a migration is missing
        pytest.fail(f"missing migrations (run manage makemigrations):\n{out.getvalue()}")
        raise AssertionError from exc


@pytest.mark.django_db
def test_healthz_and_openapi_are_served(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    schema = client.get("/swagger.json")
    assert schema.status_code == 200 and schema.json()["info"]["title"] == "academy API"
    assert client.get("/swagger/").status_code == 200
    assert client.get("/redoc/").status_code == 200
