from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_catalogue(sender, using="default", **kwargs) -> None:
    # After migrate — and after a test database flush, which also emits post_migrate — the initial
    # categories and purposes exist, so code types can register theirs on top.
    from . import services

    services.catalogue_ensure()


class ConsentConfig(AppConfig):
    name = "apps.consent"
    label = "consent"
    verbose_name = _("Consent and access")

    def ready(self) -> None:
        post_migrate.connect(_ensure_catalogue, sender=self, dispatch_uid="consent.catalogue_ensure")
