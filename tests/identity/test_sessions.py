"""Finding 18: short-lived bearer tokens with rotating refresh tokens; the citizen lists and ends sign-ins;
log-out ends the token in use."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.identity.models import AuthToken
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN, REFRESH, LOGOUT, SESSIONS, ME = (
    "/api/v1/auth/token", "/api/v1/auth/refresh", "/api/v1/auth/logout", "/api/v1/me/sessions", "/api/v1/me",
)


def _sign_in(api, citizen, agent: str = "curl/8.5"):
    response = api.post(TOKEN, {"username": citizen.username, "password": PASSWORD}, format="json",
                        HTTP_USER_AGENT=agent)
    assert response.status_code == 200, response.content
    return response.json()


def _bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_an_access_token_lives_minutes_and_comes_with_a_refresh_token(api, make_citizen, settings):
    # When a citizen signs in
    body = _sign_in(api, make_citizen())
    # Then the access token ends within the configured minutes (before the fix: 30 days) and a refresh token
    # renews it until the sign-in ends
    lifetime = dt.datetime.fromisoformat(body["expires_at"]) - timezone.now()
    assert lifetime <= dt.timedelta(minutes=settings.CITYCODE_ACCESS_TOKEN_MINUTES)
    assert body["token_type"] == "Bearer" and body["token"] and body["refresh_token"]
    assert body["refresh_token"] != body["token"]
    assert api.get(ME, **_bearer(body["token"])).status_code == 200


def test_a_refresh_rotates_both_tokens_and_the_old_access_token_stops(api, make_citizen):
    first = _sign_in(api, make_citizen())
    # When the refresh token is exchanged
    response = api.post(REFRESH, {"refresh_token": first["refresh_token"]}, format="json")
    # Then a new pair comes back, the new access token works and the old one no longer does
    assert response.status_code == 200
    second = response.json()
    assert second["token"] != first["token"] and second["refresh_token"] != first["refresh_token"]
    assert api.get(ME, **_bearer(second["token"])).status_code == 200
    assert api.get(ME, **_bearer(first["token"])).status_code == 401


def test_a_reused_refresh_token_ends_the_whole_sign_in(api, make_citizen):
    # Given a refresh token that was already exchanged (a thief copied it, or the owner did)
    first = _sign_in(api, make_citizen())
    second = api.post(REFRESH, {"refresh_token": first["refresh_token"]}, format="json").json()
    # When it is presented again
    reuse = api.post(REFRESH, {"refresh_token": first["refresh_token"]}, format="json")
    # Then it is refused, and every token of that sign-in dies, including the newest pair
    assert reuse.status_code == 401
    assert reuse.json()["error"]["code"] == "refresh_token_reused"
    assert api.get(ME, **_bearer(second["token"])).status_code == 401
    refused = api.post(REFRESH, {"refresh_token": second["refresh_token"]}, format="json")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_refresh_token"


@pytest.mark.parametrize("refresh", ["not-a-token", "x" * 129])
def test_an_unknown_or_over_long_refresh_token_is_a_4xx(api, refresh):
    response = api.post(REFRESH, {"refresh_token": refresh}, format="json")
    assert response.status_code in (400, 401)


def test_an_ended_sign_in_cannot_be_refreshed(api, make_citizen):
    body = _sign_in(api, make_citizen())
    AuthToken.objects.update(refresh_expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = api.post(REFRESH, {"refresh_token": body["refresh_token"]}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_refresh_token"


def test_the_citizen_lists_their_live_sign_ins_without_any_secret(api, make_citizen):
    # Given a citizen signed in from a phone and from a laptop, and another citizen signed in too
    citizen = make_citizen()
    phone = _sign_in(api, citizen, agent="CityApp/2.1 (Android)")
    laptop = _sign_in(api, citizen, agent="Firefox/130")
    _sign_in(api, make_citizen(), agent="Other/1.0")
    # When the citizen lists their sign-ins from the laptop
    response = api.get(SESSIONS, **_bearer(laptop["token"]))
    # Then both of theirs are there with client and dates, the laptop marked current, and no token
    assert response.status_code == 200
    rows = response.json()
    assert sorted(r["user_agent"] for r in rows) == ["CityApp/2.1 (Android)", "Firefox/130"]
    assert [r["current"] for r in rows if r["user_agent"] == "Firefox/130"] == [True]
    assert all(r["created_at"] and r["expires_at"] for r in rows)
    assert [r["last_used_at"] is not None for r in rows if r["current"]] == [True]
    text = response.content.decode()
    for secret in (phone["token"], phone["refresh_token"], laptop["token"], laptop["refresh_token"]):
        assert secret not in text
    assert "key_hash" not in text


def test_the_citizen_ends_one_sign_in_and_not_another_citizens(api, make_citizen):
    citizen, other = make_citizen(), make_citizen()
    phone = _sign_in(api, citizen, agent="phone")
    laptop = _sign_in(api, citizen, agent="laptop")
    others = _sign_in(api, other, agent="theirs")
    phone_id = next(r["id"] for r in api.get(SESSIONS, **_bearer(laptop["token"])).json() if r["user_agent"] == "phone")
    others_id = api.get(SESSIONS, **_bearer(others["token"])).json()[0]["id"]

    # When the citizen ends another citizen's sign-in, Then it is a 404 and theirs lives on
    refused = api.delete(f"{SESSIONS}/{others_id}", **_bearer(laptop["token"]))
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "session_not_found"
    assert api.get(ME, **_bearer(others["token"])).status_code == 200

    # When the citizen ends their phone's sign-in from the laptop
    assert api.delete(f"{SESSIONS}/{phone_id}", **_bearer(laptop["token"])).status_code == 204
    # Then the phone's access and refresh tokens stop, the laptop keeps working, and the list shrinks
    assert api.get(ME, **_bearer(phone["token"])).status_code == 401
    assert api.post(REFRESH, {"refresh_token": phone["refresh_token"]}, format="json").status_code == 401
    assert [r["user_agent"] for r in api.get(SESSIONS, **_bearer(laptop["token"])).json()] == ["laptop"]


def test_log_out_revokes_the_token_in_use_and_only_it(api, make_citizen):
    citizen = make_citizen()
    one, two = _sign_in(api, citizen), _sign_in(api, citizen)
    # When the citizen signs out with one token
    assert api.post(LOGOUT, **_bearer(one["token"])).status_code == 204
    # Then that token and its refresh token are dead (before the fix there was no log-out), the other lives
    assert api.get(ME, **_bearer(one["token"])).status_code == 401
    assert api.post(REFRESH, {"refresh_token": one["refresh_token"]}, format="json").status_code == 401
    assert api.get(ME, **_bearer(two["token"])).status_code == 200


def test_the_page_log_out_ends_the_browser_session(client, make_citizen):
    citizen = make_citizen()
    client.post("/login/", {"username": citizen.username, "password": PASSWORD})
    cookie = client.cookies["sessionid"].value
    assert client.get("/").status_code == 200
    client.post("/logout/")
    # When the old session cookie is replayed, Then it signs nobody in
    client.cookies["sessionid"] = cookie
    assert client.get("/").status_code == 302


@pytest.mark.django_db(transaction=True)
def test_two_racing_refreshes_of_one_token_never_both_succeed(make_citizen):
    # Given PostgreSQL and a refresh token presented twice at the same moment (a copy is in a thief's hands)
    import threading

    from django.db import connection, connections

    from apps.identity import services
    from citycode.errors import DomainError

    if connection.vendor != "postgresql":
        pytest.skip("the race needs PostgreSQL")
    issued = services.auth_session_start(user=make_citizen())
    barrier, outcomes = threading.Barrier(2), []

    def refresh() -> None:
        try:
            barrier.wait(timeout=10)
            services.auth_token_refresh(refresh=issued.refresh)
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # Then the row lock lets one through, the other counts as reuse, and the sign-in is ended
    assert sorted(outcomes) == ["ok", "refresh_token_reused"]
    assert AuthToken.objects.get(pk=issued.session.pk).revoked_at is not None
