"""Finding 8 and 13: sign-in limits that neither a sprayer, an identifier switch, the admin log-in nor a proxy
get around, and that a stranger cannot turn into a lock-out of the owner."""

import pytest
from django.contrib.auth import authenticate

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token"


def _sign_in(api, login: str, password: str, address: str = "10.0.0.1", **extra):
    return api.post(TOKEN, {"username": login, "password": password}, format="json", REMOTE_ADDR=address, **extra)


def test_one_password_sprayed_over_forty_accounts_is_stopped(api, make_citizen):
    # Given forty citizens
    citizens = [make_citizen() for _ in range(40)]
    # When one address tries one password on each of them
    statuses = [_sign_in(api, c.username, "Spring2026!").status_code for c in citizens]
    # Then the address is stopped before it gets through the list (before the fix: forty 400s)
    assert statuses[:30] == [400] * 30
    assert set(statuses[30:]) == {429}


def test_user_name_and_phone_count_as_one_account(api, make_citizen):
    # Given a citizen who signs in with a user name or a phone
    citizen = make_citizen()
    # When an address alternates between the two identifiers with wrong passwords
    statuses = [
        _sign_in(api, citizen.username if n % 2 else citizen.phone, "wrong-password").status_code for n in range(11)
    ]
    # Then the eleventh attempt is refused: both spellings fed one counter (before: each had its own ten)
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429


def test_a_refused_attempt_does_not_even_check_the_password(api, make_citizen):
    citizen = make_citizen()
    for _ in range(10):
        _sign_in(api, citizen.username, "wrong-password")
    # When the right password comes from the same address after the limit, Then it is refused all the same
    response = _sign_in(api, citizen.username, PASSWORD)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert "token" not in response.json()


def test_the_admin_log_in_is_limited_too(client, make_citizen):
    # Given a staff account
    staff = make_citizen(username="admin1")
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    # When an address tries eleven wrong passwords on /admin/login/
    statuses = [
        client.post("/admin/login/", {"username": "admin1", "password": "wrong-password"}).status_code
        for _ in range(11)
    ]
    # Then the eleventh is refused with 429 (before the fix: the admin log-in had no limit at all)
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429


def test_the_page_and_the_api_share_one_count(api, client, make_citizen):
    citizen = make_citizen()
    for _ in range(5):
        client.post("/login/", {"username": citizen.phone, "password": "wrong-password"}, REMOTE_ADDR="10.0.0.1")
        _sign_in(api, citizen.username, "wrong-password")
    page = client.post("/login/", {"username": citizen.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.1")
    assert page.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_strangers_ten_bad_tries_do_not_stop_the_owner_from_their_address(api, make_citizen):
    # Given a citizen who signed in before from their own address
    owner = make_citizen()
    assert _sign_in(api, owner.username, PASSWORD, address="10.1.1.1").status_code == 200
    # When a stranger fails ten times from theirs
    for _ in range(10):
        assert _sign_in(api, owner.phone, "wrong-password", address="10.6.6.6").status_code == 400
    # Then the stranger's address is stopped, and so is any other address new to the account (back-off)
    assert _sign_in(api, owner.username, PASSWORD, address="10.6.6.6").status_code == 429
    assert _sign_in(api, owner.username, PASSWORD, address="10.7.7.7").status_code == 429
    # But the owner's known address still signs in
    assert _sign_in(api, owner.username, PASSWORD, address="10.1.1.1").status_code == 200


def test_behind_one_proxy_every_client_has_its_own_counters(api, make_citizen, settings):
    # Given one reverse proxy in front (every request comes from its address)
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    victim, sprayed = make_citizen(), [make_citizen() for _ in range(31)]
    proxy = {"REMOTE_ADDR": "10.9.9.9"}
    # When one client sprays passwords until it is stopped
    statuses = [
        api.post(TOKEN, {"username": c.username, "password": "wrong-password"}, format="json",
                 HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy).status_code
        for c in sprayed
    ]
    assert statuses[-1] == 429
    # Then another client behind the same proxy still signs in
    response = api.post(TOKEN, {"username": victim.username, "password": PASSWORD}, format="json",
                        HTTP_X_FORWARDED_FOR="198.51.100.4", **proxy)
    assert response.status_code == 200


# --- finding 13: length limits ---------------------------------------------------------------------------


def test_a_megabyte_user_name_is_a_400_not_a_500(api):
    response = _sign_in(api, "x" * (1024 * 1024), "whatever-password")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["username"][0]["code"] == "max_length"


def test_a_megabyte_user_name_on_the_page_is_a_form_error(client):
    response = client.post("/login/", {"username": "x" * (1024 * 1024), "password": "whatever-password"})
    assert response.status_code == 200
    assert 'data-testid="form-error"' in response.content.decode()


def test_the_backend_refuses_over_long_input_without_querying(make_citizen, django_assert_num_queries):
    make_citizen(username="longpass")
    with django_assert_num_queries(0):
        assert authenticate(None, username="y" * 151, password=PASSWORD) is None
        assert authenticate(None, username="longpass", password="p" * 129) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "名" * 101), ("id_number", "1" * 33), ("phone", "1" * 21), ("password", "p" * 129),
     ("username", "u" * 41)],
)
def test_every_registration_field_has_a_max_length(api, field, value):
    body = {"name": "张三", "id_number": "11010519491231002X", "phone": "13911112222", "password": PASSWORD,
            "username": "zhangsan", field: value}
    response = api.post("/api/v1/citizens", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_a_sprayer_behind_the_owners_address_does_not_stop_the_owner(api, make_citizen):
    # Given a citizen who signed in before from an office address
    owner = make_citizen()
    assert _sign_in(api, owner.username, PASSWORD, address="10.2.2.2").status_code == 200
    # When someone behind the same address sprays a password over thirty-one other accounts until stopped
    statuses = [_sign_in(api, make_citizen().username, "Spring2026!", address="10.2.2.2").status_code
                for _ in range(31)]
    assert statuses[-1] == 429
    # Then the owner still signs in there, while an account new to that address is stopped
    assert _sign_in(api, owner.phone, PASSWORD, address="10.2.2.2").status_code == 200
    assert _sign_in(api, make_citizen().username, PASSWORD, address="10.2.2.2").status_code == 429
