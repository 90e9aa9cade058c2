"""The licence office defines types and issues, renews, suspends, reinstates and revokes licences; every refusal
is a 4xx code and writes nothing; only the office's own staff act on its licences."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.codes.plugin_api import Conflict, DomainError, Forbidden, NotFound, registry
from apps.identity import services as identity_services
from apps.identity.models import Citizen, Organization
from apps.licences import selectors, services
from apps.licences.models import Licence, LicenceEvent, LicenceType

from .conftest import DRIVING_FIELDS, PURPOSE_FIELDS

pytestmark = pytest.mark.django_db

VALUES = {"vehicle_class": "C1", "first_issued": "2012-05-01", "address": "渝中区"}


def define(office, by, **changes):
    kw = dict(office=office, by=by, type_code="JSZC1", authority_code="11500000MB1234567X", label_zh="驾驶证",
              label_en="Driving licence", category="licence.driving", fields=DRIVING_FIELDS,
              purpose_fields=PURPOSE_FIELDS, validity_days=365)
    return services.licence_type_define(**{**kw, **changes})


def test_issuing_numbers_licences_in_the_gbt_36904_shape(driving_type, clerk, make_citizen):
    # Given two citizens
    first = services.licence_issue(licence_type=driving_type, citizen=make_citizen(), values=VALUES, issued_by=clerk)
    second = services.licence_issue(licence_type=driving_type, citizen=make_citizen(), values=VALUES, issued_by=clerk)
    # Then each gets the next serial, and an identifier of type code, issuing authority and serial
    assert (first.serial, second.serial) == (1, 2)
    assert second.identifier == "JSZC1-11500000MB1234567X-00000002"
    assert first.valid_until - first.valid_from == dt.timedelta(days=6 * 365)
    assert [e.action for e in selectors.licence_event_list(licence=first)] == ["issued"]


def test_one_licence_of_a_type_per_citizen_until_revoked(licence, clerk, alice):
    with pytest.raises(Conflict) as refused:
        services.licence_issue(licence_type=licence.licence_type, citizen=alice, values=VALUES, issued_by=clerk)
    assert refused.value.code == "licence_exists"
    services.licence_revoke(licence=licence, by=clerk, reason="换证")
    again = services.licence_issue(licence_type=licence.licence_type, citizen=alice, values=VALUES, issued_by=clerk)
    assert again.serial == licence.serial + 1


@pytest.mark.parametrize("values", [{}, {**VALUES, "extra": "x"}, {**VALUES, "first_issued": "yesterday"},
                                    {**VALUES, "vehicle_class": ""}, "C1"])
def test_bad_values_are_refused_without_a_write(driving_type, clerk, make_citizen, values):
    with pytest.raises(DomainError) as refused:
        services.licence_issue(licence_type=driving_type, citizen=make_citizen(), values=values, issued_by=clerk)
    assert refused.value.code == "bad_values"
    assert not Licence.objects.exists()
    assert LicenceType.objects.get().next_serial == 1


def test_only_the_office_s_own_staff_issue_and_act(driving_type, licence, make_citizen, make_org):
    # Given staff of another office, and a citizen with no role at all
    other_office = make_org("other-office", Organization.Kind.LICENCE_OFFICE)
    stranger = Citizen.objects.create(username="stranger", name="外单位")
    identity_services.membership_set(user=stranger, organization=other_office, role="admin")
    for person in (stranger, make_citizen()):
        # Then neither issues, suspends, revokes, renews nor redefines the type
        with pytest.raises(Forbidden):
            services.licence_issue(licence_type=driving_type, citizen=make_citizen(), values=VALUES, issued_by=person)
        for act in (services.licence_suspend, services.licence_revoke):
            with pytest.raises(Forbidden):
                act(licence=licence, by=person, reason="x")
        with pytest.raises(Forbidden):
            services.licence_renew(licence=licence, by=person)
        with pytest.raises(Forbidden):
            define(other_office if person == stranger else driving_type.office, person)
    licence.refresh_from_db()
    assert licence.status == "active" and Licence.objects.count() == 1


def test_a_type_may_not_show_a_purpose_more_than_its_bound(office, clerk):
    # hotel.check_in may receive identity.adult and identity.name: the vehicle class is licence.driving
    with pytest.raises(DomainError) as refused:
        define(office, clerk, purpose_fields={"hotel.check_in": ["age_over_18", "vehicle_class"]})
    assert refused.value.code == "element_outside_purpose"
    with pytest.raises(NotFound) as refused:
        define(office, clerk, purpose_fields={"no.such_purpose": ["name"]})
    assert refused.value.code == "unknown_purpose"
    assert not LicenceType.objects.exists()


@pytest.mark.parametrize("fields", [
    [{"key": "name", "kind": "string", "label_zh": "姓名", "label_en": "Name"}],  # clashes with a standard one
    [{"key": "x", "kind": "blob", "label_zh": "x", "label_en": "x"}],
    [{"key": "Bad Key", "kind": "string", "label_zh": "x", "label_en": "x"}],
    [{"key": "x", "kind": "string", "label_zh": "", "label_en": "x"}],
    "vehicle_class",
])
def test_bad_field_definitions_are_refused(office, clerk, fields):
    with pytest.raises(DomainError) as refused:
        define(office, clerk, fields=fields, purpose_fields={})
    assert refused.value.code == "bad_fields"


def test_only_a_licence_office_defines_types(make_org, clerk):
    venue = make_org("a-venue", Organization.Kind.VENUE)
    identity_services.membership_set(user=clerk, organization=venue, role="staff")
    with pytest.raises(DomainError) as refused:
        define(venue, clerk)
    assert refused.value.code == "not_a_licence_office"


def test_renewal_only_within_its_window_and_never_after_revocation(licence, clerk):
    with pytest.raises(Conflict) as refused:
        services.licence_renew(licence=licence, by=clerk)
    assert refused.value.code == "not_renewable_yet"
    Licence.objects.filter(pk=licence.pk).update(valid_until=timezone.localdate() + dt.timedelta(days=10))
    renewed = services.licence_renew(licence=licence, by=clerk)
    assert renewed.valid_until == timezone.localdate() + dt.timedelta(days=10 + 6 * 365)
    services.licence_revoke(licence=licence, by=clerk, reason="x")
    for act in (lambda: services.licence_renew(licence=licence, by=clerk),
                lambda: services.licence_reinstate(licence=licence, by=clerk),
                lambda: services.licence_suspend(licence=licence, by=clerk, reason="x")):
        with pytest.raises(Conflict) as refused:
            act()
        assert refused.value.code == "licence_revoked"


def test_revoking_twice_changes_nothing_and_ends_the_wallet_code(licence, clerk, alice):
    code_type = registry.get("licence")
    assert code_type.claims_for(alice) == {"n": 1}
    services.licence_revoke(licence=licence, by=clerk, reason="吊销")
    services.licence_revoke(licence=licence, by=clerk, reason="again")
    assert LicenceEvent.objects.filter(licence=licence, action="revoked").count() == 1
    assert code_type.claims_for(alice) is None
    assert code_type.provide(citizen=alice, categories=["licence.driving"]) == {"licence.driving": []}


def test_a_suspended_licence_gets_no_new_copy(licence, clerk):
    services.licence_suspend(licence=licence, by=clerk, reason="x")
    with pytest.raises(Conflict) as refused:
        services.credential_issue(licence=licence)
    assert refused.value.code == "licence_not_in_force"


def test_a_request_needs_a_purpose_the_type_shows_something_to_and_a_grant(driving_type, make_org, hotel):
    shop = make_org("shop")
    with pytest.raises(DomainError) as refused:
        services.presentation_request_create(verifier=shop, licence_type=driving_type, purpose="venue.entry")
    assert refused.value.code == "purpose_not_for_type"
    with pytest.raises(NotFound):
        services.presentation_request_create(verifier=shop, licence_type=driving_type, purpose="nope")
    # A hotel (granted hotel.check_in only) cannot ask for a traffic check's fields
    with pytest.raises(Forbidden) as refused:
        services.presentation_request_create(verifier=hotel, licence_type=driving_type,
                                             purpose="licence.traffic_check")
    assert refused.value.code == "no_grant_for_purpose"
    assert not driving_type.requests.exists()


def test_another_citizen_cannot_answer_with_alice_s_licence(licence, police, make_citizen):
    # Given a request, and bob who holds no licence of the type
    request = services.presentation_request_create(verifier=police, licence_type=licence.licence_type,
                                                   purpose="licence.traffic_check")
    bob = make_citizen(username="bob")
    # When bob answers it, nothing of alice's is used: he holds no such licence
    with pytest.raises(NotFound) as refused:
        services.presentation_create(citizen=bob, nonce=request.nonce, elements=["vehicle_class"])
    assert refused.value.code == "licence_not_found"


def test_an_expired_request_cannot_be_answered(licence, police, alice):
    request = services.presentation_request_create(verifier=police, licence_type=licence.licence_type,
                                                   purpose="licence.traffic_check")
    type(request).objects.filter(pk=request.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1),
                                                       created_at=timezone.now() - dt.timedelta(minutes=11))
    with pytest.raises(Conflict) as refused:
        services.presentation_create(citizen=alice, nonce=request.nonce, elements=["vehicle_class"])
    assert refused.value.code == "request_expired"


def test_the_export_carries_licences_events_and_copies(licence, police, alice, clerk):
    request = services.presentation_request_create(verifier=police, licence_type=licence.licence_type,
                                                   purpose="licence.traffic_check")
    services.presentation_create(citizen=alice, nonce=request.nonce, elements=["vehicle_class"])
    exported = registry.get("licence").export(alice)
    [entry] = exported["licences"]
    assert entry["identifier"] == licence.identifier and len(entry["copies"]) == 1
    assert [e["action"] for e in entry["events"]] == ["issued"]
    staff = registry.get("licence").export(clerk)["acts_as_office_staff"]
    assert staff == [{"action": "issued", "at": staff[0]["at"], "licence_type": "JSZC1"}]
    assert licence.identifier not in str(staff)
