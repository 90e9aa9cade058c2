import pytest

pytestmark = pytest.mark.django_db


def test_a_fresh_x_forwarded_for_on_each_attempt_does_not_dodge_the_login_limit(api, make_citizen):
    # Given no proxy is configured (NUM_PROXIES=0) and a citizen
    citizen = make_citizen()
    statuses = []
    # When an attacker sends eleven wrong passwords, each claiming a different client address
    for n in range(11):
        response = api.post("/api/v1/auth/token", {"username": citizen.username, "password": "wrong-password"},
                            format="json", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
        statuses.append(response.status_code)
    # Then the socket address counts, and the eleventh attempt is refused
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429
    assert response.json()["error"]["code"] == "throttled"
