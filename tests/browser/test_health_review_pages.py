"""The health code pages in a real browser (mobile viewport): an officer requests a manual red, cannot approve it
himself, a second officer approves; the citizen sees the red with its reason, appeals it; the appeal is answered
and the citizen sees green and why. Then the emergency ends and the page shows no colour."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.consent import services as consent_services
from apps.health import selectors
from apps.health.models import Appeal, ManualChange
from apps.identity import services as identity_services
from apps.identity.models import Citizen
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD, valid_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(make_citizen, make_org):
    bureau = make_org("data-bureau")
    admin = Citizen.objects.create(username="bureau-admin", name="管理员")
    identity_services.membership_set(user=admin, organization=bureau, role="admin")
    commission = make_org("health-commission", name="市卫健委")
    officers = []
    for username in ("officer-a", "officer-b"):
        user = make_citizen(username=username, name="卫健委工作人员")
        identity_services.membership_set(user=user, organization=commission, role="staff")
        officers.append(user)
    id_number = valid_id_number(birth="19850615", sequence="777")
    citizen = make_citizen(username="chen", name="陈市民", id_number=id_number)
    now = timezone.now()
    emergency = consent_services.emergency_declare(
        name="疫情应急响应", legal_reference="应急条例", purposes=["health.epidemic_control"],
        starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(days=10), declared_by=admin)
    return {"officers": officers, "citizen": citizen, "emergency": emergency, "id_number": id_number}


def test_manual_red_under_review_then_appeal_then_green(page, world):
    officer_a, officer_b = world["officers"]
    citizen = world["citizen"]

    # Given officer A requests a red for the citizen (close contact) in the review queue
    log_in(page, "officer-a", PASSWORD)
    page.goto("/health/review/")
    page.fill("#mc-ids", world["id_number"])
    page.select_option("#mc-colour", "red")
    page.select_option("#mc-reason", "close_contact")
    page.fill("#mc-law", "传染病防治法第三十九条")
    page.click("[data-testid=request]")
    change = ManualChange.objects.get(citizen=citizen)
    # Then he cannot approve his own request: the page offers no button, only a note
    page.wait_for_selector(f"[data-testid=pending-{change.pk}] [data-testid=own-request]")
    assert page.locator(f"[data-testid=pending-{change.pk}] [data-testid=approve]").count() == 0
    assert selectors.colour_get(citizen=citizen) is None

    # When officer B approves it
    page.context.clear_cookies()
    log_in(page, "officer-b", PASSWORD)
    page.goto("/health/review/")
    page.click(f"[data-testid=pending-{change.pk}] [data-testid=approve]")
    page.wait_for_selector("[data-testid=pending-changes] .empty")
    assert selectors.colour_get(citizen=citizen).colour == "red"

    # Then the citizen sees a red badge with the reason and legal reference, and files an appeal
    page.context.clear_cookies()
    log_in(page, "chen", PASSWORD)
    page.goto("/health/")
    assert page.get_attribute("[data-testid=colour-badge]", "data-colour") == "red"
    reason = page.inner_text("[data-testid=colour-reason]")
    assert "密切接触者" in reason and "传染病防治法第三十九条" in reason
    page.fill("#appeal-statement", "我当天不在该楼层，核酸阴性。")
    page.click("[data-testid=appeal]")
    page.wait_for_selector("[data-testid=my-appeals]")
    appeal = Appeal.objects.get(citizen=citizen)

    # When officer A (any commission officer) accepts the appeal
    page.context.clear_cookies()
    log_in(page, "officer-a", PASSWORD)
    page.goto("/health/review/")
    page.fill(f"[data-testid=appeal-{appeal.pk}] textarea", "核实不在场，改为绿码")
    page.click(f"[data-testid=appeal-{appeal.pk}] [data-testid=accept]")
    page.wait_for_selector("[data-testid=open-appeals] .empty")

    # Then the citizen's page is green, and the history says why
    page.context.clear_cookies()
    log_in(page, "chen", PASSWORD)
    page.goto("/health/")
    assert page.get_attribute("[data-testid=colour-badge]", "data-colour") == "green"
    assert "核实不在场" in page.inner_text("[data-testid=transitions]")

    # And once the emergency ends, the page shows no colour at all
    consent_services.emergency_end(emergency=world["emergency"])
    page.goto("/health/")
    assert page.locator("[data-testid=colour-badge]").count() == 0
    page.wait_for_selector("[data-testid=no-colour]")


def test_a_citizen_cannot_open_the_review_queue_and_the_page_switches_to_english(page, world):
    log_in(page, "chen", PASSWORD)
    response = page.goto("/health/review/")
    assert response.status == 403
    page.goto("/health/")
    page.click("[data-testid=lang-switch]")
    page.wait_for_selector("[data-testid=health-status]")
    assert "Daily health declaration" in page.content()
