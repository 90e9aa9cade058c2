"""The two-person rule: no single data-bureau administrator (person or API key) can bend the catalogue.

Finding 6 of the core review: one consent.admin key freed the health colour, bound it to venue entry, made
venue entry statutory and granted epidemic control to a library, with no second person and no notice.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.consent import services
from apps.consent.models import AccessGrant, CatalogueProposal, DataCategory, Purpose
from apps.identity import services as identity_services
from apps.identity.models import Organization
from citycode.errors import Conflict, Forbidden

pytestmark = pytest.mark.django_db


def admin_key(name: str, holder=None) -> str:
    bureau = Organization.objects.get(slug="data-bureau")
    _client, key = identity_services.api_client_create(organization=bureau, name=name, scopes=["consent.admin"],
                                                       holder=holder)
    return key


def key_api(key: str):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def first_key(api, bureau_admin):
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {admin_key('bureau-one', holder=bureau_admin)}")
    return api


@pytest.fixture
def second_key(second_admin):
    return key_api(admin_key("bureau-two", holder=second_admin))


VENUE = {"code": "venue.entry", "label_zh": "场馆入场", "label_en": "Venue entry",
         "description_zh": "场馆核验入场资格（如是否成年）。",
         "description_en": "A venue checks admission (for example, being an adult).",
         "categories": ["identity.adult", "identity.name"], "retention_days": 30}


def test_one_key_alone_cannot_free_the_health_colour(first_key):
    # When a bureau key asks to drop epidemic_only from the health colour
    r = first_key.post("/api/v1/consent/categories", {"code": "health.colour", "label_zh": "健康码颜色",
                       "label_en": "Health code colour", "sensitive": True, "epidemic_only": False}, format="json")
    # Then it is refused as an invariant, and no proposal exists that anyone could approve
    assert (r.status_code, r.json()["error"]["fields"]["epidemic_only"][0]["code"]) == (400, "epidemic_only_invariant")
    assert not CatalogueProposal.objects.exists()
    assert DataCategory.objects.get(code="health.colour").epidemic_only


def test_the_health_colour_is_epidemic_only_even_below_the_services():
    # A write that bypasses every service still cannot free it
    with pytest.raises(IntegrityError), transaction.atomic():
        DataCategory.objects.filter(code="health.colour").update(epidemic_only=False, sensitive=True)


def test_the_health_colour_can_never_be_bound_to_venue_entry(first_key):
    # When a bureau key proposes to add the colour to venue entry
    r = first_key.post("/api/v1/consent/purposes", {**VENUE, "categories": ["identity.adult", "health.colour"]},
                       format="json")
    # Then it is refused outright: not even a proposal
    assert (r.status_code, r.json()["error"]["fields"]["categories"][0]["code"]) == (400, "epidemic_only_category")
    assert not CatalogueProposal.objects.exists()


def test_a_purpose_change_is_only_a_proposal_until_a_second_key_approves(first_key, second_key, library, grant,
                                                                         alice):
    grant(library, "venue.entry")
    # When one key switches venue entry to statutory
    r = first_key.post("/api/v1/consent/purposes", {**VENUE, "legal_basis": "statutory",
                                                    "legal_reference": "某条例 第五条"}, format="json")
    # Then it is a pending proposal, and the purpose is unchanged: the library still needs alice's consent
    assert r.status_code == 202 and r.json()["state"] == "pending", r.json()
    proposal_id = r.json()["id"]
    assert Purpose.objects.get(code="venue.entry").legal_basis == "consent"
    with pytest.raises(services.DisclosureDenied) as exc:
        services.disclose(organization=library, purpose="venue.entry", citizen=alice)
    assert exc.value.reason == "no_consent"
    # And the same key cannot approve its own proposal
    r = first_key.post(f"/api/v1/consent/proposals/{proposal_id}/approve")
    assert (r.status_code, r.json()["error"]["code"]) == (403, "own_proposal")
    assert Purpose.objects.get(code="venue.entry").legal_basis == "consent"
    # When a second key approves, Then it applies, and the trail names both
    r = second_key.post(f"/api/v1/consent/proposals/{proposal_id}/approve")
    assert r.status_code == 200 and r.json()["state"] == "approved"
    assert Purpose.objects.get(code="venue.entry").legal_basis == "statutory"
    listed = second_key.get("/api/v1/consent/proposals?state=approved").json()
    assert [(p["id"], p["proposed_by"], p["decided_by"], p["legal_reference"]) for p in listed] == [
        (proposal_id, "api-client bureau-one of data-bureau", "api-client bureau-two of data-bureau", "某条例 第五条")]
    # And a decided proposal cannot be decided again
    r = first_key.post(f"/api/v1/consent/proposals/{proposal_id}/reject")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "proposal_decided")


def test_making_a_purpose_statutory_does_not_turn_its_consent_grants_into_free_reads(
        bureau_admin, second_admin, library, grant, make_citizen):
    # Given the library's grant for venue entry (a consent purpose), and bob, who never consented
    grant(library, "venue.entry")
    bob = make_citizen(username="bob")
    # When two administrators switch venue entry to a statutory basis
    proposal = services.purpose_change_propose(**VENUE, legal_basis="statutory", legal_reference="某条例 第五条",
                                               proposed_by=bureau_admin)
    services.proposal_approve(proposal=proposal, approved_by=second_admin)
    # Then the grant made for a consent purpose no longer reads: the library gets nothing of bob's
    with pytest.raises(services.DisclosureDenied) as exc:
        services.disclose(organization=library, purpose="venue.entry", citizen=bob)
    assert exc.value.reason == "grant_revoked"
    # Until a statutory grant is proposed and approved in its own right
    grant(library, "venue.entry")
    assert services.disclose(organization=library, purpose="venue.entry", citizen=bob).basis == "statutory"


def test_a_statutory_basis_needs_a_legal_reference(first_key, library):
    r = first_key.post("/api/v1/consent/purposes", {**VENUE, "legal_basis": "statutory"}, format="json")
    assert (r.status_code, r.json()["error"]["fields"]["legal_reference"][0]["code"]) == (
        400, "legal_reference_required")
    r = first_key.post("/api/v1/consent/grants", {"organization": "city-library",
                                                  "purpose": "health.epidemic_control"}, format="json")
    assert (r.status_code, r.json()["error"]["fields"]["legal_reference"][0]["code"]) == (
        400, "legal_reference_required")
    assert not CatalogueProposal.objects.exists()


def test_granting_epidemic_control_to_a_library_takes_two_people(first_key, second_key, library):
    # When one key grants epidemic control to the library
    r = first_key.post("/api/v1/consent/grants", {"organization": "city-library", "purpose": "health.epidemic_control",
                                                  "legal_reference": "传染病防治法 第十二条"}, format="json")
    # Then no grant exists yet: only a proposal
    assert r.status_code == 202 and r.json()["kind"] == "grant" and r.json()["organization"] == "city-library"
    assert not AccessGrant.objects.filter(organization=library).exists()
    # When the second key rejects it, Then there is still no grant
    r = second_key.post(f"/api/v1/consent/proposals/{r.json()['id']}/reject")
    assert r.status_code == 200 and r.json()["state"] == "rejected"
    assert not AccessGrant.objects.filter(organization=library).exists()


def test_a_grant_of_a_sensitive_purpose_is_approved_by_a_second_person(bureau_admin, second_admin, hospital):
    # Given the hospital purpose, which may read medical visits (sensitive)
    with pytest.raises(Forbidden) as exc:
        services.access_grant_create(organization=hospital, purpose="medical.registration", approved_by=bureau_admin)
    assert exc.value.code == "proposal_required"
    proposal = services.access_grant_propose(organization=hospital, purpose="medical.registration",
                                             proposed_by=bureau_admin)
    with pytest.raises(Forbidden) as exc:
        services.proposal_approve(proposal=proposal, approved_by=bureau_admin)
    assert exc.value.code == "own_proposal"
    approved = services.proposal_approve(proposal=proposal, approved_by=second_admin)
    assert approved.grant.status_at(approved.decided_at) == "active"
    assert approved.grant.approved_by_label == "bureau-admin-2, proposed by bureau-admin"


def test_only_the_bureau_proposes_or_approves(bureau_admin, make_citizen, library):
    outsider = make_citizen(username="outsider")
    with pytest.raises(Forbidden) as exc:
        services.access_grant_propose(organization=library, purpose="medical.registration", proposed_by=outsider)
    assert exc.value.code == "not_data_bureau"
    proposal = services.access_grant_propose(organization=library, purpose="medical.registration",
                                             proposed_by=bureau_admin)
    with pytest.raises(Forbidden) as exc:
        services.proposal_approve(proposal=proposal, approved_by=outsider)
    assert exc.value.code == "not_data_bureau"
    assert CatalogueProposal.objects.get(pk=proposal.pk).state == "pending"


def test_the_database_refuses_a_proposal_decided_by_its_proposer(bureau_admin):
    proposal = services.access_grant_propose(organization=Organization.objects.get(slug="data-bureau"),
                                             purpose="medical.registration", proposed_by=bureau_admin)
    with pytest.raises(IntegrityError), transaction.atomic():
        CatalogueProposal.objects.filter(pk=proposal.pk).update(
            state="approved", decided_by_user=bureau_admin, decided_at=proposal.created_at)


def test_a_stale_proposal_is_not_applied(bureau_admin, second_admin):
    # Given two proposals written against the same text version
    first = services.purpose_change_propose(**{**VENUE, "label_en": "Venue admission"}, proposed_by=bureau_admin)
    second = services.purpose_change_propose(**{**VENUE, "label_en": "Entry"}, proposed_by=bureau_admin)
    services.proposal_approve(proposal=first, approved_by=second_admin)
    # When the second is approved after the first changed the purpose, Then it is refused, not silently applied
    with pytest.raises(Conflict) as exc:
        services.proposal_approve(proposal=second, approved_by=second_admin)
    assert exc.value.code == "proposal_stale"
    assert Purpose.objects.get(code="venue.entry").label_en == "Venue admission"


def test_a_proposal_that_changes_nothing_is_refused(bureau_admin):
    with pytest.raises(Conflict) as exc:
        services.purpose_change_propose(**VENUE, proposed_by=bureau_admin)
    assert exc.value.code == "no_change"


def test_an_epidemic_purpose_cannot_drop_its_flag_while_it_carries_the_colour(bureau_admin):
    with pytest.raises(ValidationError) as exc:
        services.purpose_change_propose(
            code="health.epidemic_control", label_zh="疫情防控", label_en="Epidemic control",
            legal_basis="statutory", legal_reference="ref", retention_days=30, epidemic_control=False,
            categories=["health.colour", "identity.name", "identity.id_masked"], proposed_by=bureau_admin)
    assert exc.value.error_dict["categories"][0].code == "epidemic_only_category"


def test_proposals_need_the_admin_scope(api, library):
    _client, key = identity_services.api_client_create(organization=library, name="gate", scopes=["codes.scan"])
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert api.get("/api/v1/consent/proposals").status_code == 403
    assert api.post("/api/v1/consent/proposals/1/approve").status_code == 403


def test_making_a_category_sensitive_through_the_api_takes_two_keys(first_key, second_key):
    body = {"code": "identity.phone", "label_zh": "手机号", "label_en": "Phone number", "sensitive": True}
    r = first_key.post("/api/v1/consent/categories", body, format="json")
    assert r.status_code == 202 and r.json()["kind"] == "category_change"
    assert not DataCategory.objects.get(code="identity.phone").sensitive
    assert second_key.post(f"/api/v1/consent/proposals/{r.json()['id']}/approve").status_code == 200
    assert DataCategory.objects.get(code="identity.phone").sensitive


# -- The rule is about people: two keys, or a key and a log-in, of one administrator are one person ------------


def test_one_administrator_with_two_keys_cannot_approve_their_own_change(first_key, bureau_admin, library, grant):
    grant(library, "venue.entry")
    # Given bureau-admin proposes with one key
    r = first_key.post("/api/v1/consent/purposes", {**VENUE, "legal_basis": "statutory",
                                                    "legal_reference": "某条例 第五条"}, format="json")
    proposal = r.json()["id"]
    # When the same person approves with a second key of their own
    own_second_key = key_api(admin_key("bureau-admin-spare", holder=bureau_admin))
    r = own_second_key.post(f"/api/v1/consent/proposals/{proposal}/approve")
    # Then it is refused as their own proposal, and venue entry still needs consent
    assert (r.status_code, r.json()["error"]["code"]) == (403, "own_proposal")
    assert Purpose.objects.get(code="venue.entry").legal_basis == "consent"
    assert CatalogueProposal.objects.get(pk=proposal).state == "pending"


def test_an_administrator_cannot_approve_by_log_in_what_their_key_proposed(first_key, bureau_admin):
    r = first_key.post("/api/v1/consent/purposes", {**VENUE, "retention_days": 90}, format="json")
    proposal = CatalogueProposal.objects.get(pk=r.json()["id"])
    with pytest.raises(Forbidden) as refused:
        services.proposal_approve(proposal=proposal, approved_by=bureau_admin)
    assert refused.value.code == "own_proposal"
    assert Purpose.objects.get(code="venue.entry").retention_days == 30


def test_a_key_without_a_holder_proposes_nothing(bureau_admin):
    # Given a bureau key nobody answers for
    anonymous = key_api(admin_key("bureau-batch"))
    # When it proposes a change, then it is refused and nothing is pending
    r = anonymous.post("/api/v1/consent/purposes", {**VENUE, "retention_days": 90}, format="json")
    assert (r.status_code, r.json()["error"]["code"]) == (403, "key_without_holder")
    assert not CatalogueProposal.objects.exists()


def test_a_key_whose_holder_left_the_bureau_decides_nothing(first_key, second_admin):
    r = first_key.post("/api/v1/consent/purposes", {**VENUE, "retention_days": 90}, format="json")
    proposal = r.json()["id"]
    # Given the second administrator's key, and then they leave the bureau
    leaver_key = key_api(admin_key("bureau-leaver", holder=second_admin))
    identity_services.membership_remove(user=second_admin, organization=Organization.objects.get(slug="data-bureau"))
    # When the key approves, then it is refused and the proposal stays pending
    r = leaver_key.post(f"/api/v1/consent/proposals/{proposal}/approve")
    assert (r.status_code, r.json()["error"]["code"]) == (403, "key_without_holder")
    assert CatalogueProposal.objects.get(pk=proposal).state == "pending"


def test_the_database_refuses_a_decision_by_the_proposing_person(bureau_admin, second_admin):
    proposal = services.purpose_change_propose(**{**VENUE, "retention_days": 90}, proposed_by=bureau_admin)
    CatalogueProposal.objects.filter(pk=proposal.pk).update(proposed_by_user=second_admin)  # the user field alone
    with pytest.raises(IntegrityError), transaction.atomic():
        CatalogueProposal.objects.filter(pk=proposal.pk).update(
            state="approved", decided_at=proposal.created_at, decided_by_user=None, decided_by_person=bureau_admin)


def test_the_holder_s_export_shows_the_key_and_what_was_proposed_with_it(first_key, bureau_admin):
    from apps.consent.export import export_for

    first_key.post("/api/v1/consent/purposes", {**VENUE, "retention_days": 90}, format="json")
    export = export_for(citizen=bureau_admin)
    assert [k["name"] for k in export["api_keys_held"]] == ["bureau-one"]
    assert [(p["target"], p["role"]) for p in export["catalogue_proposals"]] == [("venue.entry", "proposed")]


# -- An emergency lifts consent for its purposes: one administrator alone cannot declare one -----------------------


@pytest.fixture
def contact_tracing(db):
    return services.purpose_upsert(code="health.contact_tracing", label_zh="流调", label_en="Contact tracing",
                                   legal_basis="emergency", categories=["location.whereabouts"], retention_days=14)


def _outbreak(**overrides):
    from tests.consent.conftest import later

    return {"name": "Outbreak", "legal_reference": "《突发事件应对法》第四十九条",
            "purposes": ["health.contact_tracing"],
            "starts_at": later(hours=-1).isoformat(), "ends_at": later(days=3).isoformat(), **overrides}


def test_one_key_alone_only_proposes_an_emergency(first_key, second_admin, contact_tracing):
    from apps.consent.models import Emergency

    # When one administrator's key declares an emergency
    r = first_key.post("/api/v1/consent/emergencies", _outbreak(), format="json")
    # Then it is a pending proposal and no emergency is in force
    assert (r.status_code, r.json()["kind"], r.json()["state"]) == (202, "emergency", "pending")
    assert not Emergency.objects.exists()
    # And only a second person's approval declares it, naming both
    proposal = services.proposal_approve(proposal=CatalogueProposal.objects.get(pk=r.json()["id"]),
                                         approved_by=second_admin)
    emergency = Emergency.objects.get()
    assert proposal.emergency == emergency
    assert [p.code for p in emergency.purposes.all()] == ["health.contact_tracing"]
    assert emergency.declared_by_label == "bureau-admin-2, proposed by api-client bureau-one of data-bureau"


def test_the_proposer_cannot_declare_their_own_emergency(first_key, bureau_admin, contact_tracing):
    from apps.consent.models import Emergency

    r = first_key.post("/api/v1/consent/emergencies", _outbreak(), format="json")
    with pytest.raises(Forbidden) as refused:
        services.proposal_approve(proposal=CatalogueProposal.objects.get(pk=r.json()["id"]), approved_by=bureau_admin)
    assert refused.value.code == "own_proposal"
    assert not Emergency.objects.exists()


def test_an_emergency_proposal_is_checked_when_made(first_key, contact_tracing):
    # A purpose that does not rest on an emergency basis is refused at once; nothing is pending
    r = first_key.post("/api/v1/consent/emergencies", _outbreak(purposes=["venue.entry"]), format="json")
    assert (r.status_code, r.json()["error"]["code"]) == (400, "purpose_not_emergency")
    assert not CatalogueProposal.objects.exists()


def test_an_emergency_that_would_already_be_over_is_not_declared(first_key, second_admin, contact_tracing):
    from apps.consent.models import Emergency
    from tests.consent.conftest import later

    r = first_key.post("/api/v1/consent/emergencies", _outbreak(ends_at=later(days=3).isoformat()), format="json")
    proposal = CatalogueProposal.objects.get(pk=r.json()["id"])
    proposal.changes["ends_at"] = later(hours=-1).isoformat()  # approved too late: the period has passed
    proposal.save(update_fields=["changes"])
    with pytest.raises(Conflict) as refused:
        services.proposal_approve(proposal=proposal, approved_by=second_admin)
    assert refused.value.code == "proposal_stale"
    assert not Emergency.objects.exists()
