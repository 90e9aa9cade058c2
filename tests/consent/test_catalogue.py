"""Purposes and data categories: seeded by migration, upserted idempotently, with their rules."""

import pytest
from django.core.exceptions import ValidationError

from apps.consent import selectors, services
from apps.consent.models import DataCategory, Purpose
from citycode.errors import Conflict, DomainError, Forbidden

pytestmark = pytest.mark.django_db


def test_the_migration_seeds_the_taxonomy_and_the_first_purposes():
    sensitive = set(DataCategory.objects.filter(sensitive=True).values_list("code", flat=True))
    assert sensitive == {"health.colour", "health.records", "location.whereabouts", "medical.visits"}
    bounds = {p.code: sorted(c.code for c in p.categories.all()) for p in selectors.purpose_list()}
    assert bounds["transit.boarding"] == ["identity.adult", "transit.account"]
    assert bounds["health.epidemic_control"] == ["health.colour", "identity.id_masked", "identity.name"]
    assert bounds["venue.entry"] == ["identity.adult", "identity.name"]
    assert selectors.purpose_get(code="licence.traffic_check").legal_basis == "statutory"
    assert selectors.purpose_get(code="health.epidemic_control").epidemic_control


def test_upserts_are_idempotent_and_a_change_needs_a_proposal(bureau_admin, second_admin):
    category = services.category_upsert(code="talent.level", label_zh="人才层次", label_en="Talent level",
                                        sensitive=False)
    again = services.category_upsert(code="talent.level", label_zh="人才层次", label_en="Talent level",
                                     sensitive=False)
    assert again.pk == category.pk and DataCategory.objects.filter(code="talent.level").count() == 1

    spec = dict(code="talent.housing", label_zh="人才住房", label_en="Talent housing",
                categories=["identity.name", "talent.level"], retention_days=365)
    purpose = services.purpose_upsert(**spec)
    assert services.purpose_upsert(**spec).text_version == purpose.text_version == 1
    # A narrower bound is a change: never applied directly
    with pytest.raises(Forbidden) as exc:
        services.purpose_upsert(**{**spec, "categories": ["talent.level"]})
    # (the two-person rule is the same 403 here as for a grant)
    assert (exc.value.code, exc.value.status_code) == ("proposal_required", 403)
    # Proposed by one administrator and approved by another, the version moves on
    proposal = services.purpose_change_propose(**{**spec, "categories": ["talent.level"]}, proposed_by=bureau_admin)
    services.proposal_approve(proposal=proposal, approved_by=second_admin)
    changed = Purpose.objects.get(code="talent.housing")
    assert changed.text_version == 2
    assert [c.code for c in changed.categories.all()] == ["talent.level"]
    assert Purpose.objects.filter(code="talent.housing").count() == 1


def test_a_purpose_cannot_name_an_unknown_category():
    with pytest.raises(ValidationError) as exc:
        services.purpose_upsert(code="x.y", label_zh="x", label_en="x", categories=["no.such"], retention_days=1)
    assert exc.value.error_dict["categories"][0].code == "unknown_category"


def test_the_health_colour_can_only_be_bound_to_epidemic_control():
    # A transit purpose that tries to carry the health colour is refused
    with pytest.raises(ValidationError) as exc:
        services.purpose_upsert(code="transit.health_ride", label_zh="乘车验码", label_en="Ride with colour",
                                categories=["transit.account", "health.colour"], retention_days=30)
    assert exc.value.error_dict["categories"][0].code == "epidemic_only_category"
    # An epidemic-control purpose may
    ok = services.purpose_upsert(code="health.checkpoint", label_zh="卡口", label_en="Checkpoint",
                                 legal_basis="statutory", categories=["health.colour"], retention_days=14,
                                 epidemic_control=True)
    assert ok.epidemic_control
    # And an ordinary category already used elsewhere cannot be turned epidemic-only
    with pytest.raises(ValidationError) as exc:
        services.category_upsert(code="identity.name", label_zh="姓名", label_en="Name", sensitive=True,
                                 epidemic_only=True)
    assert exc.value.error_dict["epidemic_only"][0].code == "epidemic_only_in_use"


def test_the_epidemic_flag_survives_an_upsert_that_does_not_mention_it():
    purpose = services.purpose_upsert(code="health.epidemic_control", label_zh="疫情防控", label_en="Epidemic control",
                                      description_zh="依法开展传染病防控，核验健康码颜色。",
                                      description_en="Statutory infectious-disease control: checking the health "
                                                     "code colour.",
                                      legal_basis="statutory", retention_days=30,
                                      categories=["health.colour", "identity.name", "identity.id_masked"])
    assert purpose.epidemic_control and purpose.text_version == 1


def test_a_consent_can_never_ask_beyond_the_bound(make_citizen):
    citizen = make_citizen()
    with pytest.raises(DomainError) as exc:
        services.consent_give(citizen=citizen, purpose="transit.boarding", categories=["identity.phone"])
    assert exc.value.code == "category_not_allowed"


def test_a_statutory_purpose_takes_no_consent(make_citizen):
    with pytest.raises(DomainError) as exc:
        services.consent_give(citizen=make_citizen(), purpose="licence.traffic_check", categories=["licence.driving"])
    assert exc.value.code == "consent_not_applicable"


def test_a_consent_records_the_text_version_and_refuses_a_stale_one(make_citizen, bureau_admin, second_admin):
    citizen = make_citizen()
    consent = services.consent_give(citizen=citizen, purpose="venue.entry", categories=["identity.adult"],
                                    text_version=1)
    assert consent.text_version == 1
    proposal = services.purpose_change_propose(code="venue.entry", label_zh="场馆入场（新）", label_en="Venue entry",
                                               categories=["identity.adult", "identity.name"], retention_days=30,
                                               proposed_by=bureau_admin)
    services.proposal_approve(proposal=proposal, approved_by=second_admin)
    with pytest.raises(Conflict) as exc:
        services.consent_give(citizen=citizen, purpose="venue.entry", categories=["identity.adult"], text_version=1)
    assert exc.value.code == "stale_text_version"
