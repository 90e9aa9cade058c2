from django.core.management.base import BaseCommand, CommandError

from apps.consent import chain


class Command(BaseCommand):
    help = "Verify every citizen's access-log hash chain; report the first broken link of each broken chain."

    def handle(self, *args, **options):
        checked, broken = chain.verify_all()
        for link in broken:
            self.stderr.write(f"BROKEN {link}")
        if broken:
            raise CommandError(f"{len(broken)} of {checked} access-log chains are broken; first: {broken[0]}")
        self.stdout.write(self.style.SUCCESS(f"{checked} access-log chains verified, none broken."))
