from django.utils.translation import gettext_lazy as _

from apps.codes.plugin_api import CodeTypeAppConfig


class TalentConfig(CodeTypeAppConfig):
    """The talent office's 人才码, plugged in through the plugin API (switched on by CITYCODE_CODE_TYPES)."""

    name = "apps.talent"
    label = "talent"
    verbose_name = _("Talent office")
    default_auto_field = "django.db.models.BigAutoField"
    code_types = ["apps.talent.code_type.TalentCodeType"]
