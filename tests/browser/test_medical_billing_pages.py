"""The money pages in a real browser (mobile viewport): alice pays her bill with insurance and the simulated
provider; one cashier requests a refund, and only another can approve it; the pages speak zh-Hans and English."""

import io

import pytest
from django.core.management import call_command

from apps.identity.models import Citizen
from apps.medical.models import Bill, Refund
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "citycode-demo"


@pytest.fixture
def demo_city(settings, tmp_path):
    settings.BASE_DIR = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    return Citizen.objects.get(username="alice")


def _log_out(page):
    page.click("button.link >> text=/退出|Log out/")


def test_alice_pays_and_two_cashiers_refund(page, demo_city):
    bill = Bill.objects.get(citizen=demo_city, status="issued")
    # Given alice on her bills page
    log_in(page, "alice", PASSWORD)
    page.goto("/medical/")
    page.click("[data-testid=nav-medical-bills]")
    page.wait_for_selector("[data-testid=bills-title]")
    assert page.locator("[data-testid=coverage]").is_visible()
    page.click(f"[data-testid=bill][data-bill='{bill.pk}'] a")
    assert page.locator("[data-testid=total]").inner_text() == "¥350.00"
    # When she pays: the insurance share is worked out, and the provider's page asks only for the cash
    page.click("[data-testid=pay-button]")
    page.wait_for_selector("[data-testid=provider-page]")
    assert page.locator("[data-testid=provider-amount]").inner_text() == "¥130.00"
    page.click("[data-testid=provider-confirm]")
    # Then the provider's notification settles the bill: paid, with the fund's and the account's shares
    page.wait_for_selector("[data-testid=bill-detail][data-status=paid]")
    assert page.locator("[data-testid=fund]").inner_text() == "¥180.00"
    assert page.locator("[data-testid=account]").inner_text() == "¥40.00"
    assert page.locator("[data-testid=cash]").inner_text() == "¥130.00"
    page.screenshot(path="/tmp/medical_bill_paid.png", full_page=True)
    _log_out(page)
    # When `doctor` (a cashier of the hospital) requests a refund of the whole bill
    log_in(page, "doctor", PASSWORD)
    page.goto("/medical/cashier/")
    row = page.locator(f"[data-testid=cashier-bill][data-bill='{bill.pk}']")
    row.locator("[data-testid=refund-reason]").fill("检查取消")
    row.locator("[data-testid=request-refund]").click()
    # Then she cannot approve her own request
    page.wait_for_selector("[data-testid=awaiting-second]")
    assert page.locator("[data-testid=approve-refund]").count() == 0
    _log_out(page)
    # When `cashier` approves it
    log_in(page, "cashier", PASSWORD)
    page.goto("/medical/cashier/")
    page.click("[data-testid=approve-refund]")
    page.wait_for_selector("[data-testid=cashier-refund][data-status=completed]")
    page.screenshot(path="/tmp/medical_cashier.png", full_page=True)
    # Then the money went back and the bill is refunded
    assert Refund.objects.get(bill=bill).status == "completed"
    assert Bill.objects.get(pk=bill.pk).status == "refunded"
    _log_out(page)
    # And alice sees the refund on her bill
    log_in(page, "alice", PASSWORD)
    page.goto(f"/medical/bills/{bill.pk}/")
    assert page.locator("[data-testid=refund][data-status=completed]").count() == 1


def test_the_bill_page_speaks_english_too(page, demo_city):
    bill = Bill.objects.get(citizen=demo_city, status="issued")
    log_in(page, "alice", PASSWORD)
    page.goto(f"/medical/bills/{bill.pk}/")
    assert page.locator("[data-testid=pay-button]").inner_text() == "用医保和现金支付"
    page.click("[data-testid=lang-switch]")
    page.goto(f"/medical/bills/{bill.pk}/")
    assert page.locator("[data-testid=pay-button]").inner_text() == "Pay with insurance and cash"
