"""Validation errors say what is wrong, in the reader's language, on the field concerned — never with the name of
a database constraint ("约束 “emergency_period” 是无效的")."""

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import translation

from apps.consent import services
from apps.identity import services as identity_services
from apps.identity.models import Organization
from citycode import errors
from tests.consent.conftest import later

CONSTRAINTS = [(model, c) for model in apps.get_models() for c in model._meta.constraints]
NAMES = {c.name for _model, c in CONSTRAINTS}


def _ids(item):
    return f"{item[0]._meta.label}.{item[1].name}"


@pytest.mark.parametrize("item", CONSTRAINTS, ids=[_ids(i) for i in CONSTRAINTS])
def test_every_constraint_has_its_own_message_and_code_naming_a_field(item):
    model, constraint = item
    fix = (f"Give {model._meta.label}'s constraint {constraint.name!r} a violation_error_message (a sentence saying "
           "what is wrong, in gettext_lazy) and a violation_error_code of its own.")
    assert constraint.violation_error_message != constraint.default_violation_error_message, fix
    assert constraint.violation_error_code, fix
    for language in ("zh-hans", "en"):
        with translation.override(language):
            message = str(constraint.get_violation_error_message())
        assert not any(name in message for name in NAMES), fix
    # The error lands on a real field of the model (errors.py maps the code to it)
    field = errors.constraint_field(constraint.violation_error_code)
    assert field in {f.name for f in model._meta.get_fields()}, fix


def test_constraint_codes_are_unique_so_each_maps_to_one_field():
    codes = [c.violation_error_code for _model, c in CONSTRAINTS]
    assert len(codes) == len(set(codes))


@pytest.fixture
def bureau_api(api, bureau_admin):
    bureau = Organization.objects.get(slug="data-bureau")
    _client, key = identity_services.api_client_create(organization=bureau, name="bureau-system",
                                                       scopes=["consent.admin"], holder=bureau_admin)
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return api


def _messages(body):
    error = body["error"]
    yield error["message"]
    for items in error.get("fields", {}).values():
        for item in items:
            yield item["message"]


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "expected"), [("zh-hans", "紧急状态的结束时间必须晚于开始时间。"),
                                                    ("en", "The end of the emergency must be later than its start.")])
def test_an_emergency_that_ends_before_it_starts_says_so_on_the_end_field(bureau_api, language, expected):
    # Given an emergency-basis purpose
    services.purpose_upsert(code="health.contact_tracing", label_zh="流调", label_en="Contact tracing",
                            legal_basis="emergency", categories=["location.whereabouts"], retention_days=14)
    # When the bureau declares an emergency that ends a day before it starts
    response = bureau_api.post("/api/v1/consent/emergencies", {
        "name": "Outbreak", "legal_reference": "ref", "purposes": ["health.contact_tracing"],
        "starts_at": later(days=2).isoformat(), "ends_at": later(days=1).isoformat()},
        format="json", HTTP_ACCEPT_LANGUAGE=language)
    # Then it is a 400 on the end field, in the reader's language, naming no constraint
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "validation_error"
    assert body["error"]["message"] == expected
    assert body["error"]["fields"] == {"ends_at": [{"code": "emergency_ends_before_start", "message": expected}]}


@pytest.mark.django_db
def test_no_reachable_constraint_answers_with_its_name(bureau_api, library, make_citizen, bureau_admin):
    # Given every constraint violation reachable through the API and the services
    bodies = []
    bodies.append(bureau_api.post("/api/v1/consent/grants", {
        "organization": "city-library", "purpose": "venue.entry",
        "valid_from": later(days=2).isoformat(), "valid_until": later(days=1).isoformat()}, format="json").json())
    bodies.append(bureau_api.post("/api/v1/consent/categories", {
        "code": "Not A Code", "label_zh": "x", "label_en": "x", "sensitive": False}, format="json").json())
    bodies.append(bureau_api.post("/api/v1/consent/purposes", {
        "code": "Not A Code", "label_zh": "x", "label_en": "x", "categories": ["identity.name"],
        "retention_days": 0}, format="json").json())
    messages = [m for body in bodies for m in _messages(body)]
    older = make_citizen(username="older", birth="19480101")
    carer = make_citizen(username="carer")
    for attempt in (
        lambda: services.representation_create(representative=carer, represented=older, kind="carer",
                                               valid_from=later(days=2), valid_until=later(days=1)),
        lambda: services.representation_create(representative=older, represented=older, kind="carer",
                                               valid_until=later(days=1)),
    ):
        with pytest.raises(ValidationError) as refused:
            attempt()
        messages += refused.value.messages
        fields = errors.django_validation_fields(refused.value)
        assert "non_field_errors" not in fields, fields
    # Then none of the answers names a constraint
    assert messages
    leaked = [m for m in messages if any(name in m for name in NAMES)]
    assert not leaked
