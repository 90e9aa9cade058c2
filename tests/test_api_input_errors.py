"""Hand-made hostile requests: malformed and oversized bodies, wrong content types, bytes that are not UTF-8,
odd path parameters and a server fault inside a view. Each gets a 4xx (or, for a fault, a 500) whose body is
the one error shape {"error": {"code", "message"}}, and nothing is written (DESIGN.md, reliability rules)."""

import json

import pytest
from django.test import Client

from apps.consent.services import ADMIN_SCOPE
from apps.identity import services as identity_services
from apps.identity.models import Citizen, Organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    # Production-like: DEBUG is off under pytest-django; faults become responses, not test exceptions
    return Client(raise_request_exception=False)


@pytest.fixture
def bearer(make_citizen):
    _token, plain = identity_services.auth_token_issue(user=make_citizen())
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


@pytest.fixture
def api_key():
    bureau = identity_services.organization_create(slug="bureau", name="bureau", kind=Organization.Kind.DEPARTMENT)
    _client, key = identity_services.api_client_create(organization=bureau, name="admin", scopes=[ADMIN_SCOPE])
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["code"], str) and body["error"]["code"], body
    assert isinstance(body["error"]["message"], str), body
    return body["error"]


def post_raw(client, path, body: bytes, content_type: str, **headers):
    # Client.generic sends the bytes untouched (Client.post would re-encode them for the charset)
    return client.generic("POST", path, body, content_type=content_type, **headers)


# --- malformed JSON ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b'{"username": ', b"{bad", b'{"a": NaN}', b"\xef\xbb\xbf{", b""])
def test_malformed_json_is_400_parse_error(client, body):
    # Given a JSON body that does not parse / When it is posted / Then 400 parse_error (or the field errors)
    error = error_of(post_raw(client, "/api/v1/auth/token", body, "application/json"), 400)
    assert error["code"] in {"parse_error", "validation_error"}


@pytest.mark.parametrize("body", [b"[1, 2]", b'"just a string"', b"null", b"42"])
def test_json_that_is_not_an_object_is_400(client, api_key, body):
    # Given valid JSON that is not an object / When posted to an admin endpoint / Then 400 with the error shape
    error_of(post_raw(client, "/api/v1/consent/purposes", body, "application/json", **api_key), 400)


def test_json_nested_too_deeply_is_400_not_500(client, api_key):
    # Given a JSON document nested 100,000 levels deep (Python's decoder hits its recursion limit)
    body = b"[" * 100_000 + b"]" * 100_000

    # When it is posted / Then 400 parse_error (before the fix: RecursionError, a 500)
    assert error_of(post_raw(client, "/api/v1/scan", body, "application/json", **api_key), 400)["code"] == (
        "parse_error")


# --- content types -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "image/png", "application/json-patch"])
def test_unsupported_content_type_is_415(client, content_type):
    response = post_raw(client, "/api/v1/citizens", b"<a/>", content_type)
    assert error_of(response, 415)["code"] == "unsupported_media_type"


def test_multipart_without_boundary_is_400(client):
    error_of(post_raw(client, "/api/v1/citizens", b"garbage", "multipart/form-data"), 400)


@pytest.mark.parametrize("accept", ["application/xml", "\xff/\xfe; q=x"])
def test_unacceptable_accept_header_is_406(client, bearer, accept):
    assert error_of(client.get("/api/v1/purposes", HTTP_ACCEPT=accept, **bearer), 406)["code"] == "not_acceptable"


# --- huge bodies -------------------------------------------------------------------------------------------


def test_a_body_over_the_upload_limit_is_413_and_registers_nobody(client, settings):
    # Given a registration body over DATA_UPLOAD_MAX_MEMORY_SIZE
    body = json.dumps({"name": "王" * 10, "id_number": "1", "phone": "1", "password": "x" * (3 * 1024 * 1024)})

    # When it is posted (to the API's token and registration endpoints)
    token = post_raw(client, "/api/v1/auth/token", body.encode(), "application/json")
    register = post_raw(client, "/api/v1/citizens", body.encode(), "application/json")

    # Then 413 request_too_large (before the fix: RequestDataTooBig, a 500), and no citizen exists
    assert error_of(token, 413)["code"] == "request_too_large"
    assert error_of(register, 413)["code"] == "request_too_large"
    assert not Citizen.objects.exists()


def test_a_form_with_too_many_fields_is_400(client):
    # Given a form body with more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS
    body = "&".join(f"f{i}=1" for i in range(5000)).encode()

    # When it is posted / Then 400 too_many_fields (before the fix: TooManyFieldsSent, a 500)
    response = post_raw(client, "/api/v1/auth/token", body, "application/x-www-form-urlencoded")
    assert error_of(response, 400)["code"] == "too_many_fields"


# --- bytes that are not UTF-8 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"username": "\xff\xfe", "password": "x"}', "application/json"),
        (b'{"username": "\xe9", "password": "x"}', "application/json; charset=latin-1"),
        (b'{"username": "a", "password": "x"}', "application/json; charset=no-such-charset"),
        (b"username=\xff\xfe&password=x", "application/x-www-form-urlencoded"),
        (b'{"username": "\\udcff", "password": "\\ud800"}', "application/json"),  # lone surrogates, escaped
    ],
)
def test_bodies_that_are_not_utf8_are_4xx(client, body, content_type):
    response = post_raw(client, "/api/v1/auth/token", body, content_type)
    assert 400 <= response.status_code < 500
    error_of(response, response.status_code)


@pytest.mark.parametrize("scheme", ["Bearer", "Api-Key"])
@pytest.mark.parametrize("credential", ["\xff\xfe\xe9", "a\x00b", "a b", "", "x" * 100_000])
def test_odd_credentials_are_401(client, scheme, credential):
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"{scheme} {credential}")
    error_of(response, 401)


def test_non_utf8_query_and_headers_are_not_a_server_error(client, bearer, api_key):
    assert client.get("/api/v1/me/access-log?x=%ff%fe", HTTP_ACCEPT_LANGUAGE="\xff;q=x", **bearer).status_code == 200
    error_of(client.get("/api/v1/me/access-log?limit=%00&before=%ff", **bearer), 400)
    response = client.post("/api/v1/scan", {"token": "x", "purpose": "y"}, content_type="application/json",
                           HTTP_X_REQUEST_ID="\xff" * 100, **api_key)
    error_of(response, 400)


# --- path parameters ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/me/codes/健康码",
        "/api/v1/me/codes/%F0%9F%98%80",
        "/api/v1/me/codes/%ff%fe",
        "/api/v1/me/codes/a%00b",
        "/api/v1/me/codes/%E5%81%A5/qr.svg",
        "/api/v1/me/consents/%E4%B8%AD/receipt",
        "/api/v1/me/consents/99999999999999999999999/receipt",
        "/api/v1/status-lists/%ff",
        "/api/v1/status-lists/健康",
        "/api/v1/status-lists/99999999999999999999999999",
        "/api/%ff",
        "/api/v1/%E4%B8%AD",
    ],
)
def test_odd_path_parameters_are_404(client, bearer, path):
    error_of(client.get(path, **bearer), 404)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/consent/grants/99999999999999999999999/revoke",
        "/api/v1/consent/grants/%E4%B8%AD/revoke",
        "/api/v1/consent/emergencies/99999999999999999999999/end",
        "/api/v1/consent/emergencies/-1/end",
    ],
)
def test_odd_admin_path_parameters_are_404(client, api_key, path):
    error_of(client.post(path, **api_key), 404)


# --- Django's own 400 (outside any view) -------------------------------------------------------------------


def test_a_disallowed_host_under_api_gets_the_json_error_shape(client):
    # Given a request to the API with a Host header the site does not serve
    # When Django refuses it (DisallowedHost, before any view runs)
    response = client.get("/api/v1/purposes", HTTP_HOST="evil.example")

    # Then it is a 400 in the API's error shape, not Django's HTML page
    assert error_of(response, 400)["code"] == "bad_request"


# --- a fault inside a view ---------------------------------------------------------------------------------


@pytest.mark.urls("tests.api_error_urls")
@pytest.mark.parametrize("path", ["/api/v1/test-boom-drf", "/api/v1/test-boom-plain"])
def test_a_fault_inside_a_view_is_a_500_in_the_error_shape_without_a_trace(client, path):
    # Given a view under /api/ that raises (a DRF view and a plain Django view)
    # When it is called with DEBUG off
    response = client.get(path)

    # Then 500 server_error in the one error shape, and nothing of the exception reaches the caller
    assert error_of(response, 500) == {"code": "server_error", "message": "Internal server error."}
    assert b"secret" not in response.content and b"Traceback" not in response.content
    assert b"boom.py" not in response.content
