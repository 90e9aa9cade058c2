"""Credentials: API keys for machines, bearer tokens for citizens, and the login rate limit."""

import datetime as dt
import hashlib
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.identity import credentials, services
from apps.identity.models import ApiClient, AuthToken
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

CLIENT_ME = "/api/v1/clients/me"
ME = "/api/v1/me"
TOKEN = "/api/v1/auth/token"


@pytest.fixture
def org(make_org):
    return make_org("city-bus", kind="transit_operator")


# --- API keys ----------------------------------------------------------------------------------------------


def test_a_valid_api_key_authenticates_as_its_client(api, org):
    # Given a client with a key and a scope
    client, key = services.api_client_create(organization=org, name="gate-1", scopes=["scan", "scan"])
    # When it calls the API with `Authorization: Api-Key <key>`
    response = api.get(CLIENT_ME, HTTP_AUTHORIZATION=f"Api-Key {key}")
    # Then it is that client of that organization
    assert response.status_code == 200
    assert response.json() == {
        "organization": "city-bus", "name": "gate-1", "kind": "service", "device_id": "",
        "scopes": ["scan"], "key_prefix": client.key_prefix,
    }


def test_a_machine_is_not_a_citizen(api, org):
    _client, key = services.api_client_create(organization=org, name="gate-1")
    response = api.get(ME, HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_a_citizen_is_not_a_machine(citizen_api):
    response = citizen_api.get(CLIENT_ME)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_a_revoked_key_is_401_with_a_code(api, org):
    client, key = services.api_client_create(organization=org, name="gate-1")
    services.api_client_revoke(client=client)
    response = api.get(CLIENT_ME, HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_api_key"
    assert response.json()["error"]["message"]


def test_a_key_of_an_inactive_organization_is_refused(api, org):
    _client, key = services.api_client_create(organization=org, name="gate-1")
    org.is_active = False
    org.save()
    assert api.get(CLIENT_ME, HTTP_AUTHORIZATION=f"Api-Key {key}").status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "Api-Key",  # no key
        "Api-Key one two",  # two keys
        "Api-Key cck_00000000_unknown",  # well formed, unknown
        "api-key cck_00000000_unknown",  # keyword is case-insensitive, the key still unknown
    ],
)
def test_malformed_or_unknown_api_key_headers_are_401(api, org, header):
    services.api_client_create(organization=org, name="gate-1")
    response = api.get(CLIENT_ME, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_api_key"


def test_a_key_with_one_character_changed_is_refused(api, org):
    _client, key = services.api_client_create(organization=org, name="gate-1")
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert api.get(CLIENT_ME, HTTP_AUTHORIZATION=f"Api-Key {tampered}").status_code == 401


def test_no_credentials_is_401_not_authenticated(api):
    response = api.get(CLIENT_ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_create_api_key_shows_the_key_once_and_stores_only_its_sha256(api, org):
    # When an operator runs the command
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_key", "--org", "city-bus", "--name", "reader 7", "--device", "bus-0007",
                 "--scope", "transit.tap_upload", stdout=out, stderr=err)
    key = out.getvalue().strip()
    # Then the key is printed alone on stdout, and the notice goes to stderr
    assert key.startswith(f"{credentials.API_KEY_PREFIX}_") and "\n" not in key
    assert "cannot be shown again" in err.getvalue() and key not in err.getvalue()
    # And only its SHA-256 is stored
    client = ApiClient.objects.get()
    assert client.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert (client.name, client.kind, client.device_id, client.scopes) == (
        "reader 7", "device", "bus-0007", ["transit.tap_upload"])
    stored = [str(v) for v in ApiClient.objects.values_list(flat=False).get()]
    secret = key.split("_", 2)[2]  # after "cck_<prefix>_"; the secret itself may contain "_"
    assert not any(key in value or secret in value for value in stored)
    # And the key works
    assert api.get(CLIENT_ME, HTTP_AUTHORIZATION=f"Api-Key {key}").json()["device_id"] == "bus-0007"


def test_create_api_key_defaults_the_name_and_refuses_an_unknown_org(org):
    call_command("create_api_key", "--org", "city-bus", stdout=io.StringIO(), stderr=io.StringIO())
    assert ApiClient.objects.get().name == "default"
    with pytest.raises(CommandError):
        call_command("create_api_key", "--org", "nowhere", stdout=io.StringIO(), stderr=io.StringIO())


def test_two_keys_are_never_equal(org):
    _a, key_a = services.api_client_create(organization=org, name="a")
    _b, key_b = services.api_client_create(organization=org, name="b")
    assert key_a != key_b


# --- bearer tokens -------------------------------------------------------------------------------------------


def test_password_login_issues_a_bearer_token_that_works(api, make_citizen):
    citizen = make_citizen(username="wang", phone="13900001111")
    for login in ("wang", "WANG", "13900001111"):
        response = api.post(TOKEN, {"username": login, "password": PASSWORD}, format="json")
        assert response.status_code == 200
        assert response.json()["token_type"] == "Bearer"
        me = api.get(ME, HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}")
        assert me.status_code == 200 and me.json()["username"] == citizen.username
    # Only hashes of the tokens are stored
    assert AuthToken.objects.count() == 3
    assert all(len(t.key_hash) == 64 for t in AuthToken.objects.all())


def test_a_wrong_password_is_400_invalid_credentials(api, make_citizen):
    make_citizen(username="wang")
    for login in ("wang", "nobody"):
        response = api.post(TOKEN, {"username": login, "password": "wrong-password"}, format="json")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_credentials"


def test_an_expired_token_is_rejected(api, make_citizen):
    # Given a token whose lifetime has passed
    token, plain = services.auth_token_issue(user=make_citizen())
    AuthToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    # When it is used, Then it is 401 bad_token
    response = api.get(ME, HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_token"
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_token_of_a_deactivated_citizen_is_rejected(api, make_citizen):
    citizen = make_citizen()
    _token, plain = services.auth_token_issue(user=citizen)
    citizen.is_active = False
    citizen.save()
    assert api.get(ME, HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 401


def test_a_revoked_token_is_rejected(api, make_citizen):
    token, plain = services.auth_token_issue(user=make_citizen())
    services.auth_token_revoke(token=token)
    assert api.get(ME, HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 401


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer not-a-token"])
def test_malformed_or_unknown_bearer_headers_are_401(api, header):
    response = api.get(ME, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_token"


# --- login rate limit -------------------------------------------------------------------------------------


def test_the_eleventh_api_login_in_a_window_is_429_throttled(api, make_citizen, settings):
    make_citizen(username="wang")
    # Given ten failed attempts
    for _ in range(10):
        response = api.post(TOKEN, {"username": "wang", "password": "guess"}, format="json")
        assert response.status_code == 400
    # When the eleventh comes, even with the right password
    response = api.post(TOKEN, {"username": "wang", "password": PASSWORD}, format="json")
    # Then it is throttled, with the wait in the body and the header
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "throttled"
    assert 0 < error["retry_after"] <= settings.LOGIN_LIMIT_WINDOW
    assert int(response["Retry-After"]) > 0


def test_the_eleventh_page_login_in_a_window_is_429(client, make_citizen):
    make_citizen(username="wang")
    for _ in range(10):
        response = client.post("/login/", {"username": "wang", "password": "guess"})
        assert response.status_code == 200  # the form again, with an error
    response = client.post("/login/", {"username": "wang", "password": PASSWORD})
    assert response.status_code == 429
    assert 'data-testid="form-error"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_page_login_works_under_the_limit(client, make_citizen):
    make_citizen(username="wang")
    response = client.post("/login/", {"username": "wang", "password": PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
