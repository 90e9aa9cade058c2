"""Demo: an API client for the city library's gate, so a city code can be scanned out of the box; and a code type
a department defined with no code (the culture bureau's library card), published, issued to alice.

The key is shown once, when the client is created, and written to ``.demo-api-key`` (git-ignored) so the
README's curl calls can read it: ``KEY=$(cat .demo-api-key)``. Seeding again changes nothing; if the file
was deleted, the old demo client is revoked and a new one made (its key cannot be read back: only a hash
is stored).
"""

import os
from typing import Any

from django.conf import settings

from apps.identity import selectors as identity_selectors
from apps.identity import services as identity_services
from apps.identity.models import ApiClient

from . import services as codes_services

DEMO_CLIENT = "demo-verifier"
DEMO_ORGANIZATION = "city-library"


def key_file():
    return settings.BASE_DIR / ".demo-api-key"


LIBRARY_CARD: dict[str, Any] = {
    "key": "library_card", "label_zh": "借阅码", "label_en": "Library card",
    "claims_schema": {"type": "object", "required": ["card_class"], "additionalProperties": False,
                      "properties": {"card_class": {"enum": ["standard", "premium"]},
                                     "loan_limit": {"type": "integer", "minimum": 0, "maximum": 50}}},
    "field_labels": {"card_class": ["读者证类别", "Card class"], "loan_limit": ["可借册数", "Loan limit"]},
    "lifetime_seconds": 600, "issuers": ["culture-bureau"],
    "purposes": [{"code": "library_card.borrow", "label_zh": "图书借阅", "label_en": "Borrowing books",
                  "description_zh": "图书馆核验读者证以办理借阅。",
                  "description_en": "A library checks a card to lend books.",
                  "retention_days": 30}],
}


def _seed_library_card(*, stdout) -> None:
    """The culture bureau's library card: defined through the same services as the API, published by bureau2."""
    from django.contrib.auth import get_user_model

    from apps.consent import selectors as consent_selectors
    from apps.consent import services as consent_services
    from apps.identity.demo import CITIZENS

    from .models import DefinedCodeTypeVersion

    people = {u.username: u for u in get_user_model().objects.filter(username__in=["culture", "bureau", "bureau2",
                                                                                       "alice"])}
    culture = identity_selectors.organization_get(slug="culture-bureau")
    library = identity_selectors.organization_get(slug=DEMO_ORGANIZATION)
    if len(people) < 4 or culture is None or library is None:
        return
    key = LIBRARY_CARD["key"]
    published = DefinedCodeTypeVersion.objects.filter(code_type__key=key, state="published").exists()
    if not published:
        version = DefinedCodeTypeVersion.objects.filter(code_type__key=key, state="proposed").first()
        if version is None:
            version = codes_services.defined_type_propose(proposer=people["culture"], department=culture,
                                                          **LIBRARY_CARD)
        codes_services.defined_type_decide(version=version, decided_by=people["bureau2"], publish=True)
    alice_id = next(number for username, _name, number, _phone in CITIZENS if username == "alice")
    codes_services.defined_code_issue(key=key, organization=culture, id_number=alice_id,
                                      claims={"card_class": "standard", "loan_limit": 10}, reference="DEMO-ALICE")
    purpose = consent_selectors.purpose_get(code="library_card.borrow")
    if purpose is not None and consent_selectors.active_grant_get(organization=library, purpose=purpose) is None:
        consent_services.access_grant_create(organization=library, purpose=purpose, approved_by=people["bureau"])
    consent_services.consent_give(citizen=people["alice"], purpose="library_card.borrow",
                                  categories=[f"{key}.record"], organization=library)
    stdout.write("Codes: the culture bureau defined the library card (借阅码) with no code; bureau2 published it; "
                 "alice holds one, and the library may check it for library_card.borrow.")


def seed(*, stdout) -> None:
    # The city's signing key, so the JWKS a verifier loads at start-up is never empty (idempotent).
    codes_services.issuer_key_ensure()
    _seed_library_card(stdout=stdout)
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
