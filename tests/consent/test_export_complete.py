"""The citizen's export (PIPL Art 45) is complete by construction: every model that references a citizen is
exported by some section, or deliberately excluded with a reason."""

import json

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model

from apps.codes import services as codes_services
from apps.consent import export, services
from apps.identity import services as identity_services
from apps.talent import services as talent_services
from tests.conftest import valid_id_number
from tests.consent.conftest import later


def _references_to(targets):
    """(label "app.Model.field", model) of every concrete FK/O2O/M2M whose target is one of ``targets``."""
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if field.is_relation and field.concrete and field.related_model in targets:
                yield f"{model._meta.label}.{field.name}", model


def test_every_model_that_references_a_citizen_is_exported_or_deliberately_excluded():
    # Given every reference to the user model, and one hop on through the models holding them
    citizen = get_user_model()
    direct = dict(_references_to({citizen}))
    owned = {model for model in direct.values() if model is not citizen}
    one_hop = dict(_references_to(owned))
    covered = export.covered_references()
    # Then each is exported or excluded with a reason
    missing = sorted((set(direct) | set(one_hop)) - set(covered) - set(export.DELIBERATELY_EXCLUDED))
    assert not missing, (
        f"{missing} reference a citizen but no export section carries them. Register a section with "
        "apps.consent.export.register_export_section(name, provider, covers=('app.Model.field',)) from your "
        "AppConfig.ready() (a code-type plugin: implement CodeType.export() and list the field in "
        "export_covers), or, if it must not leave (a secret), add it to export.DELIBERATELY_EXCLUDED with the reason."
    )
    # And no declaration names a reference that does not exist (a renamed field would pass unnoticed)
    stale = sorted((set(covered) | set(export.DELIBERATELY_EXCLUDED)) - set(direct) - set(one_hop))
    assert not stale, f"{stale} are declared in the export but no such citizen reference exists any more."
    assert all(reason.strip() for reason in export.DELIBERATELY_EXCLUDED.values())


def test_every_column_of_the_citizen_is_in_the_profile_or_deliberately_excluded():
    citizen = get_user_model()
    columns = {f.name for f in citizen._meta.get_fields() if f.concrete}
    unaccounted = columns - set(export.PROFILE_FIELDS) - set(export.CITIZEN_FIELDS_EXCLUDED)
    assert not unaccounted, (
        f"Citizen columns {sorted(unaccounted)} are neither exported nor excluded: add each to "
        "export.PROFILE_FIELDS (and to the profile section) or to export.CITIZEN_FIELDS_EXCLUDED with the reason."
    )


@pytest.mark.django_db
def test_the_export_holds_everything_the_city_keeps_about_a_citizen_and_no_secret(make_citizen, make_org,
                                                                                 bureau_admin, library):
    # Given lin: staff of the library, signed in with a token, her son's guardian, holding a talent
    # certification and a city code, with a consent and an access-log row
    number = valid_id_number(region="330106", birth="19900307", sequence="246")
    lin = make_citizen(username="lin", name="林", id_number=number, phone="13955556666")
    identity_services.membership_set(user=lin, organization=library, role="staff")
    _token, plain = identity_services.auth_token_issue(user=lin)
    son = make_citizen(username="son", name="林小", birth="20160101")
    services.representation_create(representative=lin, represented=son, kind="guardian", valid_until=later(days=9))
    for_son = services.consent_give(citizen=son, purpose="venue.entry", categories=["identity.adult"], actor=lin)
    talent_services.certification_issue(citizen=lin, level="B", issued_by="市人才服务中心",
                                        valid_until=later(days=400).date())
    # a long-lived document of hers keeps a status-list entry (rotating codes keep none), later revoked
    entry = codes_services.status_entry_create(citizen=lin, code_type="city", expires_at=later(days=30))
    codes_services.status_set(code_type="city", index=entry.index)
    services.access_grant_create(organization=library, purpose="venue.entry", approved_by=bureau_admin)
    services.consent_give(citizen=lin, purpose="venue.entry", categories=["identity.adult"])
    services.disclose(organization=library, purpose="venue.entry", citizen=lin)

    # When she exports her data
    data = export.export_for(citizen=lin)

    # Then every part is there
    assert data["profile"]["id_masked"] == "33" + "*" * 15 + number[-1:]
    assert data["profile"]["real_name_verification"]["verified_at"] is not None
    assert data["profile"]["real_name_verification"]["method"]
    assert data["staff_memberships"][0]["organization"] == "city-library"
    assert len(data["sign_in_tokens"]) == 1
    assert [r["person"] for r in data["representations"]["acting_for"]] == ["son"]
    assert [c["id"] for c in data["representations"]["consents_given_for_others"]] == [for_son.pk]
    assert [(s["code_type"], s["status_index"]) for s in data["code_status_entries"]] == [("city", entry.index)]
    assert data["code_status_entries"][0]["revoked"] is True
    assert data["code_types"]["talent"]["certifications"][0]["level"] == "B"
    assert len(data["consents"]) == 1 and len(data["access_log"]) == 1
    # And the son's export shows who acts for him
    assert [r["person"] for r in export.export_for(citizen=son)["representations"]["acted_for_by"]] == ["lin"]
    # And it is plain JSON with no secret: no full number, keyed hash, password hash or token
    text = json.dumps(data, ensure_ascii=False)
    for secret in (number[:17], lin.id_hash, lin.password, plain):
        assert secret not in text
    assert "key_hash" not in text and "id_hash" not in text


@pytest.mark.django_db
def test_a_citizen_with_nothing_else_exports_empty_lists(make_citizen):
    data = export.export_for(citizen=make_citizen())
    assert data["staff_memberships"] == [] and data["sign_in_tokens"] == [] and data["consents"] == []
    assert data["representations"] == {"acting_for": [], "acted_for_by": [], "consents_given_for_others": []}
    assert data["code_types"]["talent"] == {"certifications": [], "in_force": False}
