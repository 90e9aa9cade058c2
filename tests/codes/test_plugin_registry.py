"""The code-type registry: refuses duplicates, wrong types, apps off the allowlist, and late registration."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.codes.plugin_api import (
    CategorySpec,
    CodeType,
    CodeTypeAppConfig,
    CodeTypeRegistry,
    PurposeSpec,
    UnknownCodeType,
    registry,
)

ROOT = Path(__file__).resolve().parents[2]


class ParkingCode(CodeType):
    key = "parking"
    label_zh = "停车码"
    label_en = "Parking code"
    provides = frozenset({"parking.permit"})

    def claims_for(self, citizen):
        return {"z": 3}

    def provide(self, *, citizen, categories):
        # A careless plugin that answers more than it was asked.
        return {"parking.permit": "zone-3", "identity.name": "leaked"}


class OtherParkingCode(ParkingCode):
    key = "parking2"


def fresh(allowed=("apps.parking",)) -> CodeTypeRegistry:
    return CodeTypeRegistry(allowed_apps=allowed)


def test_registering_a_code_type_makes_it_listable_and_a_provider():
    # Given an empty registry
    reg = fresh()
    # When an allowlisted app registers a code type class
    instance = reg.register(ParkingCode, app_name="apps.parking")
    # Then it is listed, found by key, owned by the app, and provides its category
    assert reg.all() == [instance]
    assert reg.get("parking") is instance
    assert reg.owner("parking") == "apps.parking"
    assert reg.provider_for("parking.permit") is instance
    with pytest.raises(UnknownCodeType):
        reg.get("nope")


def test_a_duplicate_key_is_refused():
    reg = fresh()
    reg.register(ParkingCode, app_name="apps.parking")
    with pytest.raises(ImproperlyConfigured, match="already registered"):
        reg.register(ParkingCode, app_name="apps.parking")


def test_two_providers_of_one_category_are_refused():
    reg = fresh()
    reg.register(ParkingCode, app_name="apps.parking")
    with pytest.raises(ImproperlyConfigured, match="already provided"):
        reg.register(OtherParkingCode, app_name="apps.parking")


def test_something_that_is_not_a_code_type_is_refused():
    reg = fresh()
    with pytest.raises(ImproperlyConfigured, match="not a CodeType"):
        reg.register(object, app_name="apps.parking")


def test_an_app_off_the_allowlist_may_not_register():
    reg = fresh(allowed=())
    with pytest.raises(ImproperlyConfigured, match="CITYCODE_CODE_TYPES"):
        reg.register(ParkingCode, app_name="apps.parking")


def test_core_registers_without_being_on_the_allowlist():
    reg = fresh(allowed=())
    assert reg.register(ParkingCode, app_name="apps.codes").key == "parking"


@pytest.mark.parametrize(
    "attrs, message",
    [
        ({"key": "Bad Key"}, "slug"),
        ({"label_en": ""}, "both zh-Hans and en"),
        ({"lifetime": dt.timedelta(days=2)}, "lifetime"),
        ({"lifetime": dt.timedelta(0)}, "lifetime"),
        ({"purposes": (PurposeSpec("p.x", "甲", "X", categories=(), retention_days=30),)}, "incomplete"),
        ({"purposes": (PurposeSpec("p.x", "甲", "X", categories=("a",), retention_days=30, legal_basis="whim"),)},
         "incomplete"),
        ({"categories": (CategorySpec("c.x", "", "X"),)}, "labels"),
    ],
)
def test_an_incomplete_declaration_is_refused(attrs, message):
    broken = type("Broken", (ParkingCode,), attrs)
    with pytest.raises(ImproperlyConfigured, match=message):
        fresh().register(broken, app_name="apps.parking")


def test_a_code_type_without_claims_for_is_refused():
    class NoClaims(CodeType):
        key = "noclaims"
        label_zh = "无"
        label_en = "None"

    with pytest.raises(ImproperlyConfigured, match="claims_for"):
        fresh().register(NoClaims, app_name="apps.parking")


def test_a_locked_registry_refuses_registration():
    reg = fresh()
    reg.lock()
    with pytest.raises(ImproperlyConfigured, match="locked"):
        reg.register(ParkingCode, app_name="apps.parking")


def test_the_process_registry_is_locked_once_start_up_has_ended(settings):
    # Given a started process (every AppConfig.ready() has run), even with the app on the allowlist
    settings.CITYCODE_CODE_TYPES = ["apps.parking"]
    # Then the process registry is locked, and a late registration fails without changing it
    assert registry.locked
    before = registry.registered_keys()
    with pytest.raises(ImproperlyConfigured, match="locked"):
        registry.register(ParkingCode, app_name="apps.parking")
    assert registry.registered_keys() == before


def test_the_process_registry_holds_the_city_code_first_then_the_allowlisted_plugins():
    assert registry.registered_keys()[0] == "city"
    assert "talent" in registry.registered_keys()
    assert registry.owner("city") == "apps.codes"
    assert registry.owner("talent") == "apps.talent"


def test_collect_returns_exactly_the_requested_categories_and_none_for_unprovided_ones():
    # Given a registry whose only provider answers more than it is asked
    reg = fresh()
    reg.register(ParkingCode, app_name="apps.parking")
    # When two categories are collected, one of which nobody provides
    values = reg.collect(citizen=None, categories=["parking.permit", "health.colour"])
    # Then the extra key the provider returned is dropped and the unprovided one reads None
    assert values == {"parking.permit": "zone-3", "health.colour": None}


def test_code_type_app_config_subclasses_are_picked_by_django_but_the_base_is_not():
    class SomeConfig(CodeTypeAppConfig):
        name = "apps.some"

    assert CodeTypeAppConfig.default is False
    assert SomeConfig.default is True


def _start_django(code_types: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "citycode.settings",
           "CITYCODE_CODE_TYPES": code_types}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_a_plugin_duplicating_the_city_code_stops_start_up():
    # Given an allowlisted app that registers a second "city" code type
    # When Django starts
    result = _start_django("apps.talent,tests.codes.plugin_dup")
    # Then start-up fails, naming the duplicate
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "'city' is already registered by 'apps.codes'" in result.stderr
    assert "started" not in result.stdout


def test_start_up_without_plugins_has_only_the_city_code():
    env = {**os.environ, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "citycode.settings",
           "CITYCODE_CODE_TYPES": "apps.codes"}
    result = subprocess.run(
        [sys.executable, "-c",
         "import django; django.setup(); from apps.codes.plugin_api import registry; "
         "print(registry.registered_keys())"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['city']"
