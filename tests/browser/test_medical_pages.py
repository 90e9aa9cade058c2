"""The medical pages in a real browser (mobile viewport): alice books seeing places left and cancels; the desk
checks her in by her medical code, read from the QR drawn on her phone; the waiting-room screen shows the number."""

import io

import pytest
import zxingcpp
from django.core.management import call_command
from PIL import Image

from apps.consent import services as consent_services
from apps.identity.models import Citizen
from apps.medical.models import Appointment, ClinicSession
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "citycode-demo"


@pytest.fixture
def demo_city(settings, tmp_path):
    settings.BASE_DIR = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    return Citizen.objects.get(username="alice")


def test_alice_books_a_session_seeing_the_places_left_then_cancels(page, demo_city):
    # Given alice signed in, on the booking page
    log_in(page, "alice", PASSWORD)
    page.goto("/medical/")
    page.wait_for_selector("[data-testid=book-title]")
    # When she books the first session of tomorrow
    first = page.locator("[data-testid=book-day]").nth(1).locator("[data-testid=session]").first
    session_id, left = int(first.get_attribute("data-session")), int(first.get_attribute("data-places-left"))
    assert left > 0 and f"剩余 {left} 个号" in first.locator("[data-testid=places-left]").inner_text()
    first.locator("[data-testid=book-button]").click()
    # Then her appointments show it, held for payment, and the session has one place less
    page.wait_for_selector("[data-testid=mine-title]")
    held = page.locator("[data-testid=appointment][data-status=pending]")
    assert held.count() == 1 and held.locator("[data-testid=held-until]").is_visible()
    assert ClinicSession.objects.get(pk=session_id).places_left == left - 1
    # When she cancels it
    held.locator("[data-testid=cancel-button]").click()
    page.wait_for_selector("[data-testid=appointment][data-status=cancelled]")
    # Then the place is free again
    assert ClinicSession.objects.get(pk=session_id).places_left == left


def test_the_pages_speak_english_too(page, demo_city):
    log_in(page, "alice", PASSWORD)
    page.click("[data-testid=lang-switch]")
    page.goto("/medical/")
    assert page.locator("[data-testid=book-title]").inner_text() == "Book a doctor"
    assert "places left" in page.locator("[data-testid=places-left]").first.inner_text()
    page.click("[data-testid=lang-switch]")
    page.goto("/medical/")
    assert page.locator("[data-testid=book-title]").inner_text() == "预约挂号"
    assert "剩余" in page.locator("[data-testid=places-left]").first.inner_text()


def test_the_desk_checks_alice_in_by_the_code_on_her_phone_and_the_screen_shows_her_number(browser, live_server,
                                                                                          demo_city):
    # Given alice, with a paid booking today, who consented to hospital registration
    alice = demo_city
    consent_services.consent_give(citizen=alice, purpose="medical.registration", categories=["identity.name"])
    phone = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844}).new_page()
    log_in(phone, "alice", PASSWORD)
    phone.wait_for_selector("[data-testid=code-list][data-ready=true]")
    png = phone.locator("[data-code-type=medical] canvas").screenshot()
    token = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))[0].text
    # When the desk (the demo `doctor` user) scans the photo of her QR code
    desk = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844}).new_page()
    log_in(desk, "doctor", PASSWORD)
    desk.goto("/medical/desk/")
    desk.wait_for_selector("[data-testid=desk-title]")
    desk.set_input_files("input[name=image]", files=[{"name": "code.png", "mimeType": "image/png", "buffer": png}])
    desk.click("[data-testid=checkin-submit]")
    # Then she is checked in with queue number 1, and the queue lists her number
    assert desk.locator("[data-testid=checkin-queue-no]").inner_text() == "1"
    appointment = Appointment.objects.get(patient=alice, status="arrived")
    assert appointment.queue_no == 1
    assert desk.locator(f"[data-testid=desk-queue][data-session='{appointment.session_id}'] "
                        "[data-testid=queue-row]").count() == 1
    # And the same code typed in again is refused as used
    desk.fill("textarea[name=token]", token)
    desk.click("[data-testid=checkin-submit]")
    assert desk.locator("[data-testid=checkin-refusal]").get_attribute("data-reason") == "already_used"
    # And the waiting-room screen shows number 1 being called, and no name
    desk.click(f"[data-testid=desk-queue][data-session='{appointment.session_id}'] [data-testid=screen-link]")
    assert desk.locator("[data-testid=now-serving]").inner_text() == "1"
    assert alice.name not in desk.locator("[data-testid=screen]").inner_text()
    # And alice's page shows her queue number
    phone.goto("/medical/appointments/")
    assert "1" in phone.locator("[data-testid=appointment][data-status=arrived] [data-testid=queue-no]").inner_text()


def test_staff_of_another_organization_cannot_open_the_desk(page, demo_city):
    log_in(page, "librarian", PASSWORD)
    response = page.goto("/medical/desk/city-hospital/")
    assert response.status == 403 and page.locator("[data-testid=not-staff]").is_visible()
