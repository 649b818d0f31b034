import pytest

from apps.core.services.api_keys import create_api_key, create_tenant, revoke_api_key


@pytest.fixture
def issued(db):
    tenant = create_tenant(name="Daechi Math", slug="daechi-math")
    return create_api_key(tenant=tenant, name="front desk")


def get(client, key=None):
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {key}"} if key else {}
    return client.get("/api/v1/tenant/", **headers)


def test_a_valid_key_identifies_its_tenant(client, issued):
    response = get(client, issued.raw)
    assert response.status_code == 200
    assert response.json()["slug"] == "daechi-math" and response.json()["api_key"] == "front desk"


def test_only_a_hash_of_the_key_is_stored(issued):
    issued.api_key.refresh_from_db()
    assert issued.raw not in issued.api_key.key_hash and len(issued.api_key.key_hash) == 64


@pytest.mark.parametrize("key", [None, "nonsense", "abc.def", "Bearer x"])
def test_missing_or_wrong_keys_get_401_with_a_message(client, issued, key):
    response = get(client, key) if key != "Bearer x" else client.get("/api/v1/tenant/", HTTP_AUTHORIZATION="Bearer x")
    assert response.status_code == 401
    assert response.json()["detail"]
    assert response["WWW-Authenticate"] == "Api-Key"


def test_a_tampered_secret_is_refused(client, issued):
    prefix, secret = issued.raw.split(".")
    assert get(client, f"{prefix}.{secret[:-1]}x").status_code == 401


def test_a_revoked_key_stops_working(client, issued):
    revoke_api_key(api_key=issued.api_key)
    assert get(client, issued.raw).status_code == 401


def test_an_inactive_tenant_is_locked_out(client, issued):
    issued.api_key.tenant.is_active = False
    issued.api_key.tenant.save()
    assert get(client, issued.raw).status_code == 401
