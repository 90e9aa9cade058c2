"""A citizen gives a consent, sees the disclosure in "who read my data", withdraws, and sees the next one denied."""

import pytest

from apps.consent import services
from apps.consent.models import Consent, DataCategory
from apps.identity import services as identity_services
from apps.identity.models import Citizen, Organization
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(make_citizen, make_org):
    bureau = make_org("data-bureau")
    admin = Citizen.objects.create(username="bureau-admin", name="管理员")
    identity_services.membership_set(user=admin, organization=bureau, role="admin")
    library = make_org("city-library", Organization.Kind.VENUE, name="市图书馆")
    services.access_grant_create(organization=library, purpose="venue.entry", approved_by=admin)
    alice = make_citizen(username="alice", name="李爱丽")
    return alice, library


def test_give_see_the_disclosure_withdraw_and_see_the_next_one_denied(page, world):
    alice, library = world
    # Given alice is signed in and opens "my consents" from the navigation
    log_in(page, "alice", PASSWORD)
    page.click("[data-testid=nav-consents]")
    page.wait_for_selector("[data-testid=consents-title]")
    assert page.locator("[data-testid=no-consents]").count() == 1

    # When she consents to venue entry at the library, for "is 18 or over" only
    page.select_option('[data-testid="org-venue.entry"]', "city-library")
    page.check('[data-testid="cat-venue.entry-identity.adult"]')
    page.click('[data-testid="give-venue.entry"]')
    page.wait_for_selector("[data-testid=consent-list]")
    consent = Consent.objects.get(citizen=alice)
    assert consent.categories == ["identity.adult"] and consent.organization == library
    assert page.get_attribute(f"[data-testid=consent-status-{consent.pk}]", "data-status") == "active"

    # And the library reads her data
    result = services.disclose(organization=library, purpose="venue.entry", citizen=alice)
    assert result.categories == ("identity.adult",)

    # Then "who read my data" shows the disclosure
    page.click("[data-testid=nav-access-log]")
    page.wait_for_selector("[data-testid=access-log]")
    rows = page.locator("[data-testid=log-row]")
    assert rows.count() == 1
    assert rows.first.get_attribute("data-outcome") == "allowed"
    # (the data category by its label, not its code)
    adult_zh = DataCategory.objects.get(code="identity.adult").label_zh
    assert adult_zh in rows.first.inner_text() and "identity.adult" not in rows.first.inner_text()
    assert "市图书馆" in rows.first.inner_text()

    # When she withdraws the consent
    page.click("[data-testid=nav-consents]")
    page.click(f"[data-testid=withdraw-{consent.pk}]")
    page.wait_for_selector(f"[data-testid=consent-status-{consent.pk}][data-status=withdrawn]")

    # Then the library's next request is denied, and the denial is in her log too
    with pytest.raises(services.DisclosureDenied) as exc:
        services.disclose(organization=library, purpose="venue.entry", citizen=alice)
    assert exc.value.reason == "consent_withdrawn"
    page.click("[data-testid=nav-access-log]")
    page.wait_for_selector("[data-testid=access-log]")
    newest = page.locator("[data-testid=log-row]").first
    assert newest.get_attribute("data-outcome") == "denied"
    assert newest.get_attribute("data-reason") == "consent_withdrawn"


def test_the_receipt_downloads_and_the_pages_speak_english(page, world):
    alice, library = world
    consent = services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"],
                                    organization=library)
    log_in(page, "alice", PASSWORD)
    page.goto("/consents/")
    with page.expect_download() as download:
        page.click(f"[data-testid=receipt-{consent.pk}]")
    assert download.value.suggested_filename == f"consent-receipt-{consent.pk}.json"
    page.click("[data-testid=lang-switch]")
    page.wait_for_load_state()
    page.goto("/consents/access-log/")
    assert page.locator("h1").inner_text() == "Who read my data"
    assert page.locator("html").get_attribute("lang") == "en"
