"""Code types' declared purposes and categories reach the consent catalogue after migrate, idempotently."""

import pytest

from apps.codes import services
from apps.consent import selectors as consent_selectors

pytestmark = pytest.mark.django_db


def test_the_talent_codes_purposes_are_in_the_catalogue_after_migrate():
    subsidy = consent_selectors.purpose_get(code="housing.talent_subsidy")
    assert subsidy is not None
    assert set(subsidy.categories.values_list("code", flat=True)) == {
        "identity.name", "identity.id_masked", "talent.certification"}
    assert subsidy.label_en == "Talent housing subsidy"


def test_syncing_again_changes_nothing():
    # Given the catalogue as migrate left it
    before = {p.code: (p.text_version, p.updated_at) for p in consent_selectors.purpose_list(active_only=False)}
    # When the code types are synced again
    services.code_type_catalogue_sync()
    # Then no purpose changed (a changed text would ask citizens to consent again)
    after = {p.code: (p.text_version, p.updated_at) for p in consent_selectors.purpose_list(active_only=False)}
    assert after == before


def test_declaring_a_purpose_grants_nobody_anything():
    assert not consent_selectors.grant_list().filter(purpose__code="housing.talent_subsidy").exists()
