"""Holes found by the hostile review of issues 7 and 13: each test failed before its fix."""

import pytest

from apps.consent import services
from apps.identity import services as identity_services
from tests.consent.conftest import later

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(api):
    def sign_in(citizen):
        _token, plain = identity_services.auth_token_issue(user=citizen)
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
        return api

    return sign_in


@pytest.fixture
def bob(make_citizen):
    return make_citizen(username="bob", name="王博", birth="19850615")


@pytest.fixture
def grandpa(make_citizen):
    return make_citizen(username="grandpa", name="陈爷爷", birth="19480101")


@pytest.fixture
def scoped_carer(bob, grandpa):
    """bob is grandpa's carer for hospital registration only."""
    return services.representation_create(representative=bob, represented=grandpa, kind="carer",
                                          valid_until=later(days=30), purposes=["medical.registration"])


def test_a_scoped_carer_does_not_see_consents_outside_his_scope_in_the_api(signed_in, bob, grandpa, scoped_carer):
    # Given grandpa consented to venue.entry himself, a purpose bob's care does not cover
    services.consent_give(citizen=grandpa, purpose="venue.entry", categories=["identity.adult"])
    # When bob lists the people he acts for
    response = signed_in(bob).get("/api/v1/me/acting-for")
    # Then grandpa is there, but none of his consents outside medical.registration are shown to bob
    assert response.status_code == 200
    [person] = response.json()
    assert person["citizen_id"] == grandpa.pk
    assert person["consents"] == []


def test_a_scoped_carer_does_not_see_consents_outside_his_scope_on_the_page(client, bob, grandpa, scoped_carer):
    # Given grandpa's own venue.entry consent, outside bob's scope
    services.consent_give(citizen=grandpa, purpose="venue.entry", categories=["identity.adult"])
    client.force_login(bob)
    # When bob opens "people I act for"
    response = client.get("/consents/representation/", HTTP_ACCEPT_LANGUAGE="en")
    # Then the page names grandpa but never lists that consent
    assert response.status_code == 200
    assert [row["consent"] for row in response.context["people"][0]["consents"]] == []


def test_a_scoped_carer_cannot_tell_a_consent_outside_his_scope_from_one_that_does_not_exist(
        signed_in, bob, grandpa, scoped_carer):
    # Given grandpa's own venue.entry consent, outside bob's medical.registration care
    outside = services.consent_give(citizen=grandpa, purpose="venue.entry", categories=["identity.adult"])
    # When bob tries to withdraw it, and a consent id that does not exist
    api = signed_in(bob)
    refused = api.post(f"/api/v1/me/consents/{outside.pk}/withdraw")
    missing = api.post(f"/api/v1/me/consents/{outside.pk + 1000}/withdraw")
    # Then both answers are the same 404 (a 403 would confirm grandpa holds such a consent), and it stays live
    assert (refused.status_code, refused.json()) == (missing.status_code, missing.json())
    assert refused.status_code == 404
    outside.refresh_from_db()
    assert outside.withdrawn_at is None


@pytest.fixture
def carol(make_citizen):
    return make_citizen(username="carol", name="陈可乐", birth="20150901")  # a minor


def test_a_former_guardians_export_does_not_follow_what_happened_to_the_consent_after_him(
        signed_in, make_citizen, bob, carol):
    # Given bob gave venue.entry for carol while he was her guardian, and the bureau then ended his guardianship
    guardianship = services.representation_create(representative=bob, represented=carol, kind="guardian",
                                                  valid_until=later(days=365))
    consent = services.consent_give(citizen=carol, purpose="venue.entry", categories=["identity.adult"], actor=bob)
    services.representation_revoke(representation=guardianship)
    # And her new guardian withdrew it
    dave = make_citizen(username="dave-new-guardian", name="新监护人", birth="19800101")
    services.representation_create(representative=dave, represented=carol, kind="guardian",
                                   valid_until=later(days=365))
    services.consent_withdraw(consent=consent, actor=dave)
    # When bob downloads his export
    response = signed_in(bob).get("/api/v1/me/export")
    # Then it records what he did for carol, but never who acts for her now nor what became of the consent
    assert response.status_code == 200
    [given] = response.json()["representations"]["consents_given_for_others"]
    assert given["id"] == consent.pk and given["given_by"] == "bob acting for carol"
    assert "dave-new-guardian" not in response.content.decode()
    assert given.get("withdrawn_at") is None and given.get("status") in (None, "given")


def test_a_guardians_export_keeps_his_own_withdrawal_for_the_child(signed_in, bob, carol):
    # Given bob gave and then withdrew venue.entry for carol
    services.representation_create(representative=bob, represented=carol, kind="guardian",
                                   valid_until=later(days=365))
    consent = services.consent_give(citizen=carol, purpose="venue.entry", categories=["identity.adult"], actor=bob)
    services.consent_withdraw(consent=consent, actor=bob)
    # When he downloads his export
    [given] = signed_in(bob).get("/api/v1/me/export").json()["representations"]["consents_given_for_others"]
    # Then his own withdrawal is part of what he did
    assert given["withdrawn_by"] == "bob acting for carol" and given["withdrawn_at"] is not None


# -- a stale proposal must not undo a later approved change -----------------------------------------------------

VENUE = {"code": "venue.entry", "label_zh": "场馆入场", "label_en": "Venue entry",
         "description_zh": "场馆核验入场资格（如是否成年）。",
         "description_en": "A venue checks admission (for example, being an adult).",
         "categories": ["identity.adult", "identity.name"], "retention_days": 30}


def test_a_stale_label_proposal_does_not_make_a_category_ordinary_again(bureau_admin, second_admin):
    # Given a proposal to rename identity.name, written while it was an ordinary category
    from apps.consent.models import DataCategory
    from citycode.errors import Conflict

    rename = services.category_change_propose(code="identity.name", label_zh="姓名", label_en="Full name",
                                              sensitive=False, proposed_by=bureau_admin)
    # And a later proposal, approved first, that made it sensitive
    sensitive = services.category_change_propose(code="identity.name", label_zh="姓名", label_en="Name",
                                                 sensitive=True, proposed_by=bureau_admin)
    services.proposal_approve(proposal=sensitive, approved_by=second_admin)
    # When the second administrator approves the old rename
    with pytest.raises(Conflict) as exc:
        services.proposal_approve(proposal=rename, approved_by=second_admin)
    # Then it is refused as stale, and the category stays sensitive
    assert exc.value.code == "proposal_stale"
    assert DataCategory.objects.get(code="identity.name").sensitive is True


def test_a_stale_retention_proposal_does_not_undo_a_later_single_use_change(bureau_admin, second_admin):
    # Given a proposal to keep venue.entry's log rows longer, written while the purpose was repeatable
    from apps.consent.models import Purpose
    from citycode.errors import Conflict

    retention = services.purpose_change_propose(**{**VENUE, "retention_days": 3650}, proposed_by=bureau_admin)
    # And a later proposal, approved first, that made venue.entry single-use (no text change, same version)
    single = services.purpose_change_propose(**VENUE, single_use=True, proposed_by=bureau_admin)
    services.proposal_approve(proposal=single, approved_by=second_admin)
    # When the old retention proposal is approved
    with pytest.raises(Conflict) as exc:
        services.proposal_approve(proposal=retention, approved_by=second_admin)
    # Then it is refused as stale, and the purpose stays single-use with its retention
    assert exc.value.code == "proposal_stale"
    purpose = Purpose.objects.get(code="venue.entry")
    assert purpose.single_use is True and purpose.retention_days == 30


# -- a guardianship ends in practice when the child turns 14 --------------------------------------------------


@pytest.fixture
def grown_up_carol(bob, carol):
    """bob became carol's guardian while she was 11; she has since turned 14 (her birthday passed)."""
    import datetime as dt

    from apps.identity.models import Citizen

    guardianship = services.representation_create(representative=bob, represented=carol, kind="guardian",
                                                  valid_until=later(days=3650))
    today = dt.date.today()
    Citizen.objects.filter(pk=carol.pk).update(birth_date=dt.date(today.year - 15, 1, 1))
    carol.refresh_from_db()
    assert not carol.is_minor
    return guardianship


def test_a_guardian_no_longer_consents_for_a_child_who_turned_14(signed_in, bob, carol, grown_up_carol):
    from apps.consent.models import Consent

    # When bob gives venue.entry "for" carol, now 15
    response = signed_in(bob).post("/api/v1/me/consents", {"purpose": "venue.entry", "categories": ["identity.adult"],
                                                           "on_behalf_of": carol.pk}, format="json")
    # Then he is refused and nothing is written for her
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_a_representative"
    assert not Consent.objects.filter(citizen=carol).exists()
    # And he no longer sees her consents
    services.consent_give(citizen=carol, purpose="venue.entry", categories=["identity.adult"])
    assert signed_in(bob).get("/api/v1/me/acting-for").json() == []


def test_a_child_who_turned_14_ends_the_old_guardianship_herself(signed_in, carol, grown_up_carol):
    # Given carol, now 15, sees her former guardian
    [row] = signed_in(carol).get("/api/v1/me/representatives").json()
    assert row["can_end"] is True
    # When she ends it
    response = signed_in(carol).post(f"/api/v1/me/representations/{grown_up_carol.pk}/end")
    # Then it is ended
    assert response.status_code == 200, response.content
    assert response.json()["revoked_at"] is not None


def test_a_grant_proposed_while_the_purpose_needed_consent_is_not_approved_after_it_became_statutory(
        bureau_admin, second_admin, make_org):
    # Given a grant of medical.registration (consent, sensitive) proposed for the library: with it the library
    # could still read only what each citizen consents to
    from apps.consent.models import AccessGrant, Purpose
    from citycode.errors import Conflict

    library = make_org("city-library", "venue")
    proposal = services.access_grant_propose(organization=library, purpose="medical.registration",
                                             proposed_by=bureau_admin)
    # And the purpose was then made statutory (no consent needed), through its own approved proposal
    purpose = Purpose.objects.get(code="medical.registration")
    statutory = services.purpose_change_propose(
        code=purpose.code, label_zh=purpose.label_zh, label_en=purpose.label_en,
        description_zh=purpose.description_zh, description_en=purpose.description_en, legal_basis="statutory",
        categories=sorted(purpose.categories.values_list("code", flat=True)), retention_days=purpose.retention_days,
        proposed_by=bureau_admin, legal_reference="某条例 第1条")
    services.proposal_approve(proposal=statutory, approved_by=second_admin)
    # When the old grant proposal is approved
    with pytest.raises(Conflict) as exc:
        services.proposal_approve(proposal=proposal, approved_by=second_admin)
    # Then it is stale: no grant lets the library read medical visits without anyone's consent
    assert exc.value.code == "proposal_stale"
    assert not AccessGrant.objects.filter(organization=library, purpose__code="medical.registration").exists()


# -- a grant one administrator made must not come to cover sensitive data --------------------------------------


def _library_reads_visits(library, make_citizen):
    """alice gives the library venue.entry for her medical visits, separately and explicitly."""
    alice = make_citizen(username="alice-visits")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["medical.visits"],
                          organization=library, sensitive_confirmed=True)
    return alice


def test_adding_a_sensitive_category_to_a_purpose_ends_its_one_person_grants(
        bureau_admin, second_admin, make_org, make_citizen):
    from apps.consent.models import AccessGrant

    # Given the library's grant for venue.entry, made by one administrator (a consent purpose, nothing sensitive)
    library = make_org("city-library", "venue")
    services.access_grant_create(organization=library, purpose="venue.entry", approved_by=bureau_admin)
    # When two administrators add medical visits (sensitive) to venue.entry's bound
    proposal = services.purpose_change_propose(**{**VENUE, "categories": [*VENUE["categories"], "medical.visits"]},
                                               proposed_by=bureau_admin)
    services.proposal_approve(proposal=proposal, approved_by=second_admin)
    # Then the one-person grant no longer reads, even with a citizen's explicit consent to the new purpose:
    # a grant that reads sensitive data takes two people, and nobody proposed this one
    alice = _library_reads_visits(library, make_citizen)
    with pytest.raises(services.DisclosureDenied) as exc:
        services.disclose(organization=library, purpose="venue.entry", citizen=alice, categories=["medical.visits"])
    assert exc.value.reason == "grant_revoked"
    assert not AccessGrant.objects.filter(organization=library, state=AccessGrant.State.ACTIVE).exists()

