"""The /verify/ page: a staff member scans a code for their organization, through the same service as /scan."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from apps.codes import qr, services, tokens
from apps.consent import selectors as consent_selectors
from apps.consent import services as consent_services
from apps.identity import services as identity_services
from apps.identity.models import Citizen, Organization
from apps.talent import services as talent_services

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-staff-password"


@pytest.fixture
def library(make_org):
    org = make_org("library", kind=Organization.Kind.VENUE)
    approver = Citizen.objects.create(username="bureau-root", is_superuser=True)
    consent_services.access_grant_create(organization=org, purpose="venue.entry", approved_by=approver)
    return org


@pytest.fixture
def librarian(library):
    user = Citizen(username="librarian", name="图书馆员")
    user.set_password(PASSWORD)
    user.save()
    identity_services.membership_set(user=user, organization=library, role="staff")
    client = Client()
    assert client.login(username="librarian", password=PASSWORD)
    return client


@pytest.fixture
def alice(make_citizen, library):
    citizen = make_citizen(name="李爱丽")
    consent_services.consent_give(citizen=citizen, purpose="venue.entry",
                                  categories=["identity.adult", "identity.name"], organization=library)
    return citizen


def city_token(citizen):
    return services.token_issue(citizen=citizen, code_type="city", lifetime=dt.timedelta(minutes=5)).token


def test_the_page_offers_the_staff_members_organizations_and_the_purposes(librarian):
    response = librarian.get("/verify/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="library"' in html and 'value="venue.entry"' in html


def test_a_pasted_code_shows_the_allowed_fields_and_is_logged_as_the_staff_member(librarian, alice):
    # When the librarian pastes alice's code for venue.entry
    response = librarian.post("/verify/", {"organization": "library", "purpose": "venue.entry",
                                           "token": city_token(alice)})
    # Then the page shows her name and adulthood, and nothing else
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="scan-result"' in html
    assert 'data-category="identity.name"' in html and "李爱丽" in html
    assert 'data-category="identity.adult"' in html
    assert alice.id_masked not in html and alice.phone not in html
    # And alice's access log names the librarian
    [row] = consent_selectors.access_log_list(citizen=alice)
    assert row.outcome == "allowed" and row.actor_label.startswith("librarian")


def test_another_purpose_is_refused_with_the_reason(librarian, alice):
    response = librarian.post("/verify/", {"organization": "library", "purpose": "transit.boarding",
                                           "token": city_token(alice)})
    assert response.status_code == 403
    html = response.content.decode()
    # The staff member sees one generic refusal; the precise reason is in alice's access log
    assert 'data-reason="not_disclosed"' in html and 'data-testid="scan-result"' not in html
    assert "no_grant" not in html and "李爱丽" not in html
    assert consent_selectors.access_log_list(citizen=alice).first().reason == "no_grant"


def test_a_photo_of_the_code_is_read_on_the_server(librarian, alice):
    # Given a PNG of alice's code, as a phone camera or a screenshot would give it
    image = SimpleUploadedFile("code.png", qr.render_png(city_token(alice)), content_type="image/png")
    # When the librarian uploads it instead of pasting
    response = librarian.post("/verify/", {"organization": "library", "purpose": "venue.entry", "image": image})
    # Then the result is the same as for the pasted code
    assert response.status_code == 200
    assert 'data-category="identity.name"' in response.content.decode()


@pytest.mark.parametrize("content, reason", [(b"not an image at all", "bad_image"),
                                              (qr.render_png("HELLO CITY"), "bad_prefix")])
def test_a_bad_upload_is_refused_with_a_reason(librarian, alice, content, reason):
    image = SimpleUploadedFile("code.png", content, content_type="image/png")
    response = librarian.post("/verify/", {"organization": "library", "purpose": "venue.entry", "image": image})
    assert response.status_code == 400
    assert f'data-reason="{reason}"' in response.content.decode()


def test_a_blank_image_has_no_code(librarian):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (200, 200), 255).save(buffer, format="PNG")
    image = SimpleUploadedFile("blank.png", buffer.getvalue(), content_type="image/png")
    response = librarian.post("/verify/", {"organization": "library", "purpose": "venue.entry", "image": image})
    assert 'data-reason="no_code_in_image"' in response.content.decode()


def test_nothing_to_verify_is_a_form_error(librarian):
    response = librarian.post("/verify/", {"organization": "library", "purpose": "venue.entry"})
    assert response.status_code == 400
    assert 'data-testid="form-error"' in response.content.decode()


def test_the_staff_member_cannot_act_for_another_organization(librarian, alice, make_org):
    make_org("other-venue", kind=Organization.Kind.VENUE)
    response = librarian.post("/verify/", {"organization": "other-venue", "purpose": "venue.entry",
                                           "token": city_token(alice)})
    assert response.status_code == 400
    assert consent_selectors.access_log_list(citizen=alice).count() == 0


def test_a_citizen_without_an_organization_may_not_verify(make_citizen):
    make_citizen(username="plain", name="普通人")
    client = Client()
    client.login(username="plain", password="correct-horse-battery")
    response = client.get("/verify/")
    assert response.status_code == 403
    assert 'data-testid="verify-forbidden"' in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in():
    response = Client().get("/verify/")
    assert response.status_code == 302 and "/login/" in response["Location"]


# -- words, not codes, in both languages --------------------------------------------------------------------


def _in_english(client):
    client.cookies["django_language"] = "en"
    return client


def test_an_allowed_scan_reads_as_words_in_chinese(librarian, alice):
    # When the librarian verifies alice's code (the page defaults to Chinese)
    html = librarian.post("/verify/", {"organization": "library", "purpose": "venue.entry",
                                       "token": city_token(alice)}).content.decode()
    # Then the heading, the legal basis, the code type and the fields are labels, not codes
    assert "已准许：场馆入场" in html
    assert "法律依据：本人同意 · 码：城市码" in html
    with translation.override("zh-hans"):
        labels = consent_selectors.category_labels_get()
    assert f"<dt>{labels['identity.name']}</dt>" in html and f"<dt>{labels['identity.adult']}</dt>" in html
    assert "Allowed" not in html and "consent ·" not in html


def test_an_allowed_scan_reads_as_words_in_english(librarian, alice):
    html = _in_english(librarian).post("/verify/", {"organization": "library", "purpose": "venue.entry",
                                                    "token": city_token(alice)}).content.decode()
    assert "Allowed: Venue entry" in html
    assert "Legal basis: Consent · Code: City code" in html
    with translation.override("en"):
        labels = consent_selectors.category_labels_get()
    assert f"<dt>{labels['identity.adult']}</dt>" in html
    # And the purpose choices are labels without their codes
    assert ">Venue entry</option>" in html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_refused_code_is_explained_once_in_a_sentence(librarian, alice, language):
    if language == "en":
        _in_english(librarian)
    # When the librarian pastes something that is not a city code
    response = librarian.post("/verify/", {"organization": "library", "purpose": "venue.entry",
                                           "token": "HC1:" + city_token(alice)[4:]})
    html = response.content.decode()
    assert response.status_code == 400
    # Then the refusal is the sentence for bad_prefix, in the page's language
    with translation.override(language):
        sentence = escape(str(tokens.REFUSAL_MESSAGES["bad_prefix"]))
    assert html.count(sentence) == 1
    # And the code appears only as the machine attribute and the small print for support staff
    assert html.count("bad_prefix") == 2
    assert 'class="hint reason-code"' in html


def test_a_gate_denial_is_the_consent_sentence(librarian, alice):
    html = _in_english(librarian).post("/verify/", {"organization": "library", "purpose": "transit.boarding",
                                                    "token": city_token(alice)}).content.decode()
    assert "The data was not disclosed." in html
    assert html.count("not_disclosed") == 2 and "no_grant" not in html


def test_a_structured_value_shows_the_code_types_labels(librarian, make_citizen, library):
    # Given bob, a certified talent who consented to talent.benefits with the library
    bob = make_citizen(name="王博")
    talent_services.certification_issue(citizen=bob, level="B", issued_by="市人才服务中心",
                                        valid_until=dt.date.today() + dt.timedelta(days=30))
    consent_services.access_grant_create(organization=library, purpose="talent.benefits",
                                         approved_by=Citizen.objects.get(username="bureau-root"))
    consent_services.consent_give(citizen=bob, purpose="talent.benefits", organization=library,
                                  categories=["talent.certification"])
    # When the librarian verifies his city code for talent.benefits, in each language
    form = {"organization": "library", "purpose": "talent.benefits", "token": city_token(bob)}
    zh = librarian.post("/verify/", form).content.decode()
    en = _in_english(librarian).post("/verify/", form).content.decode()
    # Then the certification's parts carry the talent code type's labels, not its keys
    assert "<dt>人才层次</dt><dd>B</dd>" in zh and "<dt>已认定</dt><dd>是</dd>" in zh
    assert "<dt>Level</dt><dd>B</dd>" in en and "<dt>Issued by</dt><dd>市人才服务中心</dd>" in en
    assert "issued_by" not in zh and "valid_until" not in en


def test_the_navigation_offers_the_verify_page_only_to_staff(librarian, make_citizen):
    assert 'data-testid="nav-verify"' in librarian.get("/consents/").content.decode()
    make_citizen(username="plain-reader", name="普通人")
    client = Client()
    assert client.login(username="plain-reader", password="correct-horse-battery")
    assert 'data-testid="nav-verify"' not in client.get("/consents/").content.decode()
