"""Bad input to the consent API is a 400 with a code, never a 500, and writes nothing (regressions found by
tests/test_api_robustness.py)."""

import pytest

from apps.consent.models import Consent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("on_behalf_of", [2**63, 10**30, -(2**63) - 1, 0, -5])
def test_acting_for_an_impossible_citizen_id_is_400_and_gives_no_consent(citizen_api, on_behalf_of):
    # Given a citizen who claims to act for a citizen id no database row can have (beyond 64 bits, or not positive)
    body = {"purpose": "venue.entry", "categories": ["identity.adult"], "on_behalf_of": on_behalf_of}

    # When they give a consent through the API
    response = citizen_api.post("/api/v1/me/consents", body, format="json")

    # Then it is a 400 naming the field (before the fix, 2**63 overflowed the query: a 500), and nothing is written
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert [item["code"] for item in error["fields"]["on_behalf_of"]] in (["max_value"], ["min_value"])
    assert not Consent.objects.exists()
