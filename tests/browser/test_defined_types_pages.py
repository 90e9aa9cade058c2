"""A department designs a code type in the browser with a live preview; anyone reads the public catalogue and the
transparency report (issue 12)."""

import pytest

from apps.codes.models import DefinedCodeTypeVersion
from apps.consent import services
from apps.identity import services as identity_services
from apps.identity.models import Citizen, Organization
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def department(make_citizen, make_org):
    culture = make_org("culture-bureau", Organization.Kind.DEPARTMENT, name="市文旅局")
    manager = make_citizen(username="culture", name="文旅局管理员")
    identity_services.membership_set(user=manager, organization=culture, role="admin")
    return culture


def test_a_department_designs_a_code_type_with_a_live_preview_and_proposes_it(page, department):
    log_in(page, "culture", PASSWORD)
    page.goto("/codes/designer/")
    page.wait_for_selector("[data-testid=designer-title]")
    # When the manager names the code and gives a sample, the preview shows the card and its labelled claims
    page.fill("[data-testid=designer-key]", "museum_pass")
    page.fill("[data-testid=designer-label-zh]", "博物馆年卡")
    page.fill("[data-testid=designer-label-en]", "Museum pass")
    page.fill("[data-testid=designer-purposes]", '[{"code": "museum_pass.entry", "label_zh": "入馆核验", '
                                                  '"label_en": "Museum entry", "retention_days": 30}]')
    page.wait_for_function("document.querySelector('[data-testid=preview-label]').textContent === '博物馆年卡'")
    page.wait_for_selector("#designer[data-preview-state=ok]")
    assert page.locator("[data-testid=preview-rows] dd[data-claim=level]").inner_text() == "A"
    # And a claim that would name the person is flagged at once, before anything is sent for review
    page.fill("[data-testid=designer-schema]", '{"type": "object", "properties": {"id_number": {"type": "string"}}}')
    page.fill("[data-testid=designer-labels]", '{"id_number": ["身份证号", "ID number"]}')
    page.wait_for_selector("[data-testid=preview-errors] li[data-field=claims_schema]")
    assert not DefinedCodeTypeVersion.objects.exists()
    # When it is fixed and proposed, the version waits for the data bureau
    page.fill("[data-testid=designer-schema]", '{"type": "object", "properties": {"level": {"enum": ["A", "B"]}}}')
    page.fill("[data-testid=designer-labels]", '{"level": ["等级", "Level"]}')
    page.fill("[data-testid=designer-issuers]", "culture-bureau")
    page.wait_for_selector("#designer[data-preview-state=ok]")
    page.click("[data-testid=designer-submit]")
    page.wait_for_selector("[data-testid=designer-versions] tr[data-key=museum_pass][data-state=proposed]")
    version = DefinedCodeTypeVersion.objects.get()
    assert (version.code_type.key, version.state, version.proposed_by_label) == ("museum_pass", "proposed", "culture")


def test_someone_who_manages_no_department_cannot_open_the_designer(page, make_citizen):
    make_citizen(username="visitor")
    log_in(page, "visitor", PASSWORD)
    response = page.goto("/codes/designer/")
    assert response is not None and response.status == 403


def test_anyone_reads_the_catalogue_and_the_transparency_report(page, make_org):
    bureau = make_org("data-bureau")
    admin = Citizen.objects.create(username="bureau-admin", name="管理员")
    identity_services.membership_set(user=admin, organization=bureau, role="admin")
    library = make_org("city-library", Organization.Kind.VENUE, name="市图书馆")
    services.access_grant_create(organization=library, purpose="venue.entry", approved_by=admin)
    # Signed out: the catalogue names the library under venue entry, with its legal basis
    page.goto("/catalogue/")
    purpose = page.locator('[data-testid=catalogue-purpose][data-code="venue.entry"]')
    assert purpose.locator("[data-testid=catalogue-grants] li[data-org=city-library]").count() == 1
    assert purpose.locator("[data-testid=legal-basis]").inner_text().strip() == "您的同意"
    # And the footer leads to this month's transparency report
    page.click("footer a[href='/transparency/']")
    page.wait_for_selector("[data-testid=transparency-title]")
    assert page.locator("[data-testid=transparency-empty]").count() == 1
