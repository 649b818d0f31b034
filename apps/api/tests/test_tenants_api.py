import pytest

from apps.core.services.api_keys import create_api_key, create_tenant


@pytest.fixture
def operator(db):
    return create_api_key(tenant=create_tenant(name="Platform", slug="platform"), name="ops", is_staff=True).raw


@pytest.fixture
def academy(db):
    return create_api_key(tenant=create_tenant(name="Daechi Math", slug="daechi-math"), name="front desk").raw


def auth(key):
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


def test_the_operator_creates_a_tenant_whose_first_key_works_once_shown(client, operator):
    response = client.post("/api/v1/tenants/", {"name": "Mokdong English", "slug": "mokdong"},
                           content_type="application/json", **auth(operator))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["slug"] == "mokdong" and body["api_key"]["name"] == "default"
    key = body["api_key"]["key"]
    me = client.get("/api/v1/tenant/", **auth(key)).json()
    assert me["slug"] == "mokdong"
    # Listed afterwards without the secret.
    listed = client.get("/api/v1/tenant/keys/", **auth(key)).json()["results"]
    assert [k["prefix"] for k in listed] == [key.split(".")[0]] and "key" not in listed[0]


def test_only_a_staff_key_creates_or_lists_tenants(client, academy):
    assert client.post("/api/v1/tenants/", {"name": "X", "slug": "x"}, content_type="application/json",
                       **auth(academy)).status_code == 403
    assert client.get("/api/v1/tenants/", **auth(academy)).status_code == 403
    assert client.get("/api/v1/tenants/").status_code == 401


@pytest.mark.parametrize("body, field", [
    ({"name": "Daechi again", "slug": "daechi-math"}, "slug"),
    ({"name": "Bad", "slug": "not a slug"}, "slug"),
    ({"slug": "nameless"}, "name"),
])
def test_bad_tenants_are_refused_with_the_field_named(client, operator, academy, body, field):
    response = client.post("/api/v1/tenants/", body, content_type="application/json", **auth(operator))
    assert response.status_code == 400 and field in response.json(), response.json()


def test_a_tenant_issues_and_revokes_its_own_keys(client, academy):
    created = client.post("/api/v1/tenant/keys/", {"name": "teacher app"}, content_type="application/json",
                          **auth(academy))
    assert created.status_code == 201
    new_key, key_id = created.json()["key"], created.json()["id"]
    assert created.json()["is_staff"] is False
    assert client.get("/api/v1/tenant/", **auth(new_key)).json()["api_key"] == "teacher app"

    assert client.delete(f"/api/v1/tenant/keys/{key_id}/", **auth(academy)).status_code == 204
    assert client.get("/api/v1/tenant/", **auth(new_key)).status_code == 401
    listed = {k["name"]: k["is_active"] for k in client.get("/api/v1/tenant/keys/", **auth(academy)).json()["results"]}
    assert listed == {"teacher app": False, "front desk": True}


def test_another_tenants_key_is_a_404(client, academy, operator):
    platform_keys = client.get("/api/v1/tenant/keys/", **auth(operator)).json()["results"]
    assert client.delete(f"/api/v1/tenant/keys/{platform_keys[0]['id']}/", **auth(academy)).status_code == 404
    assert client.delete("/api/v1/tenant/keys/not-a-uuid/", **auth(academy)).status_code == 404
    assert client.get("/api/v1/tenant/", **auth(operator)).status_code == 200
