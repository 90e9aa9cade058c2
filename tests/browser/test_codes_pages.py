"""My codes (QR drawn on the device, rotating) and the verifier page, in a real browser."""

import datetime as dt
import io

import pytest
import zxingcpp
from django.core.management import call_command
from PIL import Image

from apps.codes import qr, selectors, services
from apps.identity.models import Citizen
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "citycode-demo"


@pytest.fixture
def demo_city(settings, tmp_path):
    settings.BASE_DIR = tmp_path  # the demo's API-key file goes to a scratch directory
    call_command("seed_demo", stdout=io.StringIO())
    return Citizen.objects.get(username="alice")


def decode_element(locator) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(locator.screenshot())))
    assert results, "no QR code in the screenshot"
    return results[0].text


def test_alices_page_draws_her_codes_as_qr_codes_that_verify(page, demo_city):
    # Given alice, who holds the city code, (from the talent office) the talent code and the medical code
    alice = demo_city
    # When she opens "my codes"
    log_in(page, "alice", PASSWORD)
    page.wait_for_selector("[data-testid=code-list][data-ready=true]")
    # Then her codes are drawn, city first, each with a countdown
    cards = page.locator("[data-testid=code-card]")
    drawn = [cards.nth(i).get_attribute("data-code-type") for i in range(cards.count())]
    assert drawn[:2] == ["city", "talent"] and {"transit", "medical", "licence", "health", "library_card"} <= set(drawn)
    assert "城市码" in cards.nth(0).inner_text()
    assert page.locator("[data-testid=code-countdown]").first.inner_text().strip()
    # And the QR drawn in the browser decodes to a token that verifies as alice's city code
    token = decode_element(page.locator("[data-code-type=city] canvas"))
    verified = selectors.verified_token_get(token=token, expected_type="city")
    assert selectors.token_subject_get(verified=verified) == alice
    talent = selectors.verified_token_get(token=decode_element(page.locator("[data-code-type=talent] canvas")),
                                   expected_type="talent")
    # The talent level stays out of the token (issue 7, finding 4): a verifier reads it through the gate
    assert talent.claims == {} and selectors.token_subject_get(verified=talent) == alice
    page.screenshot(path="/tmp/my_codes.png")


def test_the_code_rotates_before_it_expires(page, demo_city):
    # Given alice's page with a fake clock in the browser
    page.clock.install()
    log_in(page, "alice", PASSWORD)
    page.wait_for_selector("[data-testid=code-list][data-ready=true]")
    city = page.locator("[data-code-type=city]")
    assert city.get_attribute("data-drawn") == "1"
    # When four and a half minutes pass (past refresh_after, before expiry)
    page.clock.fast_forward("04:30")
    # Then the page has fetched and drawn a new token, and the code was never shown as expired
    page.wait_for_selector("[data-code-type=city][data-drawn='2']")
    assert city.locator("[data-testid=code-stale]").is_hidden()
    token = decode_element(city.locator("canvas"))
    verified = selectors.verified_token_get(token=token, expected_type="city")
    assert selectors.token_subject_get(verified=verified) == demo_city


def test_the_verifier_sees_the_allowed_fields_for_venue_entry_and_a_refusal_otherwise(page, demo_city):
    # Given alice's city code (she consented to venue.entry with the city library)
    token = services.token_issue(citizen=demo_city, code_type="city", lifetime=dt.timedelta(minutes=5)).token
    # When the librarian verifies it for venue.entry
    log_in(page, "librarian", PASSWORD)
    page.goto("/verify/")
    page.select_option("#id_organization", "city-library")
    page.select_option("#id_purpose", "venue.entry")
    page.fill("#id_token", token)
    page.click("[data-testid=verify-submit]")
    # Then the allowed fields are shown, and nothing else
    page.wait_for_load_state()
    assert page.locator("[data-testid=scan-refusal]").count() == 0, page.inner_text("main")
    page.wait_for_selector("[data-testid=scan-result]")
    fields = page.locator("[data-testid=scan-field]")
    shown = {fields.nth(i).get_attribute("data-category"): fields.nth(i).inner_text() for i in range(fields.count())}
    assert set(shown) == {"identity.adult", "identity.name"}
    assert shown["identity.name"] == "李爱丽"
    assert demo_city.id_masked not in page.content()

    # When the librarian tries the same code for a purpose the library holds no grant for
    page.select_option("#id_purpose", "transit.boarding")
    page.fill("#id_token", token)
    page.click("[data-testid=verify-submit]")
    # Then it is refused with the one generic code (the reason is in alice's log), and no field is shown
    page.wait_for_selector("[data-testid=scan-refusal]")
    assert page.get_attribute("[data-testid=scan-refusal]", "data-reason") == "not_disclosed"
    assert page.locator("[data-testid=scan-field]").count() == 0


def test_the_verifier_can_upload_a_photo_of_the_code(page, demo_city, tmp_path):
    token = services.token_issue(citizen=demo_city, code_type="city", lifetime=dt.timedelta(minutes=5)).token
    photo = tmp_path / "code.png"
    photo.write_bytes(qr.render_png(token))
    log_in(page, "librarian", PASSWORD)
    page.goto("/verify/")
    page.select_option("#id_purpose", "venue.entry")
    page.set_input_files("#id_image", str(photo))
    page.click("[data-testid=verify-submit]")
    page.wait_for_selector("[data-testid=scan-result]")
    assert page.locator("[data-category='identity.name']").inner_text() == "李爱丽"
