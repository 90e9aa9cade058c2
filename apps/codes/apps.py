from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from .plugin_api import CodeTypeAppConfig


class CodesConfig(CodeTypeAppConfig):
    """Core of the codes: token format, keys, trust list, status lists; registers the built-in city code."""

    name = "apps.codes"
    label = "codes"
    verbose_name = _("Codes")
    code_types = ["apps.codes.city.CityCodeType"]

    def ready(self) -> None:
        super().ready()  # registers the city code
        from .defined import defined_type_map
        from .plugin_api import registry

        registry.set_dynamic(defined_type_map)  # department-defined types, read from the database
        from apps.consent.export import register_export_section

        from .selectors import defined_type_version_list

        register_export_section(
            "code_type_definitions", lambda citizen: defined_type_version_list(person=citizen),
            title=_("Department code types I proposed or decided"),
            covers=("codes.DefinedCodeTypeVersion.proposed_by_person",
                    "codes.DefinedCodeTypeVersion.decided_by_person"),
        )
        # A flush (tests) or migration may remove keys and subjects: the in-process caches must not outlive them.
        # First, so nothing below reads a cache of the rows just removed.
        post_migrate.connect(_forget_process_caches, sender=self, dispatch_uid="codes.forget_process_caches")
        post_migrate.connect(_sync_code_type_catalogue, sender=self, dispatch_uid="codes.code_type_catalogue_sync")
        # The first signing key is made here (and by seed_demo), so /.well-known/jwks.json is never empty and
        # no read path ever has to create one.
        post_migrate.connect(_ensure_issuer_key, sender=self, dispatch_uid="codes.ensure_issuer_key")


def _sync_code_type_catalogue(sender, **kwargs) -> None:
    """Thin post_migrate hook: the code types' declared purposes and categories into the consent catalogue."""
    from .services import code_type_catalogue_sync

    code_type_catalogue_sync()


def _forget_process_caches(sender, **kwargs) -> None:
    from .caches import forget_process_caches

    forget_process_caches()


def _ensure_issuer_key(sender, using="default", **kwargs) -> None:
    """Thin post_migrate hook: an active signing key exists once the tables do."""
    if using != "default":
        return
    from .services import issuer_key_ensure

    issuer_key_ensure()
