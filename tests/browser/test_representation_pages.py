"""A guardian gives and withdraws a consent for the minor he acts for; her own page shows it withdrawn."""

import pytest

from apps.consent import services
from apps.consent.models import Consent
from apps.identity import services as identity_services
from apps.identity.models import Citizen, Organization
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD
from tests.consent.conftest import later

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(make_citizen, make_org):
    bureau = make_org("data-bureau")
    admin = Citizen.objects.create(username="bureau-admin", name="管理员")
    identity_services.membership_set(user=admin, organization=bureau, role="admin")
    library = make_org("city-library", Organization.Kind.VENUE, name="市图书馆")
    services.access_grant_create(organization=library, purpose="venue.entry", approved_by=admin)
    bob = make_citizen(username="bob", name="王博", birth="19850615")
    carol = make_citizen(username="carol", name="陈可乐", birth="20150901")  # a minor
    # The bureau registers bob as carol's guardian
    services.representation_create(representative=bob, represented=carol, kind="guardian",
                                   valid_until=later(days=365))
    return bob, carol, library


def test_a_guardian_gives_and_withdraws_for_his_ward_and_her_page_shows_it_withdrawn(page, world):
    bob, carol, library = world
    # Given bob is signed in and opens "people I act for" from his consents page
    log_in(page, "bob", PASSWORD)
    page.click("[data-testid=nav-consents]")
    page.click("[data-testid=link-representation]")
    page.wait_for_selector(f"[data-testid=person-{carol.pk}]")

    # When he gives venue.entry at the library for carol, "is 18 or over" only
    page.click(f"[data-testid=acting-purpose-{carol.pk}-venue\\.entry] summary")
    page.select_option(f'[data-testid="acting-org-{carol.pk}-venue.entry"]', "city-library")
    page.check(f'[data-testid="acting-cat-{carol.pk}-venue.entry-identity.adult"]')
    page.click(f'[data-testid="acting-give-{carol.pk}-venue.entry"]')
    consent_row = page.wait_for_selector("[data-testid^=acting-consent-status-]")
    consent = Consent.objects.get(citizen=carol)
    assert consent.organization == library and consent.given_by_label == "bob acting for carol"
    assert consent_row.get_attribute("data-status") == "active"

    # And then withdraws it from the same page
    page.click(f"[data-testid=acting-withdraw-{consent.pk}]")
    page.wait_for_selector(f"[data-testid=acting-consent-status-{consent.pk}][data-status=withdrawn]")

    # Then carol, signed in herself, sees it withdrawn on her consents page, given on her behalf by bob
    page.context.clear_cookies()
    log_in(page, "carol", PASSWORD)
    page.goto("/consents/")
    page.wait_for_selector(f"[data-testid=consent-status-{consent.pk}][data-status=withdrawn]")
    assert "王博" in page.inner_text(f"[data-testid=consent-given-by-{consent.pk}]")
    # And the next disclosure to the library is refused
    with pytest.raises(services.DisclosureDenied) as exc:
        services.disclose(organization=library, purpose="venue.entry", citizen=carol)
    assert exc.value.reason == "consent_withdrawn"
