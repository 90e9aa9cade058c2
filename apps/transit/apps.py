from typing import Any

from django.db.models.signals import post_migrate
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

    def ready(self) -> None:
        super().ready()
        post_migrate.connect(_ensure_health_purpose, sender=self, dispatch_uid="transit.health_purpose")


def _ensure_health_purpose(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """Thin post_migrate hook: the epidemic-control purpose of the health colour on the ride code."""
    if using != "default":
        return
    from apps.codes.plugin_api import epidemic_purpose_ensure

    from .code_type import HEALTH_PURPOSE

    epidemic_purpose_ensure(HEALTH_PURPOSE)
