from django.core.management.base import BaseCommand

from apps.codes.services import issuer_keys_rotate


class Command(BaseCommand):
    help = ("Advance the issuer key lifecycle: active keys past their rotation date start retiring (a new active "
            "key replaces them), retiring keys past their validity are retired. Idempotent; beat runs it hourly.")

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Rotate the active key now (e.g. suspected leak).")

    def handle(self, *args, force: bool = False, **options):
        result = issuer_keys_rotate(force=force)
        self.stdout.write(f"created: {', '.join(result.created) or '-'}")
        self.stdout.write(f"retiring: {', '.join(result.retiring) or '-'}")
        self.stdout.write(f"retired: {', '.join(result.retired) or '-'}")
