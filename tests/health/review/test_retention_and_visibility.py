"""Health evidence falls under retention once no emergency needs it; alerts are for the commission and the data
bureau only; the pages answer a stranger with 403 and a citizen only with their own data."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.consent import services as consent_services
from apps.health import models, review_services, services, tasks
from tests.health.review.conftest import log_in_page, signed_in

pytestmark = pytest.mark.django_db


def _evidence(citizen, *, age_days):
    """A declaration and a test result recorded `age_days` ago."""
    at = timezone.now() - dt.timedelta(days=age_days)
    day = timezone.localdate(at)
    models.Declaration.objects.create(citizen=citizen, date=day, fever=False, symptoms=[], created_at=at)
    models.TestResult.objects.create(citizen=citizen, method="pcr", result="negative", sampled_on=day, created_at=at)


def test_outside_an_emergency_old_evidence_is_deleted_and_recent_evidence_kept(citizen, settings):
    settings.CITYCODE_HEALTH_EVIDENCE_RETENTION_DAYS = 30
    # given evidence from 40 days ago and from yesterday, and no emergency
    _evidence(citizen, age_days=40)
    _evidence(citizen, age_days=1)
    # when the retention task runs
    deleted = tasks.evidence_retention()
    # then only the old evidence is gone; running it again deletes nothing more
    assert deleted["Declaration"] == 1 and deleted["TestResult"] == 1
    assert models.Declaration.objects.filter(citizen=citizen).count() == 1
    assert models.TestResult.objects.filter(citizen=citizen).count() == 1
    assert tasks.evidence_retention()["Declaration"] == 0


def test_during_an_emergency_nothing_is_deleted_and_after_it_ends_the_retention_applies(citizen, emergency):
    _evidence(citizen, age_days=40)
    # while the emergency lasts, evidence is kept whatever its age
    assert review_services.evidence_apply_retention() == {}
    assert models.Declaration.objects.filter(citizen=citizen).count() == 1
    # when the emergency ends, the retention applies
    consent_services.emergency_end(emergency=emergency)
    assert review_services.evidence_apply_retention(now=timezone.now() + dt.timedelta(seconds=1))["Declaration"] == 1
    assert not models.Declaration.objects.filter(citizen=citizen).exists()


def test_only_the_commission_and_the_bureau_see_alerts(api, officer, bureau, citizen):
    models.Alert.objects.create(kind="venue_reds", subject="V-1", count=30, threshold=20)
    assert signed_in(api, officer).get("/api/v1/health/review/alerts").status_code == 200
    bureau_view = signed_in(api, bureau["admin"]).get("/api/v1/health/review/alerts")
    assert bureau_view.status_code == 200 and bureau_view.json()[0]["subject"] == "V-1"
    refused = signed_in(api, citizen).get("/api/v1/health/review/alerts")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_reviewer"
    # the bureau sees alerts, but cannot review colour changes or appeals
    assert signed_in(api, bureau["admin"]).get("/api/v1/health/review/manual-changes").status_code == 403
    assert signed_in(api, bureau["admin"]).get("/api/v1/health/review/appeals").status_code == 403


def test_an_api_key_cannot_act_as_an_officer_and_a_person_cannot_fetch_the_verifier_package(api, officer, checkpoint):
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {checkpoint['key']}")
    assert api.get("/api/v1/health/review/manual-changes").status_code in (401, 403)
    assert signed_in(api, officer).get("/api/v1/health/verifier-package").status_code in (401, 403)


def test_the_pages_a_citizen_and_a_stranger_see(client, citizen, officer, bureau, emergency):
    services.colour_set(citizen=citizen, to_colour="yellow", cause="manual", reason_code="medium_risk_area",
                        legal_reference="《传染病防治法》", decided_by=officer)
    log_in_page(client, citizen)
    page = client.get("/health/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-colour="yellow"' in html and "《传染病防治法》" in html
    # the citizen cannot open the review queue; the bureau sees it (alerts only, no request form)
    assert client.get("/health/review/").status_code == 403
    client.logout()
    log_in_page(client, bureau["admin"])
    queue = client.get("/health/review/").content.decode()
    assert 'data-testid="alerts"' in queue and 'data-testid="manual-form"' not in queue


def test_the_declaration_form_records_today_s_declaration(client, citizen, emergency):
    log_in_page(client, citizen)
    response = client.post("/health/declare", {"date": timezone.localdate().isoformat(), "fever": "yes",
                                                "symptoms": ["cough"]})
    assert response.status_code == 302
    declaration = models.Declaration.objects.get(citizen=citizen)
    assert declaration.fever and declaration.symptoms == ["cough"]
    # a second one for the same day is refused with a message, nothing written
    client.post("/health/declare", {"date": timezone.localdate().isoformat()})
    assert models.Declaration.objects.filter(citizen=citizen).count() == 1
    # and a malformed day is a message too, never a 500
    assert client.post("/health/declare", {"date": "yesterday-ish"}).status_code == 302
