from django.utils.translation import gettext_lazy as _

from apps.codes.plugin_api import CodeTypeAppConfig


class LicencesConfig(CodeTypeAppConfig):
    """E-licences with selective disclosure (issue 12), plugged in through the plugin API."""

    name = "apps.licences"
    label = "licences"
    verbose_name = _("E-licences")
    default_auto_field = "django.db.models.BigAutoField"
    code_types = ["apps.licences.code_type.LicenceCodeType"]
