"""The colour at /scan, end to end: disclosed only to an epidemic-control purpose (the consent gate binds the
epidemic-only category to such purposes), and only while an emergency covers the purpose; the access log says so."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.codes import wallet
from apps.consent import services as consent_services
from apps.consent.models import AccessLog
from apps.health import services
from tests.health.review.conftest import EPIDEMIC

pytestmark = pytest.mark.django_db


@pytest.fixture
def red(citizen, officer):
    services.colour_set(citizen=citizen, to_colour="red", cause="manual", reason_code="close_contact",
                        legal_reference="test", decided_by=officer)
    return citizen


def _scan(api, key, citizen, purpose=EPIDEMIC, code_type="health"):
    token = wallet.held_code_issue(citizen=citizen, code_type=code_type).issued.token
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return api.post("/api/v1/scan", {"token": token, "purpose": purpose}, format="json")


def _last_log(citizen):
    return AccessLog.objects.filter(citizen=citizen).order_by("-seq").first()


def test_during_an_emergency_an_epidemic_control_checkpoint_sees_the_colour_and_the_log_names_the_emergency(
        api, red, emergency, checkpoint):
    response = _scan(api, checkpoint["key"], red)
    assert response.status_code == 200
    body = response.json()
    assert body["data"]["health.colour"] == "red" and body["basis"] == "statutory"
    row = _last_log(red)
    assert "health.colour" in row.categories and row.emergency_id == emergency.pk


def test_the_city_code_scanned_for_epidemic_control_shows_the_colour_too(api, red, emergency, checkpoint):
    response = _scan(api, checkpoint["key"], red, code_type="city")
    assert response.status_code == 200 and response.json()["data"]["health.colour"] == "red"


def test_a_bank_sees_no_colour_and_its_attempt_is_logged(api, red, emergency, bank):
    response = _scan(api, bank["key"], red)
    assert response.status_code == 403 and response.json()["error"]["code"] == "not_disclosed"
    row = _last_log(red)
    assert (row.outcome, row.reason, row.categories) == ("denied", "no_grant", [])


def test_a_non_epidemic_purpose_can_never_carry_the_colour(bureau):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        consent_services.purpose_upsert(code="bank.kyc", label_zh="开户", label_en="Account opening",
                                        categories=["identity.name", "health.colour"], retention_days=30)
    assert exc.value.error_dict["categories"][0].code == "epidemic_only_category"


def test_outside_an_emergency_the_checkpoint_gets_no_colour_and_asking_only_for_it_is_denied(
        api, red, checkpoint):
    # given no emergency: a scan of the city code discloses the purpose's other categories, never the colour
    response = _scan(api, checkpoint["key"], red, code_type="city")
    assert response.status_code == 200
    assert "health.colour" not in response.json()["data"]
    row = _last_log(red)
    assert "health.colour" in row.requested and "health.colour" not in row.categories and row.emergency_id is None
    # and a request for the colour alone is refused with its own reason in the citizen's log
    with pytest.raises(consent_services.DisclosureDenied) as exc:
        consent_services.disclose(organization=checkpoint["org"], purpose=EPIDEMIC, citizen=red,
                                  categories=["health.colour"])
    assert exc.value.reason == "no_emergency" and exc.value.code == "not_disclosed"


def test_when_the_emergency_ends_the_colour_disappears_from_scans(api, red, emergency, checkpoint):
    assert _scan(api, checkpoint["key"], red).json()["data"]["health.colour"] == "red"
    # given a health code issued during the emergency, still within its five minutes
    held = wallet.held_code_issue(citizen=red, code_type="health").issued.token
    consent_services.emergency_end(emergency=emergency)
    # then scanned after the end it shows no colour, and neither does the city code
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {checkpoint['key']}")
    late = api.post("/api/v1/scan", {"token": held, "purpose": EPIDEMIC}, format="json")
    assert late.status_code == 200 and "health.colour" not in late.json()["data"]
    assert "health.colour" not in _scan(api, checkpoint["key"], red, code_type="city").json()["data"]


def test_an_emergency_that_has_not_started_shows_nothing(api, red, checkpoint, bureau):
    now = timezone.now()
    consent_services.emergency_declare(name="未来", legal_reference="x", purposes=[EPIDEMIC],
                                       starts_at=now + dt.timedelta(days=1), ends_at=now + dt.timedelta(days=2),
                                       declared_by=bureau["admin"])
    assert "health.colour" not in _scan(api, checkpoint["key"], red, code_type="city").json()["data"]


def test_an_emergency_cannot_cover_an_ordinary_consent_purpose(bureau):
    from apps.codes.plugin_api import DomainError

    now = timezone.now()
    with pytest.raises(DomainError) as exc:
        consent_services.emergency_declare(name="x", legal_reference="x", purposes=["venue.entry"], starts_at=now,
                                           ends_at=now + dt.timedelta(days=1), declared_by=bureau["admin"])
    assert exc.value.code == "purpose_not_emergency"
