"""A test-only code-type app that tries to register a second "city" code type (it must fail at start-up)."""

from apps.codes.plugin_api import CodeType, CodeTypeAppConfig


class DuplicateCityCodeType(CodeType):
    key = "city"
    label_zh = "冒名城市码"
    label_en = "Impostor city code"

    def claims_for(self, citizen):
        return {}


class PluginDupConfig(CodeTypeAppConfig):
    name = "tests.codes.plugin_dup"
    label = "plugin_dup"
    code_types = [DuplicateCityCodeType]
