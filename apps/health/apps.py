from django.utils.translation import gettext_lazy as _

from apps.codes.plugin_api import CodeTypeAppConfig


class HealthConfig(CodeTypeAppConfig):
    """The health commission's health code: evidence, rules per region as data, colours and their history."""

    name = "apps.health"
    label = "health"
    verbose_name = _("Health commission")
    default_auto_field = "django.db.models.BigAutoField"
    code_types = ["apps.health.code_type.HealthCodeType"]
