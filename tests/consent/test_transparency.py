"""The public catalogue and the monthly transparency report (issue 12, item 4): anyone can see what the city
holds, for what, and who may read it; the monthly counts are aggregated and hide small numbers."""

import contextlib
import datetime as dt

import pytest
from django.utils import timezone

from apps.codes.plugin_api import TransparencyFigure, registry
from apps.consent import services
from apps.consent.models import AccessLog
from tests.consent.conftest import later

pytestmark = pytest.mark.django_db


def this_month() -> str:
    today = timezone.localdate()
    return f"{today.year:04d}-{today.month:02d}"


def scans(*, organization, citizens, purpose="venue.entry"):
    """Each citizen is scanned once through the real gate; refusals are logged as denials."""
    for citizen in citizens:
        with contextlib.suppress(services.DisclosureDenied):
            services.disclose(organization=organization, purpose=purpose, citizen=citizen, categories=None)


def test_the_catalogue_shows_each_purpose_its_basis_and_who_may_read_it_to_anyone(api, library, grant):
    grant(library, "venue.entry")
    # When anyone, signed in or not, asks for the catalogue
    body = api.get("/api/v1/catalogue").json()
    venue = next(p for p in body["purposes"] if p["code"] == "venue.entry")
    # Then the purpose names its legal basis, its data and the library that holds a grant
    assert venue["legal_basis"] == "consent"
    assert venue["categories"] == ["identity.adult", "identity.name"]
    assert [g["organization"] for g in venue["grants"]] == ["city-library"]
    # And the code types and the data categories are there, the health colour marked epidemic-only
    assert {"city", "talent"} <= {t["key"] for t in body["code_types"]}
    colour = next(c for c in body["categories"] if c["code"] == "health.colour")
    assert colour["sensitive"] and colour["epidemic_only"]


def test_a_revoked_grant_leaves_the_catalogue(api, library, grant, bureau_admin):
    made = grant(library, "venue.entry")
    services.access_grant_revoke(grant=made, revoked_by=bureau_admin)
    venue = next(p for p in api.get("/api/v1/catalogue").json()["purposes"] if p["code"] == "venue.entry")
    assert venue["grants"] == []


def test_the_report_counts_disclosures_and_denials_and_hides_small_counts(api, library, grant, make_citizen):
    grant(library, "venue.entry")
    consenting = [make_citizen() for _ in range(6)]
    for citizen in consenting:
        services.consent_give(citizen=citizen, purpose="venue.entry", categories=["identity.adult"],
                              organization=library)
    refused = [make_citizen() for _ in range(2)]
    # Given six disclosures and two refusals this month
    scans(organization=library, citizens=consenting + refused)
    # When anyone reads this month's report
    r = api.get(f"/api/v1/transparency/{this_month()}")
    assert r.status_code == 200
    row = next(x for x in r.json()["rows"] if x["organization"] == "city-library")
    # Then the six are counted, the two refusals are hidden (fewer than 5), the untouched bases read 0
    assert row["purpose"] == "venue.entry"
    assert row["disclosed_consent"] == {"count": 6, "suppressed": False}
    assert row["denied"] == {"count": None, "suppressed": True}
    assert row["disclosed_statutory"] == {"count": 0, "suppressed": False}
    # And no number in the report gives the two away (no totals over suppressed cells)
    assert 2 not in [cell.get("count") for x in r.json()["rows"] for cell in x.values() if isinstance(cell, dict)]


def test_rows_of_another_month_are_not_counted(api, library, grant, make_citizen):
    grant(library, "venue.entry")
    citizens = [make_citizen() for _ in range(5)]
    for citizen in citizens:
        services.consent_give(citizen=citizen, purpose="venue.entry", categories=["identity.adult"],
                              organization=library)
    scans(organization=library, citizens=citizens)
    # Given the rows were made last month (moved back; the log is append-only on PostgreSQL)
    from tests.consent.conftest import as_database_superuser

    with as_database_superuser():
        AccessLog.objects.update(created_at=timezone.now() - dt.timedelta(days=40))
    assert api.get(f"/api/v1/transparency/{this_month()}").json()["rows"] == []


@pytest.mark.parametrize("month", ["2026-13", "26-11", "next", "2999-01"])
def test_a_month_that_is_not_one_or_has_not_begun_has_no_report(api, month):
    r = api.get(f"/api/v1/transparency/{month}")
    assert (r.status_code, r.json()["error"]["code"]) == (404, "unknown_month")


def test_an_emergency_in_force_during_the_month_is_listed(api, bureau_admin):
    services.purpose_upsert(code="health.contact_tracing", label_zh="流调", label_en="Contact tracing",
                            legal_basis="emergency", categories=["location.whereabouts"], retention_days=14)
    services.emergency_declare(name="Outbreak", legal_reference="《突发事件应对法》",
                               purposes=["health.contact_tracing"], starts_at=later(hours=-2),
                               ends_at=later(days=2), declared_by=bureau_admin)
    report = api.get(f"/api/v1/transparency/{this_month()}").json()
    assert [e["name"] for e in report["emergencies"]] == ["Outbreak"]
    assert [e["name"] for e in api.get("/api/v1/catalogue").json()["emergencies_in_force"]] == ["Outbreak"]


def test_a_code_type_s_own_figures_are_reported_and_small_ones_hidden(api, monkeypatch):
    talent = registry.get("talent")
    monkeypatch.setattr(talent, "transparency", lambda *, start, end: [
        TransparencyFigure("人工变更", "Manual changes", 3), TransparencyFigure("申诉", "Appeals", 12)])
    figures = api.get(f"/api/v1/transparency/{this_month()}").json()["code_type_figures"]
    assert [(f["label_en"], f["count"], f["suppressed"]) for f in figures] == [
        ("Manual changes", None, True), ("Appeals", 12, False)]


@pytest.mark.parametrize(("language", "title"), [("en", "Transparency report"), ("zh-hans", "透明度报告")])
def test_the_pages_are_public_and_in_both_languages(client, library, grant, language, title):
    grant(library, "venue.entry")
    client.cookies["django_language"] = language
    page = client.get("/transparency/", HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200 and title in page.content.decode()
    catalogue = client.get("/catalogue/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert 'data-code="venue.entry"' in catalogue and 'data-org="city-library"' in catalogue
