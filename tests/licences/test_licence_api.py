"""The licence API end to end: a verifier asks, the citizen answers, the verifier verifies; every refusal is a
4xx code; nobody reaches another person's licence or another organization's request."""

import pytest

from apps.identity import services as identity_services
from apps.licences import mdoc

from ..conftest import valid_id_number

pytestmark = pytest.mark.django_db


def key_of(organization):
    _client, key = identity_services.api_client_create(organization=organization, name=f"{organization.slug}-gate")
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


def signed_in(api, user):
    _token, plain = identity_services.auth_token_issue(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return api


def test_ask_answer_verify(api, licence, police, alice):
    # Given the patrol's request
    asked = api.post("/api/v1/licences/requests", {"licence_type": "JSZC1", "purpose": "licence.traffic_check"},
                     format="json", **key_of(police))
    assert asked.status_code == 201, asked.json()
    request = asked.json()
    assert [e["key"] for e in request["elements"]] == ["vehicle_class", "valid_until", "identifier", "name"]
    # When alice reads it and answers with two fields
    signed_in(api, alice)
    assert api.get(f"/api/v1/me/licences/requests/{request['nonce']}").json()["verifier"] == "traffic-patrol"
    answer = api.post("/api/v1/me/licences/present", {"nonce": request["nonce"],
                                                       "elements": ["vehicle_class", "valid_until"]}, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer["Cache-Control"].count("no-store")
    presentation = answer.json()["presentation"]
    # Then the patrol verifies it and sees exactly those two
    api.credentials()
    checked = api.post(f"/api/v1/licences/requests/{request['id']}/verify", {"presentation": presentation},
                       format="json", **key_of(police))
    assert checked.status_code == 200, checked.json()
    assert {e["key"]: e["value"] for e in checked.json()["elements"]} == {
        "vehicle_class": "C1", "valid_until": licence.valid_until.isoformat()}


def test_another_organization_cannot_use_the_patrol_s_request(api, licence, police, alice, make_org):
    asked = api.post("/api/v1/licences/requests", {"licence_type": "JSZC1", "purpose": "licence.traffic_check"},
                     format="json", **key_of(police)).json()
    signed_in(api, alice)
    presentation = api.post("/api/v1/me/licences/present", {"nonce": asked["nonce"], "elements": ["vehicle_class"]},
                            format="json").json()["presentation"]
    api.credentials()
    other = key_of(make_org("other-shop"))
    refused = api.post(f"/api/v1/licences/requests/{asked['id']}/verify", {"presentation": presentation},
                       format="json", **other)
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "request_not_found"


@pytest.mark.parametrize("mutate, code", [
    (lambda text: "XX1:" + text[4:], "bad_prefix"),
    (lambda text: text[:4] + "::::", "bad_encoding"),
    (lambda text: mdoc.encode(b"\xa0"), "bad_encoding"),
])
def test_broken_presentations_are_400_with_their_reason(api, licence, police, alice, mutate, code):
    headers = key_of(police)
    asked = api.post("/api/v1/licences/requests", {"licence_type": "JSZC1", "purpose": "licence.traffic_check"},
                     format="json", **headers).json()
    signed_in(api, alice)
    text = api.post("/api/v1/me/licences/present", {"nonce": asked["nonce"], "elements": ["vehicle_class"]},
                    format="json").json()["presentation"]
    api.credentials()
    refused = api.post(f"/api/v1/licences/requests/{asked['id']}/verify", {"presentation": mutate(text)},
                       format="json", **headers)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == code


def test_the_office_issues_and_revokes_through_the_api_and_nobody_else_can(api, driving_type, clerk, make_citizen):
    number = valid_id_number(sequence="901")
    holder = make_citizen(id_number=number)
    body = {"licence_type": "JSZC1", "id_number": number,
            "values": {"vehicle_class": "C1", "first_issued": "2020-01-01", "address": "江北区"}}
    # A citizen without a role in the office is refused before any lookup
    signed_in(api, make_citizen())
    assert api.post("/api/v1/licences/issue", body, format="json").json()["error"]["code"] == "not_office_staff"
    # The clerk issues
    signed_in(api, clerk)
    issued = api.post("/api/v1/licences/issue", body, format="json")
    assert issued.status_code == 201, issued.json()
    licence_id = issued.json()["id"]
    assert api.post("/api/v1/licences/issue", body, format="json").json()["error"]["code"] == "licence_exists"
    # The holder sees it, nobody else's
    signed_in(api, holder)
    assert [item["id"] for item in api.get("/api/v1/me/licences").json()["licences"]] == [licence_id]
    # The holder cannot revoke it (not the office's staff): it reads as missing
    assert api.post(f"/api/v1/licences/{licence_id}/revoke", {}, format="json").status_code == 404
    signed_in(api, clerk)
    revoked = api.post(f"/api/v1/licences/{licence_id}/revoke", {"reason": "test"}, format="json")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert api.post(f"/api/v1/licences/{licence_id}/suspend", {}, format="json").status_code == 409


def test_the_licence_types_are_public(api, driving_type):
    types = api.get("/api/v1/licences/types").json()["types"]
    assert types[0]["type_code"] == "JSZC1" and types[0]["purpose_fields"]["hotel.check_in"] == ["age_over_18", "name"]


@pytest.mark.parametrize("body", [{}, {"licence_type": "NOPE", "purpose": "x"}, {"licence_type": 5},
                                  {"licence_type": "JSZC1", "purpose": "venue.entry"}])
def test_bad_requests_are_4xx(api, driving_type, police, body):
    answer = api.post("/api/v1/licences/requests", body, format="json", **key_of(police))
    assert 400 <= answer.status_code < 500


def test_an_office_defines_a_type_through_the_api_and_bad_definitions_are_4xx(api, office, clerk, make_citizen):
    body = {"office": "traffic-police", "type_code": "SPJY", "authority_code": "11500000MB7654321Y",
            "label_zh": "食品经营许可证", "label_en": "Food business licence", "category": "licence.general",
            "fields": [{"key": "business_scope", "kind": "string", "label_zh": "经营项目", "label_en": "Scope"}],
            "purpose_fields": {"hotel.check_in": ["name"]}, "validity_days": 1825}
    # A citizen without a role in the office is refused
    signed_in(api, make_citizen())
    assert api.post("/api/v1/licences/types/define", body, format="json").status_code == 403
    # The clerk defines it
    signed_in(api, clerk)
    defined = api.post("/api/v1/licences/types/define", body, format="json")
    assert defined.status_code == 200, defined.json()
    assert defined.json()["doc_type"] == "cn.citycode.licence.SPJY"
    # A purpose that may not see a field is refused with its code, and nothing changes
    wider = {**body, "purpose_fields": {"hotel.check_in": ["business_scope"]}}
    refused = api.post("/api/v1/licences/types/define", wider, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "element_outside_purpose"
    for broken in ({**body, "type_code": "bad code"}, {**body, "office": "no-such-office"}, {**body, "fields": "x"}):
        assert 400 <= api.post("/api/v1/licences/types/define", broken, format="json").status_code < 500
    assert api.get("/api/v1/licences/types").json()["types"][0]["purpose_fields"] == {"hotel.check_in": ["name"]}
