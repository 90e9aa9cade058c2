from django.utils.translation import gettext_lazy as _

from apps.codes.plugin_api import CodeTypeAppConfig


class TransitConfig(CodeTypeAppConfig):
    """Public transit's ride code (乘车码): ride accounts, operators' networks and readers, the two-layer ride
    code that phones sign offline, and the deny list. Plugged in through the plugin API."""

    name = "apps.transit"
    label = "transit"
    verbose_name = _("Public transit")
    default_auto_field = "django.db.models.BigAutoField"
    code_types = ["apps.transit.code_type.TransitCodeType"]
