"""The gate's checks, each pinned by a test that fails when the check is lost.

Every test here killed a mutant that survived the whole suite (issue 15): a dropped SQL condition, a
denial reason set to nothing, a cache that never refreshes, an expiry that is never stored. They run on
SQLite and PostgreSQL alike; tools/mutation/sql_mutants.py applies the SQL mutants and expects these to fail.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.consent import services
from apps.consent.models import AccessLog, Consent
from apps.identity.models import Organization
from citycode.errors import DomainError, NotFound
from tests.consent.conftest import later

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    """Move the platform's clock forward without touching any stored row (no `.update()` tricks)."""
    real_now = timezone.now

    class Clock:
        offset = dt.timedelta(0)

        def advance(self, **kw):
            self.offset += dt.timedelta(**kw)

    the_clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: real_now() + the_clock.offset)
    return the_clock


@pytest.fixture
def bob(make_citizen):
    return make_citizen(username="bob", name="王博")


def denial(**kw) -> tuple[str, AccessLog]:
    with pytest.raises(services.DisclosureDenied) as exc:
        services.disclose(**kw)
    # the precise reason (the organization itself only ever sees the generic not_disclosed)
    return exc.value.reason, AccessLog.objects.get(pk=exc.value.log_id)


def change_purpose(proposer, approver, *, categories: list[str]) -> None:
    """Change venue entry's bound the only way there is: one bureau administrator proposes, another approves."""
    proposal = services.purpose_change_propose(code="venue.entry", label_zh="场馆入场", label_en="Venue entry",
                                               categories=categories, retention_days=30, proposed_by=proposer)
    assert services.proposal_approve(proposal=proposal, approved_by=approver).state == "approved"


# -- whose grant, whose consent ------------------------------------------------------------------------------


def test_the_hospital_cannot_use_the_librarys_grant(alice, library, hospital, grant):
    # Given the library holds a grant for venue entry and alice consented to it for any organization
    grant(library, "venue.entry")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    # When the hospital, which holds no such grant, asks
    code, row = denial(organization=hospital, purpose="venue.entry", citizen=alice)
    # Then it is refused for lack of its own grant, and nothing is disclosed
    assert code == "no_grant"
    assert (row.organization_id, row.categories) == (hospital.pk, [])
    # And the library's own request still works
    assert services.disclose(organization=library, purpose="venue.entry", citizen=alice).categories == (
        "identity.adult",)


def test_a_grant_for_one_purpose_does_not_authorize_another(alice, library, grant):
    # Given the library holds a grant for venue entry only, and alice consented to hospital registration
    grant(library, "venue.entry")
    services.consent_give(citizen=alice, purpose="medical.registration", categories=["identity.name"])
    # When the library asks for hospital registration, Then it has no grant for that purpose
    code, _row = denial(organization=library, purpose="medical.registration", citizen=alice)
    assert code == "no_grant"


def test_bobs_data_is_not_released_by_alices_consent(alice, bob, library, grant):
    # Given alice consented and bob did not
    grant(library, "venue.entry")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult", "identity.name"])
    # When the library asks for bob's data
    code, row = denial(organization=library, purpose="venue.entry", citizen=bob)
    # Then bob's data is refused: alice's consent is hers alone
    assert code == "no_consent"
    assert row.citizen_id == bob.pk and row.categories == []
    # And alice's still works
    assert services.disclose(organization=library, purpose="venue.entry", citizen=alice).basis == "consent"


def test_a_consent_to_the_library_does_not_cover_the_gym(alice, library, grant, make_org):
    # Given alice consented only for the library, and both the library and the gym hold grants
    gym = make_org("city-gym", Organization.Kind.VENUE)
    grant(library, "venue.entry")
    grant(gym, "venue.entry")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"], organization=library)
    # When the gym asks, Then there is no consent for it
    assert denial(organization=gym, purpose="venue.entry", citizen=alice)[0] == "no_consent"


# -- denials that must stay denials ---------------------------------------------------------------------------


def test_an_inactive_organization_is_refused_despite_grant_and_consent(alice, library, grant):
    # Given a grant and a consent, and then the library is deactivated
    grant(library, "venue.entry")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    library.is_active = False
    library.save()
    # When it asks, Then it is refused, and the row says why and names nothing disclosed
    code, row = denial(organization=library, purpose="venue.entry", citizen=alice)
    assert code == "organization_inactive"
    assert (row.outcome, row.reason, row.categories) == ("denied", "organization_inactive", [])


def test_asking_for_no_category_is_refused(alice, library, grant):
    grant(library, "venue.entry")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    # When the library asks for an empty list of categories (not None, which means "the whole bound")
    code, row = denial(organization=library, purpose="venue.entry", citizen=alice, categories=[])
    # Then it is refused as such, never allowed with nothing
    assert code == "no_categories_requested"
    assert (row.outcome, row.requested) == ("denied", [])


def test_the_newest_consent_decides_the_reason(alice, library, grant, clock):
    # Given alice withdrew an old consent and then gave a new one that has since expired
    grant(library, "venue.entry")
    old = services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    services.consent_withdraw(consent=old)
    clock.advance(minutes=1)
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"],
                          expires_at=timezone.now() + dt.timedelta(hours=1))
    clock.advance(hours=2)
    # When the library asks, Then the reason is the newest consent's: expired
    assert denial(organization=library, purpose="venue.entry", citizen=alice)[0] == "consent_expired"


# -- the access-log row ---------------------------------------------------------------------------------------


def test_the_log_row_records_what_was_requested(alice, library, grant):
    grant(library, "venue.entry")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    # When the library asks for two categories (one twice, out of order) and gets the consented one
    result = services.disclose(organization=library, purpose="venue.entry", citizen=alice,
                               categories=["identity.name", "identity.adult", "identity.name"])
    # Then the row records what was asked for, sorted and once each, beside what was disclosed
    row = AccessLog.objects.get(pk=result.log_id)
    assert row.requested == ["identity.adult", "identity.name"]
    assert row.categories == ["identity.adult"]
    # And asking for "everything" records the purpose's whole bound as requested
    row = AccessLog.objects.get(pk=services.disclose(organization=library, purpose="venue.entry",
                                                     citizen=alice).log_id)
    assert row.requested == ["identity.adult", "identity.name"]
    # And a denial records the request too
    _code, row = denial(organization=library, purpose="venue.entry", citizen=alice, categories=["identity.name"])
    assert row.requested == ["identity.name"]


# -- time: expiry stored, and honoured without touching rows --------------------------------------------------


def test_a_consent_given_with_an_expiry_expires(alice, library, grant, clock):
    # Given a consent for one hour
    grant(library, "venue.entry")
    until = timezone.now() + dt.timedelta(hours=1)
    consent = services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"],
                                    expires_at=until)
    # Then the expiry is stored as given
    consent.refresh_from_db()
    assert consent.expires_at == until
    assert services.disclose(organization=library, purpose="venue.entry", citizen=alice).basis == "consent"
    # When the hour has passed on the clock
    clock.advance(hours=1, seconds=1)
    # Then the consent no longer allows anything
    assert denial(organization=library, purpose="venue.entry", citizen=alice)[0] == "consent_expired"


def test_a_grant_with_an_end_expires(alice, library, grant, clock):
    grant(library, "venue.entry", valid_until=later(hours=1))
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    services.disclose(organization=library, purpose="venue.entry", citizen=alice)
    clock.advance(hours=2)
    assert denial(organization=library, purpose="venue.entry", citizen=alice)[0] == "grant_expired"


def test_a_future_grant_starts_working_when_its_time_comes(alice, library, grant, clock):
    grant(library, "venue.entry", valid_from=later(hours=1))
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    assert denial(organization=library, purpose="venue.entry", citizen=alice)[0] == "grant_not_yet_valid"
    clock.advance(hours=2)
    assert services.disclose(organization=library, purpose="venue.entry", citizen=alice).basis == "consent"


# -- the bound cache ------------------------------------------------------------------------------------------


def test_narrowing_a_purpose_takes_effect_in_a_running_process(alice, library, grant, bureau_admin, second_admin):
    # Given the library already read alice's name and age under venue entry (so this process cached the bound)
    grant(library, "venue.entry")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult", "identity.name"])
    assert services.disclose(organization=library, purpose="venue.entry", citizen=alice).categories == (
        "identity.adult", "identity.name")
    # When the data bureau narrows the purpose to age only (one administrator proposes, a second approves)
    change_purpose(bureau_admin, second_admin, categories=["identity.adult"])
    # Then the very next request for the name is outside the bound
    assert denial(organization=library, purpose="venue.entry", citizen=alice,
                  categories=["identity.name"])[0] == "category_not_allowed"
    # And once alice renews her consent to the changed purpose, "everything" means age only
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    result = services.disclose(organization=library, purpose="venue.entry", citizen=alice)
    assert result.categories == ("identity.adult",)
    assert AccessLog.objects.get(pk=result.log_id).requested == ["identity.adult"]


def test_widening_a_purpose_takes_effect_in_a_running_process(alice, library, grant, bureau_admin, second_admin):
    grant(library, "venue.entry")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    services.disclose(organization=library, purpose="venue.entry", citizen=alice)
    change_purpose(bureau_admin, second_admin, categories=["identity.adult", "identity.name", "identity.phone"])
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])  # renewed
    row = AccessLog.objects.get(pk=services.disclose(organization=library, purpose="venue.entry",
                                                     citizen=alice).log_id)
    assert row.requested == ["identity.adult", "identity.name", "identity.phone"]


# -- consent_give's own checks --------------------------------------------------------------------------------


def test_no_consent_can_be_given_to_an_inactive_purpose(alice):
    services.purpose_set_active(purpose=services._purpose("venue.entry"), is_active=False)
    with pytest.raises(DomainError) as exc:
        services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    assert exc.value.code == "purpose_not_allowed"
    assert not Consent.objects.exists()


def test_no_consent_can_be_given_to_an_inactive_organization(alice, library):
    library.is_active = False
    library.save()
    with pytest.raises(DomainError) as exc:
        services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"],
                              organization=library)
    assert exc.value.code == "organization_inactive"
    assert not Consent.objects.exists()


def test_a_past_expiry_is_refused_with_its_code(alice):
    with pytest.raises(ValidationError) as exc:
        services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"],
                              expires_at=later(seconds=-1))
    assert exc.value.error_dict["expires_at"][0].code == "invalid_expiry"
    assert not Consent.objects.exists()


def test_the_same_consent_to_another_organization_is_another_consent(alice, library, make_org):
    # Given alice consented for the library
    gym = make_org("city-gym", Organization.Kind.VENUE)
    to_library = services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"],
                                       organization=library)
    # When she gives the same consent for the gym, and for no organization in particular
    to_gym = services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"],
                                   organization=gym)
    to_any = services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    # Then each is its own consent, naming its own organization
    assert len({to_library.pk, to_gym.pk, to_any.pk}) == 3
    assert (to_gym.organization_id, to_any.organization_id) == (gym.pk, None)
    # And repeating one returns that one and writes nothing
    again = services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"],
                                  organization=gym)
    assert again.pk == to_gym.pk and Consent.objects.count() == 3


def test_the_same_consent_with_another_expiry_is_another_consent(alice):
    # Given an open-ended consent
    open_ended = services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    # When alice gives it again with an expiry
    until = later(days=1)
    limited = services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"],
                                    expires_at=until)
    # Then that is a new consent carrying the expiry, and the open-ended one is unchanged
    assert limited.pk != open_ended.pk and limited.expires_at == until
    open_ended.refresh_from_db()
    assert open_ended.expires_at is None
    # And giving the limited one again returns it
    assert services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"],
                                 expires_at=until).pk == limited.pk


def test_the_same_consent_with_other_categories_is_another_consent(alice):
    first = services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    second = services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.name"])
    assert first.pk != second.pk and second.categories == ["identity.name"]


# -- the denial's message, and the bound read once per purpose version ----------------------------------------


def test_a_denial_carries_its_human_message(alice, library):
    from django.utils import translation

    with translation.override("en"), pytest.raises(services.DisclosureDenied) as exc:
        services.disclose(organization=library, purpose="venue.entry", citizen=alice)
    # Then the organization gets the generic code and message, in its language
    assert exc.value.reason == "no_grant"
    assert exc.value.code == "not_disclosed"
    assert exc.value.message == "The data was not disclosed."
    with translation.override("zh-hans"), pytest.raises(services.DisclosureDenied) as exc:
        services.disclose(organization=library, purpose="venue.entry", citizen=alice)
    assert (exc.value.code, exc.value.message) == ("not_disclosed", "未提供数据。")
    # And the precise reason, kept in the citizen's log row, has its own human message there, in Chinese too
    row = AccessLog.objects.get(pk=exc.value.log_id)
    assert row.reason == "no_grant"
    with translation.override("zh-hans"):
        assert str(services.DENIAL_MESSAGES[row.reason]) == "该机构没有此用途的访问授权。"
    with translation.override("en"):
        assert str(services.DENIAL_MESSAGES[row.reason]) == "The organization holds no grant for this purpose."


def test_the_bound_is_read_once_per_purpose_version_not_on_every_request(alice, library, grant, bureau_admin,
                                                                         second_admin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    grant(library, "venue.entry")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    services.disclose(organization=library, purpose="venue.entry", citizen=alice)
    # When the same purpose is asked again, Then its bound comes from the process cache
    with CaptureQueriesContext(connection) as queries:
        services.disclose(organization=library, purpose="venue.entry", citizen=alice)
    assert not [q for q in queries.captured_queries if "consent_datacategory" in q["sql"]]
    # And after the bound changes (proposed and approved) it is read again, once
    change_purpose(bureau_admin, second_admin, categories=["identity.adult"])
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])  # renewed
    with CaptureQueriesContext(connection) as queries:
        services.disclose(organization=library, purpose="venue.entry", citizen=alice)
    assert len([q for q in queries.captured_queries if "consent_datacategory" in q["sql"]]) == 1


def test_a_disclosure_names_the_grant_it_rests_on(alice, library, grant):
    # Given an expired grant and the renewed one
    grant(library, "venue.entry", valid_from=later(days=-30), valid_until=later(days=-1))
    renewed = grant(library, "venue.entry")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    # Then the disclosure names the live grant (a Purpose object works as well as its code)
    result = services.disclose(organization=library, purpose=services._purpose("venue.entry"), citizen=alice)
    assert (result.grant_id, result.purpose) == (renewed.pk, "venue.entry")
    assert (result.organization, result.citizen_id) == ("city-library", alice.pk)


def test_the_log_row_names_purpose_organization_and_actor(alice, library, grant):
    grant(library, "venue.entry")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    row = AccessLog.objects.get(pk=services.disclose(organization=library, purpose="venue.entry",
                                                     citizen=alice).log_id)
    # Then the citizen's "who read my data" can say who, for what, and the row has no request id unless given one
    assert (row.purpose_code, row.organization_slug, row.organization_id, row.request_id) == (
        "venue.entry", "city-library", library.pk, "")
    # And the actor is stored as structure: the organization's own system, its id, and just its name
    assert (row.actor_kind, row.actor_id, row.actor_label, row.emergency_id) == (
        AccessLog.ActorKind.ORGANIZATION, library.pk, library.name, None)
    # And an unknown purpose is refused before anything is logged: the caller's text never enters the chain
    rows = AccessLog.objects.count()
    with pytest.raises(NotFound) as exc:
        services.disclose(organization=library, purpose="marketing.everything", citizen=alice)
    assert exc.value.code == "unknown_purpose"
    assert AccessLog.objects.count() == rows
    assert not AccessLog.objects.filter(purpose_code="marketing.everything").exists()


def test_overlong_request_ids_and_purpose_codes_are_cut_to_the_columns(alice, library):
    # Given a caller sending a 100-character request id for a purpose it holds no grant for
    _code, row = denial(organization=library, purpose="venue.entry", citizen=alice, request_id="r" * 100)
    # Then the row keeps the first 64 characters (as PostgreSQL's column would require)
    assert (row.reason, row.purpose_code, row.request_id) == ("no_grant", "venue.entry", "r" * 64)
    # And a 100-character unknown purpose code is refused as unknown (a 404, never a database error or a 500),
    # with nothing logged
    rows = AccessLog.objects.count()
    with pytest.raises(NotFound) as exc:
        services.disclose(organization=library, purpose="p" * 100, citizen=alice, request_id="r" * 100)
    assert exc.value.code == "unknown_purpose"
    assert AccessLog.objects.count() == rows
