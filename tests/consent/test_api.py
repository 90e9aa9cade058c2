"""The consent API: the citizen's side (bearer token) and the data bureau's (API key with consent.admin)."""

import pytest

from apps.consent import export, services
from apps.consent.models import AccessGrant, CatalogueProposal
from apps.identity import services as identity_services
from apps.identity.models import Organization
from tests.conftest import valid_id_number
from tests.consent.conftest import later

pytestmark = pytest.mark.django_db


@pytest.fixture
def bureau_api(api, bureau_admin):
    bureau = Organization.objects.get(slug="data-bureau")
    _client, key = identity_services.api_client_create(organization=bureau, name="bureau-system",
                                                       scopes=["consent.admin"], holder=bureau_admin)
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return api


def test_purposes_are_listed_with_their_bound(citizen_api):
    response = citizen_api.get("/api/v1/purposes")
    assert response.status_code == 200
    venue = next(p for p in response.json() if p["code"] == "venue.entry")
    assert [c["code"] for c in venue["categories"]] == ["identity.adult", "identity.name"]
    assert venue["legal_basis"] == "consent" and venue["retention_days"] == 30


def test_a_citizen_gives_withdraws_and_downloads_a_receipt(citizen_api, library, grant):
    grant(library, "venue.entry")
    # When the citizen consents through the API
    response = citizen_api.post("/api/v1/me/consents", {"purpose": "venue.entry", "categories": ["identity.adult"],
                                                        "organization": "city-library"}, format="json")
    assert response.status_code == 201, response.json()
    consent_id = response.json()["id"]
    assert response.json()["status"] == "active"
    # Then the library may read, and the citizen sees it in the access log
    services.disclose(organization=library, purpose="venue.entry", citizen=citizen_api.citizen)
    log = citizen_api.get("/api/v1/me/access-log").json()
    assert log[0]["organization"] == "city-library" and log[0]["outcome"] == "allowed"
    assert log[0]["categories"] == ["identity.adult"] and log[0]["basis"] == "consent"
    assert log[0]["purpose"] == "venue.entry" and log[0]["actor"]["kind"] == "organization"
    # And the receipt verifies
    receipt = citizen_api.get(f"/api/v1/me/consents/{consent_id}/receipt").json()
    assert receipt["payload"]["consent_id"] == consent_id and receipt["receipt"].count(".") == 2
    # When they withdraw, Then the next disclosure is denied
    response = citizen_api.post(f"/api/v1/me/consents/{consent_id}/withdraw")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    with pytest.raises(services.DisclosureDenied):
        services.disclose(organization=library, purpose="venue.entry", citizen=citizen_api.citizen)
    assert citizen_api.get("/api/v1/me/access-log").json()[0]["reason"] == "consent_withdrawn"
    assert [c["status"] for c in citizen_api.get("/api/v1/me/consents").json()] == ["withdrawn"]


def test_bad_consent_requests_get_machine_readable_errors(citizen_api, make_citizen):
    def give(**body):
        return citizen_api.post("/api/v1/me/consents", body, format="json")

    r = give(purpose="medical.registration", categories=["identity.name", "medical.visits"], sensitive_confirmed=True)
    assert (r.status_code, r.json()["error"]["code"]) == (400, "sensitive_bundled")
    r = give(purpose="medical.registration", categories=["medical.visits"])
    assert (r.status_code, r.json()["error"]["code"]) == (400, "sensitive_needs_explicit_consent")
    r = give(purpose="no.such", categories=["identity.name"])
    assert (r.status_code, r.json()["error"]["code"]) == (404, "unknown_purpose")
    r = give(purpose="venue.entry", categories=[])
    assert (r.status_code, r.json()["error"]["code"]) == (400, "validation_error")
    r = give(purpose="venue.entry", categories=["identity.adult"], organization="nowhere")
    assert (r.status_code, r.json()["error"]["code"]) == (404, "unknown_organization")
    r = give(purpose="venue.entry", categories=["identity.adult"], expires_at="2001-01-01T00:00:00Z")
    assert (r.status_code, r.json()["error"]["fields"]["expires_at"][0]["code"]) == (400, "invalid_expiry")
    other = make_citizen()
    theirs = services.consent_give(citizen=other, purpose="venue.entry", categories=["identity.adult"])
    assert citizen_api.post(f"/api/v1/me/consents/{theirs.pk}/withdraw").status_code == 404
    assert citizen_api.get(f"/api/v1/me/consents/{theirs.pk}/receipt").status_code == 404
    r = give(purpose="venue.entry", categories=["identity.adult"], on_behalf_of=other.pk)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "not_a_representative")


def test_the_export_holds_everything_and_takes_extensions(citizen_api, library, grant):
    grant(library, "venue.entry")
    services.consent_give(citizen=citizen_api.citizen, purpose="venue.entry", categories=["identity.adult"])
    services.disclose(organization=library, purpose="venue.entry", citizen=citizen_api.citizen)
    export.register_export_section("test_extra", lambda citizen: {"username": citizen.username})
    try:
        with pytest.raises(ValueError):
            export.register_export_section("test_extra", lambda citizen: {})
        data = citizen_api.get("/api/v1/me/export").json()
    finally:
        export.unregister_export_section("test_extra")
    assert data["profile"]["id_masked"] == citizen_api.citizen.id_masked
    assert "id_hash" not in data["profile"] and "id_number" not in str(data)
    assert data["consents"][0]["purpose"] == "venue.entry"
    assert data["access_log"][0]["outcome"] == "allowed"
    assert data["test_extra"] == {"username": citizen_api.citizen.username}


def test_the_data_bureau_manages_purposes_grants_and_emergencies(bureau_api, library, alice, second_admin):
    # categories and purposes
    r = bureau_api.post("/api/v1/consent/categories", {"code": "talent.level", "label_zh": "人才层次",
                                                       "label_en": "Talent level", "sensitive": False}, format="json")
    assert r.status_code == 201, r.json()
    r = bureau_api.post("/api/v1/consent/purposes", {
        "code": "talent.housing", "label_zh": "人才住房", "label_en": "Talent housing",
        "categories": ["identity.name", "talent.level"], "retention_days": 365}, format="json")
    assert r.status_code == 201 and r.json()["text_version"] == 1
    r = bureau_api.post("/api/v1/consent/purposes", {
        "code": "transit.peek", "label_zh": "x", "label_en": "x", "categories": ["health.colour"],
        "retention_days": 1}, format="json")
    assert (r.status_code, r.json()["error"]["fields"]["categories"][0]["code"]) == (400, "epidemic_only_category")
    # grants
    r = bureau_api.post("/api/v1/consent/grants", {"organization": "city-library", "purpose": "venue.entry",
                                                   "valid_until": later(days=30).isoformat()}, format="json")
    assert r.status_code == 201 and r.json()["status"] == "active"
    grant_id = r.json()["id"]
    assert AccessGrant.objects.get(pk=grant_id).approved_by_label.startswith("api-client bureau-system")
    assert [g["id"] for g in bureau_api.get("/api/v1/consent/grants?organization=city-library").json()] == [grant_id]
    r = bureau_api.post(f"/api/v1/consent/grants/{grant_id}/revoke")
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    # emergencies
    services.purpose_upsert(code="health.contact_tracing", label_zh="流调", label_en="Contact tracing",
                            legal_basis="emergency", categories=["location.whereabouts"], retention_days=14)
    r = bureau_api.post("/api/v1/consent/emergencies", {
        "name": "Outbreak", "legal_reference": "ref", "purposes": ["health.contact_tracing"],
        "starts_at": later(hours=-1).isoformat(), "ends_at": later(days=3).isoformat()}, format="json")
    assert r.status_code == 202 and r.json()["kind"] == "emergency", r.json()
    proposal = services.proposal_approve(proposal=CatalogueProposal.objects.get(pk=r.json()["id"]),
                                         approved_by=second_admin)
    r = bureau_api.post(f"/api/v1/consent/emergencies/{proposal.emergency_id}/end")
    assert r.status_code == 200


def test_the_bureau_registers_a_guardian_by_id_numbers(bureau_api, make_citizen):
    parent = make_citizen(username="parent", id_number=valid_id_number(birth="19800101", sequence="111"))
    child = make_citizen(username="kid", birth="20180101", id_number=valid_id_number(birth="20180101",
                                                                                     sequence="222"))
    r = bureau_api.post("/api/v1/consent/representations", {
        "representative_id_number": valid_id_number(birth="19800101", sequence="111"),
        "represented_id_number": valid_id_number(birth="20180101", sequence="222"),
        "kind": "guardian", "valid_until": later(days=365).isoformat(), "purposes": ["venue.entry"]}, format="json")
    assert r.status_code == 201, r.json()
    _token, plain = identity_services.auth_token_issue(user=parent)
    bureau_api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    r = bureau_api.post("/api/v1/me/consents", {"purpose": "venue.entry", "categories": ["identity.adult"],
                                                "on_behalf_of": child.pk}, format="json")
    assert r.status_code == 201 and r.json()["given_by"] == "parent acting for kid"


def test_admin_endpoints_need_the_scope(api, citizen_api, library):
    _client, key = identity_services.api_client_create(organization=library, name="gate", scopes=["codes.scan"])
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert api.post("/api/v1/consent/grants", {"organization": "city-library", "purpose": "venue.entry"},
                    format="json").status_code == 403
    assert citizen_api.get("/api/v1/consent/grants").status_code == 403
    assert api.get("/api/v1/me/consents").status_code == 403


def test_a_non_department_key_with_the_admin_scope_cannot_manage_grants(api, make_org):
    # Given a venue whose API key was (wrongly) created with the consent.admin scope
    venue = make_org("rogue-venue", kind=Organization.Kind.VENUE)
    _client, key = identity_services.api_client_create(organization=venue, name="gate", scopes=["consent.admin"])
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    # When it tries to grant itself a purpose
    response = api.post("/api/v1/consent/grants", {"organization": "rogue-venue", "purpose": "venue.entry"},
                        format="json")
    # Then it is refused: only a city department's key may manage grants
    assert response.status_code == 403
    assert response.json()["error"]["code"] in {"permission_denied", "not_data_bureau"}
