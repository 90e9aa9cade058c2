"""Department-defined code types (issue 12): a department defines a code type through the API with no code; the
data bureau (a second person) publishes it; its issuers issue codes; citizens' wallets show them, they verify
offline and resolve through /scan like built-in types, with no restart. A change is a new version."""

import pytest
from rest_framework.test import APIClient

from apps.codes import selectors, tokens
from apps.codes.models import DefinedCode, DefinedCodeTypeVersion
from apps.codes.plugin_api import registry
from apps.consent import services as consent_services
from apps.consent.models import AccessLog, Purpose
from apps.identity import services as identity_services
from apps.identity.models import Citizen, Organization
from tests.codes.contract import CodeTypeContract
from tests.conftest import valid_id_number

pytestmark = pytest.mark.django_db

KEY = "parking_permit"
PURPOSE = "parking_permit.check"
ALICE_ID = valid_id_number(birth="19900307", sequence="421")


def definition(**overrides):
    return {
        "key": KEY, "label_zh": "停车许可码", "label_en": "Parking permit code",
        "claims_schema": {"type": "object", "required": ["zone", "plate_class"], "additionalProperties": False,
                          "properties": {"zone": {"type": "string", "pattern": "^Z[0-9]$"},
                                         "plate_class": {"enum": ["small", "large"]}}},
        "field_labels": {"zone": ["停车区", "Zone"], "plate_class": ["车型", "Vehicle class"]},
        "lifetime_seconds": 600, "issuers": ["traffic-bureau"],
        "purposes": [{"code": PURPOSE, "label_zh": "停车核验", "label_en": "Parking check",
                      "description_zh": "停车场核验停车许可。", "description_en": "A car park checks a permit.",
                      "retention_days": 30}],
        **overrides,
    }


def key_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def city(db):
    """The traffic bureau (a department, also the issuer), the data bureau with one administrator, a car park."""
    traffic = Organization.objects.create(slug="traffic-bureau", name="交通局", kind=Organization.Kind.DEPARTMENT)
    bureau = Organization.objects.get_or_create(slug="data-bureau", defaults={
        "name": "数据局", "kind": Organization.Kind.DEPARTMENT})[0]
    officer = Citizen.objects.create(username="traffic-officer", name="交通局科员")
    identity_services.membership_set(user=officer, organization=traffic, role="admin")
    reviewer = Citizen.objects.create(username="bureau-reviewer", name="数据局审核员")
    identity_services.membership_set(user=reviewer, organization=bureau, role="admin")
    _c, define_key = identity_services.api_client_create(organization=traffic, name="designer",
                                                         scopes=["codes.define"], holder=officer)
    _c, issue_key = identity_services.api_client_create(organization=traffic, name="permits",
                                                        scopes=["codes.issue"])
    _c, bureau_key = identity_services.api_client_create(organization=bureau, name="review",
                                                         scopes=["consent.admin"], holder=reviewer)
    car_park = Organization.objects.create(slug="car-park", name="停车场", kind=Organization.Kind.VENUE)
    _c, car_park_key = identity_services.api_client_create(organization=car_park, name="gate")
    return {"traffic": traffic, "officer": officer, "reviewer": reviewer, "bureau": bureau,
            "define": key_client(define_key), "issue": key_client(issue_key), "review": key_client(bureau_key),
            "car_park": car_park, "gate": key_client(car_park_key)}


def publish(city, **overrides) -> int:
    r = city["define"].post("/api/v1/code-types", definition(**overrides), format="json")
    assert r.status_code == 202, r.json()
    version = r.json()["version"]
    r = city["review"].post(f"/api/v1/code-types/{KEY}/versions/{version}/publish")
    assert r.status_code == 200, r.json()
    return version


def issue(city, *, id_number=ALICE_ID, claims=None, reference="P-1", **extra):
    return city["issue"].post(f"/api/v1/code-types/{KEY}/codes", {
        "id_number": id_number, "claims": claims or {"zone": "Z3", "plate_class": "small"}, "reference": reference,
        **extra}, format="json")


@pytest.fixture
def alice(make_citizen):
    return make_citizen(username="alice", name="王丽", id_number=ALICE_ID)


def wallet_types(citizen) -> list[str]:
    client = APIClient()
    _t, plain = identity_services.auth_token_issue(user=citizen)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return [c["type"] for c in client.get("/api/v1/me/codes").json()["codes"]]


def my_token(citizen) -> str:
    client = APIClient()
    _t, plain = identity_services.auth_token_issue(user=citizen)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    r = client.get(f"/api/v1/me/codes/{KEY}")
    assert r.status_code == 200, r.json()
    return r.json()["token"]


def test_a_department_defines_issues_and_a_verifier_scans_with_no_code_and_no_restart(city, alice):
    # Given no such type yet
    assert KEY not in registry
    # When the traffic bureau defines it, the data bureau publishes it and the bureau issues alice a permit
    publish(city)
    assert issue(city).status_code == 201
    # Then alice's wallet shows it, in this very process
    assert KEY in wallet_types(alice)
    token = my_token(alice)
    # And the token verifies offline and carries only the version beside the envelope
    verified = selectors.verified_token_get(token=token, expected_type=KEY)
    assert verified.claims == {"ver": 1}
    # And a car park with a grant and alice's consent scans it and sees the permit, labelled, and the log says so
    reviewer = city["reviewer"]
    consent_services.access_grant_create(organization=city["car_park"], purpose=PURPOSE, approved_by=reviewer)
    consent_services.consent_give(citizen=alice, purpose=PURPOSE, categories=[f"{KEY}.record"],
                                  organization=city["car_park"])
    r = city["gate"].post("/api/v1/scan", {"token": token, "purpose": PURPOSE}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["data"] == {f"{KEY}.record": {"held": True, "version": 1, "zone": "Z3", "plate_class": "small",
                                                  "valid_until": None}}
    assert AccessLog.objects.filter(citizen=alice, purpose_code=PURPOSE, outcome="allowed").count() == 1
    assert registry.field_label(f"{KEY}.record", "zone", "en") == "Zone"


def test_without_consent_the_car_park_learns_nothing(city, alice):
    publish(city)
    issue(city)
    consent_services.access_grant_create(organization=city["car_park"], purpose=PURPOSE, approved_by=city["reviewer"])
    r = city["gate"].post("/api/v1/scan", {"token": my_token(alice), "purpose": PURPOSE}, format="json")
    assert (r.status_code, r.json()["error"]["code"]) == (403, "not_disclosed")
    assert "data" not in r.json()


def test_nothing_is_served_until_the_data_bureau_publishes(city, alice):
    r = city["define"].post("/api/v1/code-types", definition(), format="json")
    assert (r.status_code, r.json()["state"]) == (202, "proposed")
    assert KEY not in registry
    # An issuer cannot issue under a type nobody published
    assert (issue(city).status_code, issue(city).json()["error"]["code"]) == (404, "unknown_code_type")
    assert not Purpose.objects.filter(code=PURPOSE).exists()


def test_the_proposer_cannot_publish_their_own_type_with_a_bureau_key(city):
    # Given the traffic officer is also a data-bureau administrator with a bureau key of their own
    identity_services.membership_set(user=city["officer"], organization=city["bureau"], role="admin")
    _c, own_bureau_key = identity_services.api_client_create(organization=city["bureau"], name="officer-review",
                                                             scopes=["consent.admin"], holder=city["officer"])
    city["define"].post("/api/v1/code-types", definition(), format="json")
    # When they publish what they proposed
    r = key_client(own_bureau_key).post(f"/api/v1/code-types/{KEY}/versions/1/publish")
    # Then it is refused: four eyes are two people
    assert (r.status_code, r.json()["error"]["code"]) == (403, "own_proposal")
    assert DefinedCodeTypeVersion.objects.get().state == "proposed"
    assert KEY not in registry


def test_a_department_key_cannot_publish_and_a_venue_cannot_define(city):
    city["define"].post("/api/v1/code-types", definition(), format="json")
    r = city["define"].post(f"/api/v1/code-types/{KEY}/versions/1/publish")
    assert (r.status_code, r.json()["error"]["code"]) == (403, "not_data_bureau")
    r = city["gate"].post("/api/v1/code-types", definition(key="venue_pass", purposes=[]), format="json")
    assert (r.status_code, r.json()["error"]["code"]) == (403, "not_a_department")


@pytest.mark.parametrize(("change", "code"), [
    ({"claims_schema": {"type": "object", "properties": {"id_number": {"type": "string"}}},
      "field_labels": {"id_number": ["身份证号", "ID number"]}}, "schema_invalid"),
    ({"claims_schema": {"type": "object", "properties": {"zone": {"type": "strnig"}}},
      "field_labels": {"zone": ["停车区", "Zone"]}}, "schema_invalid"),
    ({"field_labels": {"zone": ["停车区", "Zone"]}}, "schema_invalid"),
    ({"key": "talent"}, "code_type_taken"),
    # A department naming its type "housing" cannot take over the talent code's housing.talent_subsidy
    ({"key": "housing", "purposes": [{"code": "housing.talent_subsidy", "label_zh": "补贴", "label_en": "Subsidy",
                                      "retention_days": 30}]}, "code_type_taken"),
])
def test_a_definition_that_breaks_a_rule_is_refused_and_nothing_is_written(city, change, code):
    r = city["define"].post("/api/v1/code-types", definition(**change), format="json")
    assert r.json()["error"]["code"] == code, r.json()
    assert not DefinedCodeTypeVersion.objects.exists()


def test_claims_outside_the_schema_are_refused_with_their_path(city, alice):
    publish(city)
    r = issue(city, claims={"zone": "north", "plate_class": "small"})
    assert (r.status_code, r.json()["error"]["code"]) == (400, "claims_invalid")
    assert r.json()["error"]["fields"]["claims"][0]["path"] == "zone"
    assert not DefinedCode.objects.exists()


def test_only_a_named_issuer_issues(city, alice):
    publish(city)
    _c, other = identity_services.api_client_create(organization=city["car_park"], name="x", scopes=["codes.issue"])
    r = key_client(other).post(f"/api/v1/code-types/{KEY}/codes", {"id_number": ALICE_ID, "claims": {
        "zone": "Z1", "plate_class": "small"}, "reference": "X"}, format="json")
    assert (r.status_code, r.json()["error"]["code"]) == (403, "not_an_issuer")
    assert not DefinedCode.objects.exists()


def test_issuing_is_idempotent_on_the_reference(city, alice):
    publish(city)
    assert issue(city).status_code == 201
    assert issue(city).status_code == 200
    r = issue(city, claims={"zone": "Z4", "plate_class": "large"})
    assert (r.status_code, r.json()["error"]["code"]) == (409, "code_type_taken")
    assert DefinedCode.objects.count() == 1


def test_the_answer_is_the_same_for_someone_not_registered_yet_and_the_code_waits_for_them(city, make_citizen):
    publish(city)
    newcomer_id = valid_id_number(birth="19851212", sequence="777")
    assert issue(city, id_number=newcomer_id, reference="P-9").status_code == 201
    newcomer = make_citizen(username="newcomer", id_number=newcomer_id)
    assert KEY in wallet_types(newcomer)


def test_a_revoked_code_is_no_longer_issued(city, alice):
    publish(city)
    issue(city)
    r = city["issue"].post(f"/api/v1/code-types/{KEY}/codes/P-1/revoke")
    assert r.status_code == 200 and r.json()["revoked_at"]
    assert KEY not in wallet_types(alice)


def test_a_change_is_a_new_version_and_old_codes_still_verify_and_present_as_issued(city, alice):
    publish(city)
    issue(city)
    old_token = my_token(alice)
    # When the department adds a claim and the bureau publishes version 2
    schema = definition()["claims_schema"]
    schema = {**schema, "properties": {**schema["properties"], "floor": {"type": "integer"}}}
    version = publish(city, claims_schema=schema, field_labels={**definition()["field_labels"],
                                                                "floor": ["楼层", "Floor"]})
    assert version == 2
    # Then the old token still verifies, and says it was issued under version 1
    assert selectors.verified_token_get(token=old_token, expected_type=KEY).claims == {"ver": 1}
    # And a code issued now is under version 2 and may carry the new claim
    r = issue(city, reference="P-2", claims={"zone": "Z5", "plate_class": "large", "floor": -2})
    assert r.status_code == 201 and r.json()["version"] == 2
    assert registry.field_label(f"{KEY}.record", "floor", "zh-hans") == "楼层"


def test_an_independent_cose_library_verifies_a_defined_code_from_the_jwks(city, alice):
    import cwt
    from cwt import COSEKey

    from tests.codes.test_unlinkable import _cose

    publish(city)
    issue(city)
    token = my_token(alice)
    jwks = [COSEKey.from_jwk(jwk) for jwk in APIClient().get("/.well-known/jwks.json").json()["keys"]]
    claims = cwt.decode(_cose(token), jwks, no_verify=False)
    assert claims[tokens.CLAIM_TYPE] == KEY


class TestDefinedCodeContract(CodeTypeContract):
    """A defined type passes the same contract as built-in and plugged-in ones."""

    code_type_key = KEY

    @pytest.fixture(autouse=True)
    def _published(self, city):
        publish(city)
        return city

    @pytest.fixture
    def holder(self, _published, alice):
        assert issue(_published).status_code == 201
        return alice

    def test_a_second_registration_of_it_is_refused(self, code_type):
        super().test_a_second_registration_of_it_is_refused(code_type)

    def test_it_is_never_served_in_place_of_a_registered_type(self, code_type):
        assert code_type.key not in registry.registered_keys()
        assert registry.get("talent").key == "talent"


def test_the_definition_appears_for_every_process_after_the_memo_ages(city, monkeypatch):
    from apps.codes import caches, defined

    # Given a process that memoised the defined types before the publication (outside any transaction)
    monkeypatch.setattr(caches, "committed_state", lambda: True)
    assert KEY not in defined.defined_type_map()
    publish(city)
    # Then within PROCESS_SECONDS it serves the new type (this process's memo was dropped on publication too)
    now = caches.clock()
    monkeypatch.setattr(caches, "clock", lambda: now + caches.PROCESS_SECONDS + 0.1)
    assert KEY in defined.defined_type_map()


def test_the_demo_city_has_a_department_defined_library_card_in_alice_s_wallet(settings, tmp_path):
    import io

    from django.core.management import call_command

    settings.BASE_DIR = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    alice = Citizen.objects.get(username="alice")
    assert "library_card" in wallet_types(alice)
    assert DefinedCodeTypeVersion.objects.get(code_type__key="library_card").decided_by_label == "bureau2"
