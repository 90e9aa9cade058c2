"""The licence office issues, suspends and revokes on its screens; a citizen opens "show only…" for a verifier's
request, unticks a field, and gets a QR of a presentation that reveals exactly the rest — on a phone-sized
screen, in Chinese and in English."""

import pytest

from apps.consent import services as consent_services
from apps.identity import services as identity_services
from apps.identity.models import Citizen, Organization
from apps.licences import mdoc, services
from apps.licences.models import Licence
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD, valid_id_number
from tests.licences.conftest import DRIVING_FIELDS, PURPOSE_FIELDS, verifier_state

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(make_citizen, make_org):
    bureau = make_org("data-bureau")
    admin = Citizen.objects.create(username="bureau-admin", name="管理员")
    second = Citizen.objects.create(username="bureau-admin-2", name="复核员")
    for person in (admin, second):
        identity_services.membership_set(user=person, organization=bureau, role="admin")
    office = make_org("traffic-police", Organization.Kind.LICENCE_OFFICE, name="交警支队")
    clerk = make_citizen(username="clerk", name="窗口民警")
    identity_services.membership_set(user=clerk, organization=office, role="staff")
    kind = services.licence_type_define(
        office=office, by=clerk, type_code="JSZC1", authority_code="11500000MB1234567X", label_zh="机动车驾驶证（C1）",
        label_en="Driving licence (C1)", category="licence.driving", fields=DRIVING_FIELDS,
        purpose_fields=PURPOSE_FIELDS, validity_days=2190)
    alice = make_citizen(username="alice", name="李爱丽")
    services.licence_issue(licence_type=kind, citizen=alice, issued_by=clerk, values={
        "vehicle_class": "C1", "first_issued": "2012-05-01", "address": "渝中区解放碑路1号"})
    patrol = make_org("traffic-patrol", name="交巡警")
    proposal = consent_services.access_grant_propose(organization=patrol, purpose="licence.traffic_check",
                                                     proposed_by=admin, legal_reference="道路交通安全法")
    consent_services.proposal_approve(proposal=proposal, approved_by=second)
    return kind, alice, patrol


def test_a_citizen_shows_only_what_she_ticks(page, world):
    kind, alice, patrol = world
    request = services.presentation_request_create(verifier=patrol, licence_type=kind,
                                                   purpose="licence.traffic_check")
    # Given alice signed in, on "my licences" from the navigation
    log_in(page, "alice", PASSWORD)
    page.click("[data-testid=nav-licences]")
    page.wait_for_selector("[data-testid=licences-title]")
    assert page.locator("[data-testid=licence-JSZC1]").get_attribute("data-status") == "active"
    assert page.locator("[data-testid=field-vehicle_class]").inner_text() == "C1"
    # When she enters the patrol's code and unticks her name
    page.fill("[data-testid=request-code]", request.nonce)
    page.click("[data-testid=request-open]")
    page.wait_for_selector("[data-testid=show-form]")
    assert "交巡警" in page.inner_text("[data-testid=request-summary]")
    assert "交通执法查验驾驶证" in page.inner_text("[data-testid=request-summary]")
    page.uncheck("[data-testid=element-name]")
    page.click("[data-testid=show-submit]")
    # Then a QR is drawn, and the list says what it reveals
    page.wait_for_selector("[data-testid=presentation-qr] svg")
    shown = page.locator("[data-testid=shown-fields] li").all_inner_texts()
    assert shown == ["准驾车型", "有效期至", "证照编号"]
    # And the presentation verifies offline with exactly those, and without the name
    text = page.input_value("[data-testid=presentation-text]")
    trust, status = verifier_state()
    verified = mdoc.presentation_verify(text, trust_list=trust, status_lists=status, nonce=request.nonce,
                                        purpose=request.purpose, verifier="traffic-patrol",
                                        now=request.created_at)
    assert set(verified.elements) == {"vehicle_class", "valid_until", "identifier"}
    assert "李爱丽".encode() not in mdoc.decode(text)
    # And the page fits a phone: nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_office_issues_suspends_and_revokes_in_english(page, world, make_citizen):
    kind, _alice, _patrol = world
    number = valid_id_number(sequence="555")
    bob = make_citizen(username="bob", name="鲍勃", id_number=number)
    # Given the clerk signed in, reading English
    log_in(page, "clerk", PASSWORD)
    page.click("[data-testid=lang-switch]")
    page.goto("/licences/office/")
    page.wait_for_selector("[data-testid=office-title]")
    assert page.inner_text("[data-testid=office-title]") == "Licence office"
    # When she issues a licence to bob by his ID number
    page.click("[data-testid=issue-JSZC1]")
    page.fill("[data-testid=issue-id-number]", number)
    page.fill("[data-testid=issue-vehicle_class]", "C1")
    page.fill("[data-testid=issue-first_issued]", "2020-02-02")
    page.fill("[data-testid=issue-address]", "江北区")
    page.click("[data-testid=issue-submit]")
    page.wait_for_selector("[data-testid=office-title]")
    licence = Licence.objects.get(citizen=bob)
    ident = licence.identifier
    # Then it is listed; she suspends it with a reason, then revokes it
    page.fill(f"[data-testid='reason-{ident}']", "12 points")
    page.click(f"[data-testid='suspend-{ident}']")
    page.wait_for_selector(f"[data-testid='reinstate-{ident}']")
    licence.refresh_from_db()
    assert licence.status == "suspended"
    assert licence.events.get(action="suspended").reason == "12 points"
    page.click(f"[data-testid='revoke-{ident}']")
    page.wait_for_selector(f"[data-testid='office-licence-{ident}'][data-status=revoked]")
    licence.refresh_from_db()
    assert licence.status == "revoked"
    # And bob sees it revoked on his page
    page.context.clear_cookies()
    log_in(page, "bob", PASSWORD)
    page.goto("/licences/")
    page.wait_for_selector("[data-testid=licence-revoked]")


def test_a_citizen_without_a_role_sees_no_office_screen(page, world):
    log_in(page, "alice", PASSWORD)
    response = page.goto("/licences/office/")
    assert response.status == 404
