"""The plugin API's section for apps.medical: staff checks through identity's object permissions, the lazy
DomainError, and scan actions (registered at start-up only, one per purpose, run by core's /scan after the gate)."""

import pytest

from apps.codes import plugin_api
from apps.codes.plugin_api import ImproperlyConfigured
from apps.identity import services as identity_services
from apps.identity.models import Citizen, Organization
from citycode import errors


@pytest.fixture
def hospitals(make_org):
    return make_org("h-a", kind=Organization.Kind.HOSPITAL), make_org("h-b", kind=Organization.Kind.HOSPITAL)


@pytest.mark.django_db
def test_staff_check_follows_roles_in_that_organization_only(hospitals):
    # Given a staff member of A and a viewer of B, and a superuser with no role
    a, b = hospitals
    person = Citizen.objects.create(username="nurse")
    identity_services.membership_set(user=person, organization=a, role="staff")
    identity_services.membership_set(user=person, organization=b, role="viewer")
    boss = Citizen.objects.create(username="root", is_superuser=True)
    # Then they act for A, only view B, and the superuser acts for neither
    assert plugin_api.organization_staff_check(user=person, organization=a)
    assert not plugin_api.organization_staff_check(user=person, organization=b)
    assert plugin_api.organization_staff_check(user=person, organization=b, perm=plugin_api.STAFF_VIEW)
    assert not plugin_api.organization_staff_check(user=boss, organization=a)
    assert list(plugin_api.organization_staff_list(user=person)) == [a]
    # And an inactive organization is acted for by nobody
    a.is_active = False
    a.save()
    assert not plugin_api.organization_staff_check(user=person, organization=a)
    with pytest.raises(ValueError):
        plugin_api.organization_staff_check(user=person, organization=b, perm="everything")


@pytest.mark.django_db
def test_organization_ensure_is_idempotent():
    first = plugin_api.organization_ensure(slug="h-x", name="医院", kind="hospital")
    again = plugin_api.organization_ensure(slug="h-x", name="别的名字", kind="hospital")
    assert first.pk == again.pk and again.name == "医院"
    assert plugin_api.organization_get(slug="h-x") == first and plugin_api.organization_get(slug="none") is None


def test_domain_error_is_core_s_and_unknown_names_still_fail():
    assert plugin_api.DomainError is errors.DomainError
    with pytest.raises(AttributeError):
        plugin_api.NoSuchThing  # noqa: B018


def test_scan_actions_register_only_during_start_up_and_once_per_purpose():
    # The process registry is locked after start-up: a late action is refused
    with pytest.raises(ImproperlyConfigured):
        plugin_api.scan_action_register(purpose="x.y", action=lambda **kw: {}, app_name="apps.medical")
    # medical.registration has exactly the medical app's action
    assert plugin_api._scan_actions["medical.registration"][0] == "apps.medical"


def test_a_purpose_without_an_action_runs_nothing():
    assert plugin_api.scan_action_run(organization=None, purpose="venue.entry", citizen=None, actor=None,
                                      code_type="city") is None


def test_a_second_action_for_one_purpose_and_an_app_off_the_allowlist_are_refused(monkeypatch):
    # Given an unlocked registry (as during start-up)
    monkeypatch.setattr(plugin_api.registry, "_follow_startup", False)
    monkeypatch.setattr(plugin_api, "_scan_actions", plugin_api._ScanActions(plugin_api._scan_actions))
    with pytest.raises(ImproperlyConfigured, match="already has a scan action"):
        plugin_api.scan_action_register(purpose="medical.registration", action=lambda **kw: {},
                                        app_name="apps.talent")
    with pytest.raises(ImproperlyConfigured, match="not in CITYCODE_CODE_TYPES"):
        plugin_api.scan_action_register(purpose="x.new", action=lambda **kw: {}, app_name="apps.rogue")
    # And a new purpose from an allowlisted app runs with what core passes it
    seen = {}
    plugin_api.scan_action_register(purpose="x.new", action=lambda **kw: seen.update(kw) or {"ok": 1},
                                    app_name="apps.talent")
    assert plugin_api.scan_action_run(organization="o", purpose="x.new", citizen="c", actor="a",
                                      code_type="t") == {"ok": 1}
    assert seen == {"organization": "o", "purpose": "x.new", "citizen": "c", "actor": "a", "code_type": "t"}
