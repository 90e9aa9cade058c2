"""Playwright driving Debian's chromium against pytest-django's live server."""

import os
import shutil

import pytest

from tests.conftest import services_required

CHROMIUM = "/usr/bin/chromium"
# Playwright's sync API runs an event loop in this thread; Django's ORM calls in the test body are still
# synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not shutil.which("chromium") and not os.path.exists(CHROMIUM):
        if services_required():
            pytest.fail("chromium is not installed (.ci/run installs it)")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def log_in(page, username: str, password: str) -> None:
    """Sign in through the log-in page and wait for "my codes"."""
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button.primary")
    page.wait_for_selector("[data-testid=home-title]")
