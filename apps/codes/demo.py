"""Demo: an API client for the city library's gate, so a city code can be scanned out of the box.

The key is shown once, when the client is created, and written to ``.demo-api-key`` (git-ignored) so the
README's curl calls can read it: ``KEY=$(cat .demo-api-key)``. Seeding again changes nothing; if the file
was deleted, the old demo client is revoked and a new one made (its key cannot be read back: only a hash
is stored).
"""

import os

from django.conf import settings

from apps.identity import selectors as identity_selectors
from apps.identity import services as identity_services
from apps.identity.models import ApiClient

from . import services as codes_services

DEMO_CLIENT = "demo-verifier"
DEMO_ORGANIZATION = "city-library"


def key_file():
    return settings.BASE_DIR / ".demo-api-key"


def seed(*, stdout) -> None:
    # The city's signing key, so the JWKS a verifier loads at start-up is never empty (idempotent).
    codes_services.issuer_key_ensure()
    library = identity_selectors.organization_get(slug=DEMO_ORGANIZATION)
    if library is None:
        return
    path = key_file()
    existing = ApiClient.objects.filter(organization=library, name=DEMO_CLIENT, revoked_at__isnull=True).first()
    if existing is not None and path.exists():
        stdout.write(f"Codes: the {DEMO_ORGANIZATION} verifier key is in {path.name}.")
        return
    if existing is not None:
        identity_services.api_client_revoke(client=existing)
    _client, key = identity_services.api_client_create(organization=library, name=DEMO_CLIENT)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    stdout.write(f"Codes: API key of {DEMO_ORGANIZATION}'s verifier ({DEMO_CLIENT}), shown once, also in "
                 f"{path.name}: {key}")
