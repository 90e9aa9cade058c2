"""The consent pages show people words — category labels, organization names, denial sentences — in the
reader's language, not the machine codes (which stay only as small print for support staff)."""

import re

import pytest
from django.test import Client
from django.utils import translation

from apps.consent import services
from apps.consent.models import DataCategory
from apps.identity import services as identity_services
from apps.identity.models import Citizen, Organization
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(grant):
    org = identity_services.organization_create(
        slug="city-library", name="市图书馆", name_en="City Library", kind=Organization.Kind.VENUE
    )
    grant(org, "venue.entry")
    return org


@pytest.fixture
def librarian(library):
    user = Citizen.objects.create(username="librarian", name="图书馆员")
    identity_services.membership_set(user=user, organization=library, role="staff")
    return user


@pytest.fixture
def alice_log(alice, library, librarian):
    """alice consented to venue.entry (adulthood only); the library read it once, then asked for a purpose
    it holds no grant for."""
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"], organization=library)
    services.disclose(organization=library, purpose="venue.entry", citizen=alice, actor=librarian)
    with pytest.raises(services.DisclosureDenied):
        services.disclose(organization=library, purpose="transit.boarding", citizen=alice, actor=librarian)
    return alice


def _client(citizen, language=None) -> Client:
    client = Client()
    if language:
        client.cookies["django_language"] = language
    assert client.login(username=citizen.username, password=PASSWORD)
    return client


def _cell(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</(td|span)>', html, re.S)
    assert match, testid
    return match.group(1)


def _cells(html: str, testid: str) -> str:
    return " | ".join(m for m, _tag in re.findall(rf'data-testid="{testid}"[^>]*>(.*?)</(td|span)>', html, re.S))


def test_access_log_in_chinese_shows_labels_names_and_sentences(alice_log):
    adult = DataCategory.objects.get(code="identity.adult")
    # When alice opens "who read my data" (Chinese by default)
    html = _client(alice_log).get("/consents/access-log/").content.decode()
    # Then the data column names the category, not its code
    assert adult.label_zh in _cells(html, "log-categories")
    assert "identity.adult" not in html
    # And the organization is named in Chinese
    assert "市图书馆" in html and "City Library" not in html
    # And the denial is a sentence, with the machine reason kept as small print
    with translation.override("zh-hans"):
        sentence = str(services.DENIAL_MESSAGES["no_grant"])
    assert sentence in _cell(html, "log-denial")
    assert 'class="hint reason-code">no_grant<' in html


def test_access_log_in_english(alice_log):
    adult = DataCategory.objects.get(code="identity.adult")
    # When alice reads the page in English
    html = _client(alice_log, "en").get("/consents/access-log/").content.decode()
    # Then labels, organization name and denial sentence are English
    assert adult.label_en in _cells(html, "log-categories")
    assert "City Library" in html and "市图书馆" not in html
    assert "The organization holds no grant for this purpose." in html
    assert "identity.adult" not in html


def test_my_consents_shows_category_labels_and_the_organization_in_the_readers_language(alice_log):
    adult = DataCategory.objects.get(code="identity.adult")
    consent = alice_log.consents.get()
    # In Chinese
    html = _client(alice_log).get("/consents/").content.decode()
    assert _cell(html, f"consent-categories-{consent.pk}").strip().startswith(adult.label_zh)
    row = html[html.index(f'data-testid="consent-{consent.pk}"'):]
    row = row[:row.index("</tr>")]
    assert "市图书馆" in row and "City Library" not in row
    # In English
    html = _client(alice_log, "en").get("/consents/").content.decode()
    assert _cell(html, f"consent-categories-{consent.pk}").strip().startswith(adult.label_en)
    row = html[html.index(f'data-testid="consent-{consent.pk}"'):]
    row = row[:row.index("</tr>")]
    assert "City Library" in row and "市图书馆" not in row
    # And the consent form's organization choice is English too
    assert ">City Library</option>" in html


def test_a_consent_given_by_a_guardian_names_the_guardian(make_citizen, library):
    import datetime as dt

    from django.utils import timezone

    # Given bob, guardian of carol (a minor), who consents for her
    bob = make_citizen(username="bob", name="王博")
    carol = make_citizen(username="carol", name="王小乐", birth=f"{timezone.localdate().year - 8}0101")
    services.representation_create(representative=bob, represented=carol, kind="guardian",
                                   valid_until=timezone.now() + dt.timedelta(days=30))
    consent = services.consent_give(citizen=carol, purpose="venue.entry", categories=["identity.adult"],
                                    organization=library, actor=bob)
    # When carol's consents are shown in each language
    zh = _client(carol).get("/consents/").content.decode()
    en = _client(carol, "en").get("/consents/").content.decode()
    # Then the guardian is named by name in a sentence of that language, not by the stored English label
    assert _cell(zh, f"consent-given-by-{consent.pk}") == "由 王博 代为授权"
    assert _cell(en, f"consent-given-by-{consent.pk}") == "Given on your behalf by 王博"
    assert "acting for" not in zh and "acting for" not in en


def test_access_log_names_who_acted_in_the_readers_language(alice_log):
    # Given the librarian read alice's data for the library
    # When alice opens "who read my data" in Chinese, then in English
    zh = _client(alice_log).get("/consents/access-log/").content.decode()
    en = _client(alice_log, "en").get("/consents/access-log/").content.decode()
    # Then the actor reads as a staff member in her language, not as the stored machine label
    assert "工作人员 librarian" in _cell(zh, "log-actor")
    assert "staff member librarian" in _cell(en, "log-actor")
    assert "librarian for city-library" not in _cell(zh, "log-actor")


def test_actor_of_reads_every_form_of_the_first_chain_format_and_keeps_unknown_labels():
    from apps.consent.models import AccessLog
    from apps.consent.selectors import access_log_actor_get

    def legacy(label):
        return access_log_actor_get(row=AccessLog(actor_label=label, chain_format=1))

    with translation.override("en"):
        assert legacy("organization city-library")["display"] == "the organization's own system"
        assert legacy("api-client gate 1 of city-library") == {
            "kind": "api_client", "label": "gate 1", "display": "device or system “gate 1”"}
        assert legacy("librarian for city-library")["display"] == "staff member librarian"
        assert legacy("something else") == {"kind": "", "label": "something else", "display": "something else"}
        assert legacy("") is None
