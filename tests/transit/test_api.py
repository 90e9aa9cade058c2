"""The transit API: the reader package for readers only, certificates and server codes for riders only, every
bad input a 4xx with its code and nothing written."""

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from apps.codes.plugin_api import b64u_decode
from apps.identity import services as identity_services
from apps.transit import reader as reader_logic
from apps.transit import selectors, services
from apps.transit.models import RiderCertificate

from .conftest import jwk_of

pytestmark = pytest.mark.django_db
PACKAGE = "/api/v1/transit/reader-package"


def _as_reader(api, reader, secret=None):
    api.credentials(HTTP_AUTHORIZATION=f"Reader {reader.device_id}:{secret or reader.secret}")
    return api


def test_a_reader_gets_its_package_and_only_deltas_since_its_version(api, bus_reader, rider, phone):
    services.account_arrears_enter(account=selectors.ride_account_get(citizen=rider), reason="charge_failed")
    # When the reader downloads the whole package
    whole = _as_reader(api, bus_reader).get(PACKAGE)
    assert whole.status_code == 200
    body = whole.json()
    # Then it holds the city's keys, its operator, and the deny list with the rider's pseudonym
    assert body["operator"] == "city-bus" and body["issuer_keys"] and body["reader"]["device_id"] == "bus-1-front"
    assert [(d["version"], d["action"]) for d in body["deny_list"]["deltas"]] == [(1, "add")]
    # And asking since its version gives no delta again
    since = _as_reader(api, bus_reader).get(PACKAGE, {"since": body["deny_list"]["version"]}).json()
    assert since["deny_list"]["deltas"] == [] and since["deny_list"]["version"] == 1
    # And the reader was marked as seen
    bus_reader.refresh_from_db()
    assert bus_reader.last_seen_at is not None


@pytest.mark.parametrize("header", [
    "Reader bus-1-front:wrong-secret", "Reader nobody:x", "Reader bus-1-front", "Reader a:b c", "Reader :",
])
def test_a_wrong_reader_credential_is_401_with_its_code(api, bus_reader, header):
    api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get(PACKAGE)
    assert response.status_code == 401 and response.json()["error"]["code"] == "bad_reader_credential"


def test_a_deactivated_reader_or_a_citizen_or_an_api_client_gets_no_package(api, citizen_api, bus_reader, operator):
    # A citizen's bearer token is not a reader
    assert citizen_api.get(PACKAGE).status_code in (401, 403)
    # Nor is the operator's own API key
    _client, key = identity_services.api_client_create(organization=operator, name="depot")
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert api.get(PACKAGE).status_code in (401, 403)
    # And a reader switched off is refused
    type(bus_reader).objects.filter(pk=bus_reader.pk).update(is_active=False)
    assert _as_reader(api, bus_reader).get(PACKAGE).status_code == 401


def test_a_bad_since_is_400(api, bus_reader):
    response = _as_reader(api, bus_reader).get(PACKAGE, {"since": "-1"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"


def test_a_rider_registers_a_device_key_and_gets_a_certificate_for_it(citizen_api, operator):
    services.account_open(citizen=citizen_api.citizen, mode="postpay", credit_limit_fen=5000)
    key = ec.generate_private_key(ec.SECP256R1())
    response = citizen_api.post("/api/v1/me/ride-certificates",
                                {"operator": "city-bus", "device_key": jwk_of(key)}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["code_lifetime"] == 30 and body["fare_limit_fen"] == 2000 and body["health_colour"] is None
    assert "no-store" in response["Cache-Control"]
    certificate = RiderCertificate.objects.get(serial=body["serial"])
    assert certificate.device_key == jwk_of(key) and b64u_decode(body["certificate"])[:1] == b"\xd2"


@pytest.mark.parametrize("payload, status, code", [
    ({"operator": "city-bus", "device_key": {"kty": "EC", "crv": "P-256", "x": "A" * 43, "y": "A" * 43}},
     400, "bad_device_key"),
    ({"operator": "city-bus", "device_key": {"kty": "RSA", "crv": "P-256", "x": "A", "y": "A"}},
     400, "validation_error"),
    ({"operator": "no-such-operator"}, 404, "unknown_operator"),
    ({"operator": "city-library"}, 404, "unknown_operator"),
    ({}, 400, "validation_error"),
])
def test_bad_certificate_requests_are_4xx_and_write_nothing(citizen_api, operator, make_org, payload, status, code):
    make_org("city-library")
    services.account_open(citizen=citizen_api.citizen, mode="prepaid")
    response = citizen_api.post("/api/v1/me/ride-certificates", payload, format="json")
    assert response.status_code == status and response.json()["error"]["code"] == code
    assert not RiderCertificate.objects.exists()


def test_no_account_arrears_and_anonymous_are_refused(api, citizen_api, operator):
    assert citizen_api.post("/api/v1/me/ride-code", {"operator": "city-bus"}).json()["error"]["code"] == \
        "no_ride_account"
    account = services.account_open(citizen=citizen_api.citizen, mode="postpay", credit_limit_fen=100)
    services.account_arrears_enter(account=account, reason="charge_failed")
    refused = citizen_api.post("/api/v1/me/ride-code", {"operator": "city-bus"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "account_in_arrears"
    assert api.post("/api/v1/me/ride-code", {"operator": "city-bus"}).status_code in (401, 403)
    assert not selectors.certificate_list(account=account).exists()


def test_a_server_signed_code_for_a_keyless_device(citizen_api, operator, bus_reader, package_of):
    services.account_open(citizen=citizen_api.citizen, mode="postpay", credit_limit_fen=5000)
    response = citizen_api.post("/api/v1/me/ride-code", {"operator": "city-bus"})
    assert response.status_code == 201
    body = response.json()
    assert body["code"].startswith("TR1:") and body["refresh_after"] > body["generated_at"]
    assert reader_logic.verify(body["code"], package=package_of(bus_reader)).device_bound is False
