"""One URL with one view class per operation (citycode.routing.operations) behaves like one view."""

import pytest

pytestmark = pytest.mark.django_db


def test_each_method_reaches_its_own_view_and_others_get_405_naming_every_allowed_method(citizen_api):
    # Given the consents URL, served by a list view (GET) and a give view (POST)
    # When a citizen lists, then gives with bad input
    assert citizen_api.get("/api/v1/me/consents").status_code == 200
    bad = citizen_api.post("/api/v1/me/consents", {}, format="json")
    assert bad.status_code == 400 and "purpose" in bad.json()["error"]["fields"]
    # When a method neither view serves is sent
    response = citizen_api.put("/api/v1/me/consents", {}, format="json")
    # Then it is a 405 in the usual error shape, and Allow names the URL's methods
    assert response.status_code == 405
    assert response.json()["error"]["code"]
    assert response["Allow"] == "GET, POST, OPTIONS"


def test_each_operation_keeps_its_own_permission(api):
    # Anonymous callers are refused by both operations of the URL, never served by either
    assert api.get("/api/v1/me/consents").status_code in (401, 403)
    assert api.post("/api/v1/me/consents", {}, format="json").status_code in (401, 403)
    assert api.get("/api/v1/consent/grants").status_code in (401, 403)
    assert api.post("/api/v1/consent/emergencies", {}, format="json").status_code in (401, 403)
