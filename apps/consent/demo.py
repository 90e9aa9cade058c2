"""Demo grants (approved by the data bureau) and alice's consent to venue entry at the city library. Idempotent.

Grants of statutory or sensitive purposes follow the two-person rule even here: `bureau` proposes them and a
second bureau administrator, `bureau2`, approves.
"""

import datetime as dt

from django.utils import timezone

from apps.identity import services as identity_services
from apps.identity.demo import DEMO_PASSWORD
from apps.identity.models import Citizen, Organization

from . import selectors, services
from .models import CatalogueProposal

GRANTS = [
    ("city-library", "venue.entry"),
    ("city-hospital", "medical.registration"),
    ("city-bus", "transit.boarding"),
    ("health-commission", "health.epidemic_control"),
    ("licence-office", "licence.traffic_check"),
]

# The statute a grant of a statutory purpose rests on (the demo's wording of the real laws).
LEGAL_REFERENCES = {
    "health.epidemic_control": "《中华人民共和国传染病防治法》第十二条",
    "licence.traffic_check": "《中华人民共和国道路交通安全法》第十九条",
}

SECOND_ADMIN = ("bureau2", "数据局复核员")


def _second_admin() -> Citizen:
    username, name = SECOND_ADMIN
    user = Citizen.objects.filter(username=username).first()
    if user is None:
        user = Citizen(username=username, name=name)
        user.set_password(DEMO_PASSWORD)
        user.save()
    identity_services.membership_set(user=user, organization=Organization.objects.get(slug=services.DATA_BUREAU_SLUG),
                                     role="admin")
    return user


def seed(*, stdout) -> None:
    proposer = Citizen.objects.get(username="bureau")
    approver = _second_admin()
    for slug, code in GRANTS:
        organization = Organization.objects.get(slug=slug)
        purpose = selectors.purpose_get(code=code)
        assert purpose is not None, f"seed the catalogue before the grants ({code})"
        if selectors.active_grant_get(organization=organization, purpose=purpose) is not None:
            continue
        result = services.access_grant_submit(organization=organization, purpose=purpose, submitted_by=proposer,
                                              legal_reference=LEGAL_REFERENCES.get(code, ""))
        if isinstance(result, CatalogueProposal):
            services.proposal_approve(proposal=result, approved_by=approver)

    alice = Citizen.objects.get(username="alice")
    library = Organization.objects.get(slug="city-library")
    has_consent = any(
        c.status == "active" and c.organization_id == library.pk and c.purpose.code == "venue.entry"
        for c in selectors.consent_list(citizen=alice)
    )
    if not has_consent:
        services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult", "identity.name"],
                              organization=library)

    # bob is carol's guardian (she is a minor) until the day before her 14th birthday, so "people I act for"
    # (/consents/representation/) has someone in it.
    bob, carol = Citizen.objects.get(username="bob"), Citizen.objects.get(username="carol")
    if not selectors.representation_list(representative=bob).filter(represented=carol).exists():
        birth = carol.birth_date
        assert birth is not None
        services.representation_create(
            representative=bob, represented=carol, kind="guardian",
            valid_until=timezone.make_aware(dt.datetime(birth.year + 14, birth.month, birth.day)))
    stdout.write(f"Grants: {', '.join(f'{s}→{c}' for s, c in GRANTS)} (statutory and sensitive ones proposed by "
                 f"bureau, approved by {SECOND_ADMIN[0]}); alice consents to venue.entry at city-library; "
                 f"bob is carol's guardian.")
