"""The /verify/ page: a staff member scans a code for their organization, through the same service as /scan."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.codes import qr, services
from apps.consent import selectors as consent_selectors
from apps.consent import services as consent_services
from apps.identity import services as identity_services
from apps.identity.models import Citizen, Organization

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
    [row] = consent_selectors.access_log_for(citizen=alice)
    assert row.outcome == "allowed" and row.actor_label.startswith("librarian")


def test_another_purpose_is_refused_with_the_reason(librarian, alice):
    response = librarian.post("/verify/", {"organization": "library", "purpose": "transit.boarding",
                                           "token": city_token(alice)})
    assert response.status_code == 403
    html = response.content.decode()
    assert 'data-reason="no_grant"' in html and 'data-testid="scan-result"' not in html
    assert "李爱丽" not in html


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
    assert consent_selectors.access_log_for(citizen=alice).count() == 0


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
