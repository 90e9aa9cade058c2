"""The health-code token: it verifies offline by signature like every code (an independent COSE library, only the
JWKS), but its colour opens only with the day's purpose key, which only epidemic-control verifiers receive, only
during an emergency, and never after their grant is revoked. Two tokens of one citizen share no value."""

import datetime as dt
import time
import zlib

import base45
import cwt
import pytest
from cwt import COSEKey
from django.utils import timezone

from apps.codes import selectors as codes_selectors
from apps.codes import tokens, wallet
from apps.consent import services as consent_services
from apps.health import purpose_keys, review_services, services
from apps.health.models import PurposeKey

pytestmark = pytest.mark.django_db

PACKAGE = "/api/v1/health/verifier-package"


def _token(citizen) -> str:
    return wallet.held_code_issue(citizen=citizen, code_type="health").issued.token


def _cose(token: str) -> bytes:
    raw = base45.b45decode(token[4:])
    return zlib.decompress(raw) if token.startswith(tokens.PREFIX_ZLIB) else raw


def _claims(token: str) -> dict:
    verified = tokens.verify(token, trust_list=codes_selectors.live_trust_list_get(), status_lists=None,
                             now=time.time(), expected_type="health")
    return verified.claims


def _package(api, key):
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return api.get(PACKAGE)


@pytest.fixture
def red(citizen, officer):
    services.colour_set(citizen=citizen, to_colour="red", cause="manual", reason_code="close_contact",
                        legal_reference="test", decided_by=officer)
    return citizen


def test_an_epidemic_control_verifier_reads_the_colour_offline_and_a_bank_cannot(api, red, emergency, checkpoint,
                                                                                  bank):
    # given a red citizen's fresh health code during an emergency
    token = _token(red)
    sealed = _claims(token)["c"]
    # when the checkpoint (active epidemic-control grant) fetches its verifier package
    response = _package(api, checkpoint["key"])
    assert response.status_code == 200 and response["Cache-Control"].startswith("no-store")
    ring = purpose_keys.KeyRing.from_package(response.json())
    # then it reads the colour offline, with the keys alone
    assert ring.open(sealed, now=timezone.now()) == "red"
    # and the bank gets no key: a valid code, and bytes it cannot open
    refused = _package(api, bank["key"])
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "no_epidemic_control_grant"
    with pytest.raises(purpose_keys.SealedColourError):
        purpose_keys.KeyRing([]).open(sealed)
    assert b"red" not in _cose(token)


def test_an_independent_cose_library_verifies_the_health_code_s_signature_from_the_jwks(api, red, emergency):
    token = _token(red)
    jwks = api.get("/.well-known/jwks.json").json()
    claims = cwt.decode(_cose(token), [COSEKey.from_jwk(jwk) for jwk in jwks["keys"]])
    assert claims[-1] == "health" and isinstance(claims[-2]["c"], str)


def test_a_verifier_whose_grant_was_revoked_gets_no_new_key(api, red, emergency, checkpoint, bureau):
    # given the checkpoint holds today's key
    assert _package(api, checkpoint["key"]).json()["keys"]
    # when the data bureau revokes its grant
    consent_services.access_grant_revoke(grant=checkpoint["grant"], revoked_by=bureau["admin"])
    # then the package is refused: no key of today, and none of any later day
    response = _package(api, checkpoint["key"])
    assert response.status_code == 403 and response.json()["error"]["code"] == "no_epidemic_control_grant"
    assert "keys" not in response.json()


def test_tomorrow_s_key_comes_only_in_the_last_hours_of_the_day(checkpoint, bureau, settings):
    settings.CITYCODE_HEALTH_PURPOSE_KEY_PREFETCH_HOURS = 4
    today = timezone.localdate()
    # given an emergency covering the whole of today (whatever the time the test runs at)
    midnight = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    consent_services.emergency_declare(name="e", legal_reference="law", purposes=["health.epidemic_control"],
                                       starts_at=midnight - dt.timedelta(days=1),
                                       ends_at=midnight + dt.timedelta(days=2), declared_by=bureau["admin"])
    morning = timezone.make_aware(dt.datetime.combine(today, dt.time(9)))
    evening = timezone.make_aware(dt.datetime.combine(today, dt.time(21)))
    at_nine = review_services.verifier_package_issue(organization=checkpoint["org"], now=morning)
    at_night = review_services.verifier_package_issue(organization=checkpoint["org"], now=evening)
    assert len(at_nine["keys"]) == 1
    assert len(at_night["keys"]) == 2
    assert at_night["keys"][0]["kid"] == at_nine["keys"][0]["kid"]


def test_two_health_codes_of_one_citizen_share_no_identifying_value(red, emergency, make_citizen, officer):
    # given two tokens of the same citizen, and one of another citizen with the same colour
    other = make_citizen(username="other-red")
    services.colour_set(citizen=other, to_colour="red", cause="manual", reason_code="close_contact",
                        legal_reference="test", decided_by=officer)
    first, second, third = (tokens.token_fields(_token(p)) for p in (red, red, other))
    # then subject, token id and sealed colour all differ between the two tokens of one citizen
    for claim in (tokens.CLAIM_SUB, tokens.CLAIM_CTI):
        assert first[claim] != second[claim]
    c1, c2, c3 = (f[tokens.CLAIM_CLAIMS]["c"] for f in (first, second, third))
    assert c1 != c2
    # and what they do share (issuer, type, the day's key id) is shared with every other citizen's code too
    assert purpose_keys.sealed_kid(c1) == purpose_keys.sealed_kid(c2) == purpose_keys.sealed_kid(c3)
    shared = {k for k in first if first[k] == second[k]}
    assert shared <= {tokens.CLAIM_ISS, tokens.CLAIM_TYPE, tokens.CLAIM_EXP, tokens.CLAIM_IAT}


def test_outside_an_emergency_no_one_holds_a_health_code_and_verifiers_get_no_key(api, red, checkpoint):
    # given no emergency is in force: the citizen holds no health code (so no token carries a colour)
    from apps.codes.plugin_api import DomainError

    with pytest.raises(DomainError) as exc:
        _token(red)
    assert exc.value.code == "code_not_held"
    assert "health" not in [held.code_type.key for held in wallet.held_codes_issue(citizen=red)]
    # and even the epidemic-control checkpoint receives no key
    response = _package(api, checkpoint["key"])
    assert response.status_code == 200 and response.json()["keys"] == []


def test_when_the_emergency_ends_the_code_and_its_colour_are_gone(api, red, emergency, checkpoint):
    assert "c" in _claims(_token(red))
    consent_services.emergency_end(emergency=emergency)
    assert "health" not in [held.code_type.key for held in wallet.held_codes_issue(citizen=red)]
    assert _package(api, checkpoint["key"]).json()["keys"] == []


def test_the_purpose_key_is_stored_encrypted_and_wiped_when_no_token_can_use_it(red, emergency):
    _token(red)
    row = PurposeKey.objects.get(day=timezone.localdate())
    material = review_services.purpose_key_material(key=row)
    assert material.key not in bytes(row.key_encrypted)
    # when the rotation runs after the day (and its grace) is over
    result = review_services.purpose_keys_rotate(now=row.valid_until + dt.timedelta(seconds=1))
    row.refresh_from_db()
    # then the key bytes are gone for good
    assert result["wiped"] >= 1 and row.wiped_at is not None and bytes(row.key_encrypted) == b""
    with pytest.raises(Exception):  # noqa: B017,PT011 - DomainError purpose_key_wiped
        review_services.purpose_key_material(key=row)
