from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.identity import selectors, services
from apps.identity.models import ApiClient


class Command(BaseCommand):
    help = "Create an API key for an organization (or one of its devices) and print it once."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="organization slug")
        parser.add_argument("--name", default="default", help="a label for the client")
        parser.add_argument("--device", default="", help="device id, for a reader or gate")
        parser.add_argument("--scope", action="append", default=[], help="grant a scope (repeatable)")
        parser.add_argument("--holder", default="", help="user name of the member answerable for the key "
                            "(required for a data-bureau key that decides catalogue proposals)")

    def handle(self, *args, org, name, device, scope, holder, **options):
        organization = selectors.organization_get(slug=org)
        if organization is None:
            raise CommandError(f"No organization with slug {org!r}.")
        person = None
        if holder:
            person = get_user_model().objects.filter(username=holder).first()
            if person is None:
                raise CommandError(f"No user {holder!r}.")
        try:
            client, key = services.api_client_create(
                organization=organization,
                name=name,
                kind=ApiClient.Kind.DEVICE if device else ApiClient.Kind.SERVICE,
                device_id=device,
                scopes=scope,
                holder=person,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stderr.write(f"API key for {organization.slug} / {client.name} (prefix {client.key_prefix}).")
        self.stderr.write("Store it now: it cannot be shown again.")
        self.stdout.write(key)
