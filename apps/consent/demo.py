"""Demo grants (approved by the data bureau) and alice's consent to venue entry at the city library. Idempotent."""

from apps.identity.models import Citizen, Organization

from . import selectors, services

GRANTS = [
    ("city-library", "venue.entry"),
    ("city-hospital", "medical.registration"),
    ("city-bus", "transit.boarding"),
    ("health-commission", "health.epidemic_control"),
    ("licence-office", "licence.traffic_check"),
]


def seed(*, stdout) -> None:
    approver = Citizen.objects.get(username="bureau")
    for slug, code in GRANTS:
        organization = Organization.objects.get(slug=slug)
        purpose = selectors.purpose_by_code(code=code)
        if selectors.active_grant(organization=organization, purpose=purpose) is None:
            services.access_grant_create(organization=organization, purpose=purpose, approved_by=approver)

    alice = Citizen.objects.get(username="alice")
    library = Organization.objects.get(slug="city-library")
    has_consent = any(
        c.status == "active" and c.organization_id == library.pk and c.purpose.code == "venue.entry"
        for c in selectors.consents_for(citizen=alice)
    )
    if not has_consent:
        services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult", "identity.name"],
                              organization=library)
    stdout.write(f"Grants: {', '.join(f'{s}→{c}' for s, c in GRANTS)}; alice consents to venue.entry at city-library.")
