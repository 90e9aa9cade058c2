"""Single-use purposes (issue 7, finding 11): a second scan of one token for transit.boarding or
medical.registration is refused, also when two scans race; other purposes stay repeatable and logged."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from apps.codes import services, tasks, tokens
from apps.codes.models import TokenUse
from apps.consent import selectors as consent_selectors
from apps.consent import services as consent_services
from apps.identity import services as identity_services
from apps.identity.models import Citizen, Organization

FIVE_MINUTES = dt.timedelta(minutes=5)


def _client(org):
    _client, key = identity_services.api_client_create(organization=org, name=f"gate-{org.slug}")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return api


@pytest.fixture
def setting(make_org, make_citizen):
    """A bus operator and a library, each granted its purpose; alice consented to both."""
    approver = Citizen.objects.create(username="bureau-root", is_superuser=True)
    bus = make_org("bus-1", kind=Organization.Kind.TRANSIT_OPERATOR)
    library = make_org("library", kind=Organization.Kind.VENUE)
    consent_services.access_grant_create(organization=bus, purpose="transit.boarding", approved_by=approver)
    consent_services.access_grant_create(organization=library, purpose="venue.entry", approved_by=approver)
    alice = make_citizen(name="李爱丽")
    consent_services.consent_give(citizen=alice, purpose="transit.boarding", categories=["identity.adult"])
    consent_services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    return {"bus": bus, "library": library, "alice": alice}


def _token(citizen):
    return services.token_issue(citizen=citizen, code_type="city", lifetime=FIVE_MINUTES).token


def _scan(api, token, purpose):
    return api.post("/api/v1/scan", {"token": token, "purpose": purpose}, format="json")


def _log(citizen):
    return list(consent_selectors.access_log_list(citizen=citizen))


@pytest.mark.django_db
def test_a_single_use_purpose_refuses_the_second_scan_of_one_token(setting):
    # Given alice's city code scanned once to board a bus
    bus, alice = _client(setting["bus"]), setting["alice"]
    token = _token(alice)
    assert _scan(bus, token, "transit.boarding").status_code == 200
    rows = len(_log(alice))
    # When the same token is scanned again for boarding (a second rider with a photo of her code)
    again = _scan(bus, token, "transit.boarding")
    # Then it is refused as already used, nothing is disclosed, and her log gains no row
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_used" and "data" not in again.json()
    assert len(_log(alice)) == rows
    # And a fresh token of hers boards as usual
    assert _scan(bus, _token(alice), "transit.boarding").status_code == 200


@pytest.mark.django_db
def test_other_purposes_stay_repeatable_and_are_logged_each_time(setting):
    # Given a token used once for boarding
    bus, library, alice = _client(setting["bus"]), _client(setting["library"]), setting["alice"]
    token = _token(alice)
    assert _scan(bus, token, "transit.boarding").status_code == 200
    before = len(_log(alice))
    # When the same token is scanned twice at the library's door
    first, second = _scan(library, token, "venue.entry"), _scan(library, token, "venue.entry")
    # Then both pass, and each leaves a row
    assert first.status_code == second.status_code == 200
    assert len(_log(alice)) == before + 2


@pytest.mark.django_db
def test_a_denied_scan_does_not_use_the_token_up(setting):
    # Given alice withdrew her boarding consent, so the gate denies (and logs) the scan
    bus, alice = _client(setting["bus"]), setting["alice"]
    consent = consent_selectors.consent_list(citizen=alice).get(purpose__code="transit.boarding")
    consent_services.consent_withdraw(consent=consent)
    token = _token(alice)
    denied = _scan(bus, token, "transit.boarding")
    assert denied.status_code == 403
    assert [row.outcome for row in _log(alice)][:1] == ["denied"]
    # Then the token was not consumed: no use is recorded
    assert not TokenUse.objects.exists()


@pytest.mark.django_db
def test_used_token_rows_are_pruned_after_the_token_expires(setting):
    # Given two recorded uses, one of an expired token
    now = timezone.now()
    services.token_use_record(issuer_name="CC", cti=b"\x01" * 8, purpose="transit.boarding",
                              expires_at=now - dt.timedelta(seconds=1))
    services.token_use_record(issuer_name="CC", cti=b"\x02" * 8, purpose="transit.boarding",
                              expires_at=now + FIVE_MINUTES)
    # When the beat task runs
    assert tasks.prune_token_uses.delay().get() == 1
    # Then only the live token's row is left
    assert list(TokenUse.objects.values_list("cti", flat=True)) == [(b"\x02" * 8).hex()]


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite's in-memory test database is one writer; "
                    "run with DATABASE_URL=postgres://... for the race")
@pytest.mark.django_db(transaction=True)
def test_two_racing_scans_of_one_token_for_a_single_use_purpose_give_exactly_one_success(setting):
    # Given one token and several gates scanning it at the same moment
    token = _token(setting["alice"])
    bus = setting["bus"]
    keys = [identity_services.api_client_create(organization=bus, name=f"race-{i}")[1] for i in range(4)]
    barrier = threading.Barrier(len(keys))
    statuses = []

    def scan(key):
        try:
            api = APIClient()
            api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
            barrier.wait()
            statuses.append(_scan(api, token, "transit.boarding").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then exactly one scan succeeded and every other was refused as a replay
    assert sorted(statuses) == [200] + [409] * (len(keys) - 1)
    allowed = [row for row in _log(setting["alice"]) if row.outcome == "allowed"]
    assert len(allowed) == 1
    assert TokenUse.objects.filter(cti=tokens.token_fields(token)[7].hex()).count() == 1
