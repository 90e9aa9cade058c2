"""The health commission's pages in a real browser (phone-sized): import a case list, see it rejected with line
numbers or applied with its counts; draft a rule set from the published one, see its tests, dry-run and publish it."""

import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.health import selectors
from apps.health.models import CaseListImport, ColourTransition, RuleSetVersion
from apps.identity.models import Citizen
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "citycode-demo"
ALICE = "330106199003071236"  # the demo's fictitious number for alice (apps/identity/demo.py)


@pytest.fixture
def demo_city(settings, tmp_path):
    settings.BASE_DIR = tmp_path
    call_command("seed_demo", stdout=io.StringIO())


def test_an_officer_imports_a_case_list_and_a_bad_one_is_rejected_by_line(page, demo_city):
    alice = Citizen.objects.get(username="alice")
    assert selectors.colour_get(citizen=alice).colour == "green"
    log_in(page, "officer", PASSWORD)
    # When the officer uploads a list with a bad second row
    page.goto("/health/commission/case-lists/")
    today = timezone.localdate().isoformat()
    bad = f"id_number,kind,since\n{ALICE},close_contact,{today}\n{ALICE[:-1]}0,gambling,{today}\n".encode()
    page.set_input_files("[data-testid=case-list-file]", files=[
        {"name": "bad.csv", "mimeType": "text/csv", "buffer": bad}])
    page.click("[data-testid=case-list-upload]")
    # Then the page says rejected, lists each error by line, and alice is still green
    page.wait_for_selector("[data-testid=errors]")
    errors = page.locator("[data-testid=errors] tbody tr")
    assert errors.count() == 2 and errors.nth(0).inner_text().startswith("3")
    assert "unknown_case_kind" in page.locator("[data-testid=errors]").inner_text()
    assert selectors.colour_get(citizen=alice).colour == "green"
    # When a good list is uploaded
    page.goto("/health/commission/case-lists/")
    good = f"id_number,kind,since\n{ALICE},close_contact,{today}\n".encode()
    page.set_input_files("[data-testid=case-list-file]", files=[
        {"name": "good.csv", "mimeType": "text/csv", "buffer": good}])
    page.click("[data-testid=case-list-upload]")
    # Then the progress shows done: 1 read, 1 matched, 1 recoloured, and alice is yellow (Hangzhou: contact)
    page.wait_for_selector("#progress[data-state=done]")
    assert [page.locator(f"[data-testid={k}]").inner_text() for k in ("rows_read", "matched", "recoloured")] == [
        "1", "1", "1"]
    assert selectors.colour_get(citizen=alice).colour == "yellow"
    assert CaseListImport.objects.filter(state="rejected").count() == 1


def test_a_citizen_cannot_open_the_commission_pages(page, demo_city):
    log_in(page, "alice", PASSWORD)
    response = page.goto("/health/commission/case-lists/")
    assert response.status == 403
    assert "not_health_commission" in page.locator("[data-testid=refusal]").inner_text()


def test_an_officer_drafts_dry_runs_and_publishes_a_rule_set(page, demo_city):
    log_in(page, "officer", PASSWORD)
    hubei = RuleSetVersion.objects.get(region__code="hubei", version="1.0.0")
    transitions = ColourTransition.objects.count()
    # When the officer starts a new version from the published Hubei one, with a rule reading deposits
    page.goto(f"/health/commission/rules/?from={hubei.pk}")
    rules = json.loads(page.locator("[data-testid=rules]").input_value())
    rules[0]["logic"] = {"or": [rules[0]["logic"], {">": [{"var": "finance.deposits"}, 0]}]}
    page.fill("[data-testid=version]", "1.1.0")
    page.fill("[data-testid=rules]", json.dumps(rules))
    page.click("[data-testid=save-draft]")
    # Then it is refused, naming the input
    refusal = page.locator("[data-testid=refusal]").inner_text()
    assert "rule_input_not_epidemiological" in refusal and "finance.deposits" in refusal
    assert not RuleSetVersion.objects.filter(version="1.1.0").exists()
    # When the rule is put back and saved
    rules[0]["logic"] = rules[0]["logic"]["or"][0]
    page.fill("[data-testid=rules]", json.dumps(rules))
    page.click("[data-testid=save-draft]")
    page.wait_for_selector("[data-testid=tests]")
    assert "✘" not in page.locator("[data-testid=tests]").inner_text()
    # And dry-run: nobody would change (same rules), nothing written
    page.click("[data-testid=dry-run]")
    assert "0" in page.locator("[data-testid=dry-run-summary]").inner_text()
    assert ColourTransition.objects.count() == transitions
    # And published (its start is past the notice period by default)
    page.click("[data-testid=publish]")
    page.wait_for_selector("[data-testid=state]")
    assert RuleSetVersion.objects.get(region__code="hubei", version="1.1.0").state == "published"
