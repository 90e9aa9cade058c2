from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import module_has_submodule


class Command(BaseCommand):
    help = "Seed the demo city. Idempotent: running it twice changes nothing."

    def handle(self, *args, **options):
        # Each app seeds its own part in a `demo` module with `seed(*, stdout)`, in INSTALLED_APPS order.
        with transaction.atomic():
            for config in apps.get_app_configs():
                if config.name.startswith("apps.") and module_has_submodule(config.module, "demo"):
                    import_module(f"{config.name}.demo").seed(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo city ready."))
