"""One error shape across the API, and the API's own description."""

import pytest
from django.contrib.staticfiles import finders

from apps.identity import services
from tests.conftest import valid_id_number

pytestmark = pytest.mark.django_db


def _assert_error_shape(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert set(error) <= {"code", "message", "fields", "retry_after"}
    if code:
        assert error["code"] == code
    return error


def test_every_api_error_has_the_same_shape(api, make_citizen, make_org):
    citizen = make_citizen(username="wang", id_number=valid_id_number(sequence="808"))
    _client, key = services.api_client_create(organization=make_org("venue", kind="venue"), name="door")

    # 400 validation, with per-field codes
    error = _assert_error_shape(api.post("/api/v1/citizens", {}, format="json"), 400, "validation_error")
    assert {"name", "id_number", "phone", "password"} <= set(error["fields"])
    assert all({"code", "message"} == set(item) for items in error["fields"].values() for item in items)
    # 400 domain error
    _assert_error_shape(api.post("/api/v1/auth/token", {"username": "wang", "password": "x"}, format="json"),
                        400, "invalid_credentials")
    # 401
    _assert_error_shape(api.get("/api/v1/me"), 401, "not_authenticated")
    # 403
    _assert_error_shape(api.get("/api/v1/me", HTTP_AUTHORIZATION=f"Api-Key {key}"), 403, "permission_denied")
    # 404 on an unknown /api/ URL (outside any DRF view)
    _assert_error_shape(api.get("/api/v1/no-such-thing"), 404, "not_found")
    _assert_error_shape(api.get("/api/nothing/here/"), 404, "not_found")
    # 405
    _assert_error_shape(api.get("/api/v1/auth/token"), 405, "method_not_allowed")
    _assert_error_shape(api.delete("/api/v1/citizens"), 405, "method_not_allowed")
    # 415
    _assert_error_shape(api.post("/api/v1/auth/token", "x", content_type="text/plain"), 415, "unsupported_media_type")
    # 429
    for _ in range(10):
        api.post("/api/v1/auth/token", {"username": "wang", "password": "x"}, format="json")
    error = _assert_error_shape(
        api.post("/api/v1/auth/token", {"username": "wang", "password": "x"}, format="json"), 429, "throttled")
    assert error["retry_after"] > 0
    assert citizen.pk


def test_a_page_404_stays_html(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_the_openapi_schema_is_served(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "citycode API"
    assert {"/api/v1/citizens", "/api/v1/auth/token", "/api/v1/me", "/api/v1/clients/me"} <= set(schema["paths"])
    assert {"bearerToken", "apiKey"} <= set(schema["components"]["securitySchemes"])


def test_the_docs_page_loads_swagger_from_our_own_static_files(api):
    response = api.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    # Then Swagger UI comes from drf-spectacular-sidecar's static files, never a CDN
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    for cdn in ("cdn.jsdelivr", "unpkg.com", "cdnjs", "googleapis"):
        assert cdn not in html
    for asset in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        assert finders.find(f"drf_spectacular_sidecar/swagger-ui-dist/{asset}")
