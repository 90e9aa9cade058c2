"""The plugin API's export hook: a code type that says it exports citizen rows must implement export()."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.codes.plugin_api import CodeType, CodeTypeRegistry


class GymCode(CodeType):
    key = "gym"
    label_zh = "健身码"
    label_en = "Gym code"
    export_covers = ("gym.Membership.citizen",)

    def claims_for(self, citizen):
        return None


class GymCodeWithExport(GymCode):
    def export(self, citizen):
        return {"memberships": []}


def test_a_code_type_declaring_export_covers_without_export_is_refused():
    registry = CodeTypeRegistry(allowed_apps=["tests"])
    with pytest.raises(ImproperlyConfigured, match="export_covers"):
        registry.register(GymCode, app_name="tests")


def test_a_code_type_with_its_export_registers_and_keeps_nothing_by_default():
    registry = CodeTypeRegistry(allowed_apps=["tests"])
    gym = registry.register(GymCodeWithExport, app_name="tests")
    assert gym.export(citizen=None) == {"memberships": []}
    # A code type that keeps no rows of its own exports nothing (its pseudonym is in the core codes section)
    assert CodeType.export(gym, None) is None
