"""POST /api/v1/scan: verify the code, pass the consent gate, answer only what the purpose may see."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone, translation
from rest_framework.test import APIClient

from apps.codes import caches, keys, services, tokens
from apps.codes.models import IssuerKey
from apps.consent import selectors as consent_selectors
from apps.consent import services as consent_services
from apps.identity import services as identity_services
from apps.identity.models import Citizen, Organization
from apps.talent import services as talent_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def approver(db):
    return Citizen.objects.create(username="bureau-root", is_superuser=True)


@pytest.fixture
def venue(make_org, approver):
    """A library with an API client and a grant for venue.entry (but none for transit.boarding)."""
    org = make_org("library", kind=Organization.Kind.VENUE)
    consent_services.access_grant_create(organization=org, purpose="venue.entry", approved_by=approver)
    client, key = identity_services.api_client_create(organization=org, name="gate-1")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    api.organization, api.client = org, client
    return api


@pytest.fixture
def alice(make_citizen):
    return make_citizen(name="李爱丽", birth="19900307")


def city_token(citizen, **kwargs) -> str:
    return services.token_issue(citizen=citizen, code_type="city", lifetime=dt.timedelta(minutes=5), **kwargs).token


def log_rows(citizen):
    return list(consent_selectors.access_log_list(citizen=citizen))


def scan(api, token, purpose="venue.entry"):
    return api.post("/api/v1/scan", {"token": token, "purpose": purpose}, format="json")


def test_a_consented_scan_returns_exactly_the_consented_categories_and_is_logged(venue, alice):
    # Given alice consented to venue.entry with the library, sharing only whether she is an adult
    consent_services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"],
                                  organization=venue.organization)
    # When the library's gate scans her city code for venue.entry
    response = scan(venue, city_token(alice))
    # Then it sees that she is an adult, and nothing else (not even her name, which the purpose could ask for)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["data"] == {"identity.adult": True}
    assert body["purpose"] == "venue.entry" and body["basis"] == "consent" and body["code_type"] == "city"
    # And her access log shows the read, by the gate, of exactly that category
    [row] = log_rows(alice)
    assert (row.outcome, row.purpose_code, row.categories) == ("allowed", "venue.entry", ["identity.adult"])
    assert "gate-1" in row.actor_label


def test_a_full_consent_returns_name_and_adult(venue, alice):
    consent_services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult", "identity.name"])
    body = scan(venue, city_token(alice)).json()
    assert body["data"] == {"identity.adult": True, "identity.name": "李爱丽"}
    assert alice.id_masked not in str(body) and alice.phone not in str(body)


def test_a_purpose_without_a_grant_is_refused_and_logged(venue, alice):
    # Given alice consented to venue.entry, but the library holds no grant for transit.boarding
    consent_services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    # When it scans her code for transit.boarding
    response = scan(venue, city_token(alice), purpose="transit.boarding")
    # Then it is refused with the one generic code (the precise reason is not the organization's to know)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_disclosed"
    assert "data" not in response.json()
    # And the refusal, with its reason, is in her access log
    [row] = log_rows(alice)
    assert (row.outcome, row.reason, row.purpose_code) == ("denied", "no_grant", "transit.boarding")


def test_without_consent_the_scan_is_refused(venue, alice):
    response = scan(venue, city_token(alice))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_disclosed"
    assert [r.reason for r in log_rows(alice)] == ["no_consent"]


def test_after_withdrawal_the_next_scan_is_refused(venue, alice):
    # Given a consent that worked once
    consent = consent_services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    assert scan(venue, city_token(alice)).status_code == 200
    # When alice withdraws it
    consent_services.consent_withdraw(consent=consent)
    # Then the very next scan is refused, and both scans are logged
    response = scan(venue, city_token(alice))
    assert response.status_code == 403
    # The library is not told that alice once consented: one generic code; the reason is in her log
    assert response.json()["error"]["code"] == "not_disclosed"
    assert [(r.outcome, r.reason) for r in log_rows(alice)] == [("denied", "consent_withdrawn"), ("allowed", "")]


def test_an_unknown_purpose_is_refused_before_anything_is_written(venue, alice):
    # When any API key scans with a purpose of its own invention
    response = scan(venue, city_token(alice), purpose="x" * 64)
    # Then it is refused, and its text lands in nobody's access log
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_purpose"
    assert log_rows(alice) == []


def test_every_scan_leaves_a_log_row(venue, alice):
    consent_services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    outcomes = [scan(venue, city_token(alice), purpose=p).status_code
                for p in ("venue.entry", "transit.boarding", "venue.entry")]
    assert outcomes == [200, 403, 200]
    assert len(log_rows(alice)) == 3


def test_the_talent_code_scans_with_its_own_categories(venue, alice, approver):
    # Given alice is certified, the library may check talent benefits, and alice consented to it
    talent_services.certification_issue(citizen=alice, level="A", issued_by="市人才服务中心",
                                        valid_until=timezone.localdate() + dt.timedelta(days=30))
    consent_services.access_grant_create(organization=venue.organization, purpose="talent.benefits",
                                         approved_by=approver)
    consent_services.consent_give(citizen=alice, purpose="talent.benefits",
                                  categories=["identity.name", "talent.certification"])
    token = services.token_issue(
        citizen=alice, code_type="talent", claims={"lvl": "A"}, lifetime=dt.timedelta(minutes=10)
    ).token
    city = city_token(alice)
    # When her talent code is scanned for talent.benefits
    body = scan(venue, token, purpose="talent.benefits").json()
    # Then the talent office's data and her name come back through the registry's providers
    assert body["code_type"] == "talent"
    assert body["data"]["identity.name"] == "李爱丽"
    assert body["data"]["talent.certification"]["level"] == "A"
    assert set(body["data"]) == {"identity.name", "talent.certification"}
    # And her city code reaches the same data (the city code delegates to the talent provider)
    again = scan(venue, city, purpose="talent.benefits").json()
    assert again.get("data") == body["data"], again


# -- refused tokens: every reason is a 400 with that code -----------------------------------------------


@pytest.fixture
def old_key(db):
    """This city's signing key, created an hour ago so back-dated tokens fall inside its validity."""
    IssuerKey.objects.all().delete()  # the one migrate made is younger than the back-dated tokens
    caches.forget_process_caches()
    return services.issuer_key_create(now=timezone.now() - dt.timedelta(hours=1))


def _forged(*, kid: str, citizen=None, sub="nobody", code_type="city") -> str:
    alg = settings.CITYCODE_KEY_ALGORITHM
    signer = tokens.Signer(kid=kid, alg=alg, private_key=keys.generate(alg), not_after=2**40)
    now = int(timezone.now().timestamp())
    return tokens.encode(signer=signer, issuer=services.issuer(), sub=sub, code_type=code_type, iat=now,
                         exp=now + 300, status_index=0)


def _token_for(reason: str, citizen, old_key) -> str:
    now = timezone.now()
    if reason == "bad_prefix":
        return "HC1:" + city_token(citizen)[4:]
    if reason == "bad_encoding":
        return "CC1:this is not base45!!"
    if reason == "unknown_kid":
        return _forged(kid="ZZZZZZZZ")
    if reason == "bad_signature":
        return _forged(kid=old_key.kid)
    if reason == "expired":
        return city_token(citizen, now=now - dt.timedelta(minutes=10))
    if reason == "not_yet_valid":
        return city_token(citizen, now=now + dt.timedelta(minutes=10))
    if reason == "revoked":
        token = services.token_issue(citizen=citizen, code_type="city", lifetime=dt.timedelta(minutes=5),
                                     with_status=True).token
        services.token_revoke(code_type="city", citizen=citizen)
        return token
    if reason == "unknown_code_type":
        return services.token_issue(citizen=citizen, code_type="parking", lifetime=dt.timedelta(minutes=5)).token
    if reason == "unknown_subject":
        signer = services.issuer_key_active()
        stamp = int(now.timestamp())
        return tokens.encode(signer=signer, issuer=services.issuer(), sub="nobody-at-all", code_type="city",
                             iat=stamp, exp=stamp + 300)
    raise AssertionError(reason)


@pytest.mark.parametrize("reason", ["bad_prefix", "bad_encoding", "unknown_kid", "bad_signature", "expired",
                                    "not_yet_valid", "revoked", "unknown_code_type", "unknown_subject"])
def test_a_refused_token_is_a_4xx_with_its_reason_and_discloses_nothing(venue, alice, old_key, reason):
    # Given alice consented, so only the token can be at fault
    consent_services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    token = _token_for(reason, alice, old_key)
    # When the gate scans the bad token
    response = scan(venue, token)
    # Then the reason comes back as the error code, with no data; a type the city does not know is its one 404
    assert response.status_code == (404 if reason == "unknown_code_type" else 400), response.json()
    assert response.json()["error"]["code"] == reason
    assert "data" not in response.json()
    # And the message is the reason's sentence in the response's language, not the code again
    with translation.override(response.headers.get("Content-Language") or settings.LANGUAGE_CODE):
        assert response.json()["error"]["message"] == str(tokens.REFUSAL_MESSAGES[reason])
    assert reason not in response.json()["error"]["message"]
    # And nothing was disclosed (no per-citizen log row: the token never reached the gate)
    assert log_rows(alice) == []


@pytest.mark.parametrize("body", [{}, {"token": ""}, {"token": "CC1:X"}, {"purpose": "venue.entry"},
                                  {"token": "x" * 5000, "purpose": "venue.entry"}])
def test_a_malformed_body_is_a_validation_error(venue, body):
    response = venue.post("/api/v1/scan", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_only_an_organizations_api_client_may_scan(citizen_api, api, alice):
    assert scan(citizen_api, city_token(alice)).status_code == 403
    assert scan(api, city_token(alice)).status_code in (401, 403)


def test_a_revoked_api_key_cannot_scan(venue, alice):
    identity_services.api_client_revoke(client=venue.client)
    assert scan(venue, city_token(alice)).status_code in (401, 403)


def test_a_recognized_peer_city_cannot_sign_a_code_that_resolves_to_one_of_our_citizens(venue, alice):
    from tests.codes.test_trust import PeerCity

    # Given alice consented to venue.entry and showed her city code once (its sub is readable by any verifier)
    consent_services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult", "identity.name"])
    her_sub = tokens.token_fields(city_token(alice))[tokens.CLAIM_SUB]
    # And a peer city whose trust list the data bureau imported (its keys verify *its* citizens' codes)
    peer = PeerCity()
    services.trust_list_import(document=peer.trust_list(), pin_jwk=peer.jwk)
    # When a token signed by the peer city with alice's sub is scanned here
    response = scan(venue, peer.issue(code_type="city", sub=her_sub))
    # Then it resolves to no citizen of this city: refused, nothing disclosed, nothing logged against alice
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] == "unknown_subject"
    assert "data" not in response.json() and "李爱丽" not in response.content.decode()
    assert log_rows(alice) == []
