import pytest

from apps.identity.models import Citizen
from tests.conftest import valid_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_citizen_registers_logs_in_and_sees_my_codes(page):
    # Given the registration page, in the city's default language
    page.goto("/register/")
    assert "实名注册" in page.content() or "Register" in page.content()
    id_number = valid_id_number(region="440305", birth="19880808", sequence="321")

    # When a citizen registers under their real name
    page.fill("#id_name", "赵敏")
    page.fill("#id_id_number", id_number)
    page.fill("#id_phone", "13912345678")
    page.fill("#id_username", "zhaomin")
    page.fill("#id_password", "a-long-pass-phrase")
    page.click("button.primary")

    # Then they are sent to sign in (a refused registration answers alike), sign in, and see only the mask
    page.wait_for_url("**/login/")
    assert Citizen.objects.filter(username="zhaomin").exists()
    page.fill("#id_username", "zhaomin")
    page.fill("#id_password", "a-long-pass-phrase")
    page.click("button.primary")
    page.wait_for_selector("[data-testid=home-title]")
    assert page.inner_text("[data-testid=id-masked]") == "44" + "*" * 15 + id_number[-1:]
    assert id_number not in page.content()

    # When they log out and log in again with their phone number
    page.screenshot(path="/tmp/home.png")
    page.click("form.inline button[type=submit] >> nth=0")
    page.goto("/login/")
    page.fill("#id_username", "13912345678")
    page.fill("#id_password", "a-long-pass-phrase")
    page.click("button.primary")

    # Then the home page greets them
    page.wait_for_selector("[data-testid=home-title]")
    assert page.inner_text("[data-testid=who]") == "赵敏"


def test_a_bad_id_number_is_refused_with_the_reason(page):
    page.goto("/register/")
    page.fill("#id_name", "赵敏")
    page.fill("#id_id_number", valid_id_number()[:17] + ("0" if valid_id_number()[17] != "0" else "1"))
    page.fill("#id_phone", "13912345678")
    page.fill("#id_username", "zhaomin")
    page.fill("#id_password", "a-long-pass-phrase")
    page.click("button.primary")
    assert page.locator("[data-testid=error-id_number]").count() == 1
    assert not Citizen.objects.filter(username="zhaomin").exists()


def test_the_language_switch_turns_the_page_to_english(page):
    page.goto("/login/")
    page.click("[data-testid=lang-switch]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Log in"
    assert page.locator("html").get_attribute("lang") == "en"
