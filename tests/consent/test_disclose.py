"""The gate: every path of disclose() — and every one of them leaves an access-log row."""

import dataclasses

import pytest
from django.db import connection, transaction

from apps.consent import services
from apps.consent.models import AccessGrant, AccessLog, Consent
from apps.identity import services as identity_services
from apps.identity.models import Citizen, Organization
from citycode.errors import DomainError, Forbidden, NotFound
from tests.consent.conftest import later

pytestmark = pytest.mark.django_db


def denied(**kw) -> services.DisclosureDenied:
    before = AccessLog.objects.count()
    with pytest.raises(services.DisclosureDenied) as exc:
        services.disclose(**kw)
    # every denial leaves exactly one log row, naming the precise reason
    assert AccessLog.objects.count() == before + 1
    row = AccessLog.objects.get(pk=exc.value.log_id)
    assert (row.outcome, row.reason, row.categories) == ("denied", exc.value.reason, [])
    # while the organization is told only that nothing was disclosed
    assert exc.value.code == "not_disclosed"
    return exc.value


def allowed(**kw) -> services.Disclosure:
    before = AccessLog.objects.count()
    result = services.disclose(**kw)
    assert AccessLog.objects.count() == before + 1
    row = AccessLog.objects.get(pk=result.log_id)
    assert (row.outcome, row.reason, tuple(row.categories), row.basis) == (
        "allowed", "", result.categories, result.basis)
    return result


def test_no_grant_is_denied(alice, library):
    # Given a consent but no grant for the library
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    # When the library asks, Then it is denied for lack of a grant
    error = denied(organization=library, purpose="venue.entry", citizen=alice, categories=["identity.adult"])
    assert error.reason == "no_grant"
    assert isinstance(error, Forbidden) and error.status_code == 403


def test_an_unknown_purpose_is_refused_before_anything_is_written(alice, library):
    # Given any API caller's own text as the purpose
    before = AccessLog.objects.count()
    # When it asks for alice's data with it
    with pytest.raises(NotFound) as exc:
        services.disclose(organization=library, purpose="x" * 64, citizen=alice)
    # Then it is refused as an unknown purpose, and nothing lands in alice's log (nor anyone's)
    assert exc.value.code == "unknown_purpose"
    assert AccessLog.objects.count() == before
    assert not AccessLog.objects.filter(citizen=alice).exists()


def test_a_grant_without_consent_is_denied_for_a_consent_purpose(alice, library, grant):
    grant(library, "venue.entry")
    assert denied(organization=library, purpose="venue.entry", citizen=alice).reason == "no_consent"


def test_grant_and_consent_return_only_the_consented_categories(alice, library, grant):
    # Given a grant and a consent to one of the purpose's two categories
    grant(library, "venue.entry")
    consent = services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"],
                                    organization=library)
    # When the library asks for both
    result = allowed(organization=library, purpose="venue.entry", citizen=alice,
                     categories=["identity.name", "identity.adult"])
    # Then only the consented one comes back, on the basis of consent
    assert result.categories == ("identity.adult",)
    assert result.basis == "consent" and result.consent_ids == (consent.pk,)
    # And asking for everything the bound allows (categories=None) also yields only the consented one
    assert allowed(organization=library, purpose="venue.entry", citizen=alice).categories == ("identity.adult",)


def test_asking_only_for_unconsented_categories_is_denied(alice, library, grant):
    grant(library, "venue.entry")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    error = denied(organization=library, purpose="venue.entry", citizen=alice, categories=["identity.name"])
    assert error.reason == "category_not_consented"


def test_a_category_outside_the_purpose_bound_is_denied(alice, library, grant):
    grant(library, "venue.entry")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult", "identity.name"])
    error = denied(organization=library, purpose="venue.entry", citizen=alice,
                   categories=["identity.adult", "identity.phone"])
    assert error.reason == "category_not_allowed"


def test_withdrawal_denies_the_very_next_call(alice, library, grant):
    grant(library, "venue.entry")
    consent = services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    allowed(organization=library, purpose="venue.entry", citizen=alice)
    # When alice withdraws
    services.consent_withdraw(consent=consent)
    # Then the next call is denied and says why
    assert denied(organization=library, purpose="venue.entry", citizen=alice).reason == "consent_withdrawn"


def test_an_expired_consent_is_denied(alice, library, grant):
    grant(library, "venue.entry")
    consent = services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"],
                                    expires_at=later(hours=1))
    allowed(organization=library, purpose="venue.entry", citizen=alice)
    # When the consent's hour has passed (moved into the past in the database)
    Consent.objects.filter(pk=consent.pk).update(given_at=later(days=-2), expires_at=later(seconds=-1))
    # Then it no longer allows anything
    assert denied(organization=library, purpose="venue.entry", citizen=alice).reason == "consent_expired"


def test_an_expired_grant_stops_working(alice, library, grant):
    # Given a grant valid for another hour, and a consent
    the_grant = grant(library, "venue.entry", valid_until=later(hours=1))
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    allowed(organization=library, purpose="venue.entry", citizen=alice)
    # When the grant's end has passed
    AccessGrant.objects.filter(pk=the_grant.pk).update(valid_from=later(days=-10), valid_until=later(seconds=-1))
    # Then the expired grant is refused, even with a valid consent
    assert denied(organization=library, purpose="venue.entry", citizen=alice).reason == "grant_expired"


def test_a_grant_created_already_expired_never_works(alice, library, grant):
    grant(library, "venue.entry", valid_from=later(days=-30), valid_until=later(days=-1))
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    assert denied(organization=library, purpose="venue.entry", citizen=alice).reason == "grant_expired"


def test_a_future_grant_does_not_work_yet(alice, library, grant):
    grant(library, "venue.entry", valid_from=later(days=1))
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    assert denied(organization=library, purpose="venue.entry", citizen=alice).reason == "grant_not_yet_valid"


def test_a_revoked_grant_is_denied_on_the_next_call(alice, library, grant, bureau_admin):
    the_grant = grant(library, "venue.entry")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    allowed(organization=library, purpose="venue.entry", citizen=alice)
    services.access_grant_revoke(grant=the_grant, revoked_by=bureau_admin)
    assert denied(organization=library, purpose="venue.entry", citizen=alice).reason == "grant_revoked"


def test_a_renewed_grant_works_beside_an_expired_one(alice, library, grant):
    grant(library, "venue.entry", valid_from=later(days=-30), valid_until=later(days=-1))
    grant(library, "venue.entry")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    assert allowed(organization=library, purpose="venue.entry", citizen=alice).categories == ("identity.adult",)


def test_a_consent_for_one_organization_does_not_cover_another(alice, library, hospital, grant, make_org):
    gym = make_org("city-gym", Organization.Kind.VENUE)
    grant(library, "venue.entry")
    grant(gym, "venue.entry")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"], organization=library)
    allowed(organization=library, purpose="venue.entry", citizen=alice)
    assert denied(organization=gym, purpose="venue.entry", citizen=alice).reason == "no_consent"


def test_a_consent_to_a_purpose_without_organization_covers_every_granted_one(alice, library, grant, make_org):
    gym = make_org("city-gym", Organization.Kind.VENUE)
    grant(library, "venue.entry")
    grant(gym, "venue.entry")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    allowed(organization=library, purpose="venue.entry", citizen=alice)
    allowed(organization=gym, purpose="venue.entry", citizen=alice)


def test_a_statutory_purpose_needs_a_grant_but_no_consent(alice, make_org, grant):
    police = make_org("traffic-police")
    assert denied(organization=police, purpose="licence.traffic_check", citizen=alice).reason == "no_grant"
    grant(police, "licence.traffic_check")
    result = allowed(organization=police, purpose="licence.traffic_check", citizen=alice,
                     categories=["licence.driving"])
    assert result.basis == "statutory" and result.categories == ("licence.driving",)


def test_the_emergency_basis_works_inside_its_period_and_not_after(alice, make_org, grant, bureau_admin):
    # Given an emergency-basis purpose, a grant for the health commission, and no consent
    services.purpose_upsert(code="health.contact_tracing", label_zh="流调", label_en="Contact tracing",
                            legal_basis="emergency", categories=["location.whereabouts"], retention_days=14)
    commission = make_org("health-commission")
    grant(commission, "health.contact_tracing")
    ask = dict(organization=commission, purpose="health.contact_tracing", citizen=alice)
    assert denied(**ask).reason == "no_consent"
    # When an emergency covering it is declared, Then the purpose is allowed on the emergency basis
    emergency = services.emergency_declare(
        name="Outbreak", legal_reference="传染病防治法 第三十九条", purposes=["health.contact_tracing"],
        starts_at=later(hours=-1), ends_at=later(days=7), declared_by=bureau_admin)
    disclosure = allowed(**ask)
    assert disclosure.basis == "emergency"
    # And the log row names the emergency that allowed it (the citizen sees its name and legal reference)
    assert AccessLog.objects.get(pk=disclosure.log_id).emergency_id == emergency.pk
    # When the emergency ends, Then consent is needed again
    services.emergency_end(emergency=emergency)
    assert denied(**ask).reason == "no_consent"
    # And with a fresh (separate, sensitive) consent it works on the consent basis
    services.consent_give(citizen=alice, purpose="health.contact_tracing", categories=["location.whereabouts"],
                          sensitive_confirmed=True)
    assert allowed(**ask).basis == "consent"


def test_an_emergency_not_yet_started_gives_no_basis(alice, make_org, grant, bureau_admin):
    services.purpose_upsert(code="health.contact_tracing", label_zh="流调", label_en="Contact tracing",
                            legal_basis="emergency", categories=["location.whereabouts"], retention_days=14)
    commission = make_org("health-commission")
    grant(commission, "health.contact_tracing")
    services.emergency_declare(name="Drill", legal_reference="ref", purposes=["health.contact_tracing"],
                               starts_at=later(days=1), ends_at=later(days=2), declared_by=bureau_admin)
    assert denied(organization=commission, purpose="health.contact_tracing", citizen=alice).reason == "no_consent"


def test_an_emergency_cannot_cover_a_consent_purpose(bureau_admin):
    with pytest.raises(DomainError) as exc:
        services.emergency_declare(name="x", legal_reference="ref", purposes=["transit.boarding"],
                                   starts_at=later(hours=-1), ends_at=later(days=1), declared_by=bureau_admin)
    assert exc.value.code == "purpose_not_emergency"


def test_an_inactive_purpose_is_denied(alice, library, grant):
    grant(library, "venue.entry")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    services.purpose_set_active(purpose=services._purpose("venue.entry"), is_active=False)
    assert denied(organization=library, purpose="venue.entry", citizen=alice).reason == "purpose_not_allowed"


def test_staff_and_machines_act_only_for_their_own_organization(alice, library, hospital, grant):
    grant(library, "venue.entry")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    librarian = Citizen.objects.create(username="librarian", name="馆员")
    identity_services.membership_set(user=librarian, organization=library, role="staff")
    outsider = Citizen.objects.create(username="nurse", name="护士")
    identity_services.membership_set(user=outsider, organization=hospital, role="staff")
    reader, _key = identity_services.api_client_create(organization=library, name="gate-1")
    foreign, _key = identity_services.api_client_create(organization=hospital, name="desk-1")

    ok = allowed(organization=library, purpose="venue.entry", citizen=alice, actor=librarian, request_id="req-1")
    row = AccessLog.objects.get(pk=ok.log_id)
    assert (row.actor_kind, row.actor_id, row.actor_label) == ("staff", librarian.pk, "librarian")
    assert row.request_id == "req-1"
    allowed(organization=library, purpose="venue.entry", citizen=alice, actor=reader)
    assert denied(organization=library, purpose="venue.entry", citizen=alice, actor=outsider).reason == \
        "actor_not_authorized"
    assert denied(organization=library, purpose="venue.entry", citizen=alice, actor=foreign).reason == \
        "actor_not_authorized"
    # When the librarian's membership ends, Then the next call under their name is refused
    identity_services.membership_remove(user=librarian, organization=library)
    librarian = Citizen.objects.get(pk=librarian.pk)
    assert denied(organization=library, purpose="venue.entry", citizen=alice, actor=librarian).reason == \
        "actor_not_authorized"


def test_sensitive_data_needs_its_own_explicit_consent(alice, hospital, grant):
    grant(hospital, "medical.registration")
    # A sensitive category bundled into an ordinary consent is refused, and nothing is stored
    with pytest.raises(DomainError) as exc:
        services.consent_give(citizen=alice, purpose="medical.registration",
                              categories=["identity.name", "medical.visits"], sensitive_confirmed=True)
    assert exc.value.code == "sensitive_bundled"
    # A separate consent without the explicit confirmation is refused too
    with pytest.raises(DomainError) as exc:
        services.consent_give(citizen=alice, purpose="medical.registration", categories=["medical.visits"])
    assert exc.value.code == "sensitive_needs_explicit_consent"
    assert not Consent.objects.exists()
    # Given the ordinary consent and the separate explicit one
    services.consent_give(citizen=alice, purpose="medical.registration", categories=["identity.name"])
    sensitive = services.consent_give(citizen=alice, purpose="medical.registration", categories=["medical.visits"],
                                      sensitive_confirmed=True)
    assert sensitive.sensitive
    result = allowed(organization=hospital, purpose="medical.registration", citizen=alice,
                     categories=["identity.name", "medical.visits"])
    assert result.categories == ("identity.name", "medical.visits")
    # Withdrawing only the sensitive consent keeps the ordinary data flowing, not the sensitive
    services.consent_withdraw(consent=sensitive)
    result = allowed(organization=hospital, purpose="medical.registration", citizen=alice,
                     categories=["identity.name", "medical.visits"])
    assert result.categories == ("identity.name",)


def test_a_failure_after_the_check_leaves_neither_disclosure_nor_log_row(alice, library, grant):
    grant(library, "venue.entry")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])

    # Given the database refuses the access-log insert (a disk full, a lost connection)
    def refuse_log_insert(execute, sql, params, many, context):
        if "INSERT INTO consent_accesslog" in sql:
            raise RuntimeError("database refused the write")
        return execute(sql, params, many, context)

    # When disclose runs, Then it fails and nothing is disclosed or logged
    with connection.execute_wrapper(refuse_log_insert), pytest.raises(RuntimeError):
        services.disclose(organization=library, purpose="venue.entry", citizen=alice)
    assert not AccessLog.objects.exists()

    # And when the caller's own transaction fails after the disclosure, the log row goes with it
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        services.disclose(organization=library, purpose="venue.entry", citizen=alice)
        1 / 0
    assert not AccessLog.objects.exists()
    # And the chain stays consistent for the next disclosure
    result = allowed(organization=library, purpose="venue.entry", citizen=alice)
    assert AccessLog.objects.get(pk=result.log_id).seq == 1


@pytest.mark.django_db(transaction=True)
def test_a_denial_row_is_committed_even_though_disclose_raises(alice, library):
    # Given no outer transaction (autocommit, as in a view)
    with pytest.raises(services.DisclosureDenied) as exc:
        services.disclose(organization=library, purpose="venue.entry", citizen=alice)
    # Then the denial row is durable: visible from a fresh connection's point of view after the call
    from django.db import connections

    connections.close_all()
    assert AccessLog.objects.filter(pk=exc.value.log_id, reason="no_grant").exists()


def test_each_citizen_gets_a_contiguous_chain(alice, make_citizen, library, grant):
    bob = make_citizen(username="bob", name="王博")
    grant(library, "venue.entry")
    for who in (alice, bob, alice):
        services.consent_give(citizen=who, purpose="venue.entry", categories=["identity.adult"])
        services.disclose(organization=library, purpose="venue.entry", citizen=who)
    rows = list(AccessLog.objects.filter(citizen=alice).order_by("seq"))
    assert [r.seq for r in rows] == [1, 2]
    assert rows[1].prev_hash == rows[0].hash
    assert AccessLog.objects.get(citizen=bob).seq == 1


def test_disclosure_is_frozen_with_sorted_categories(alice, library, grant):
    grant(library, "venue.entry")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.name", "identity.adult"])
    result = services.disclose(organization=library, purpose="venue.entry", citizen=alice,
                               categories=["identity.name", "identity.adult", "identity.name"])
    assert result.categories == ("identity.adult", "identity.name")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.basis = "statutory"
