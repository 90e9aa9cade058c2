"""Consent survives no change of purpose (finding 5) and no reclassification (issue 13, point 3).

A change of a purpose's text or bound, approved by a second bureau administrator, moves every live consent to
"needs renewal": it stops disclosing until the citizen consents to the new version. A category that becomes
sensitive leaves the consents that bundled it: they stop covering it until the citizen gives it separately.
"""

import itertools

import pytest
from django.test import Client

from apps.consent import gate_queries, selectors, services
from apps.consent.models import AccessLog, Consent, DataCategory, Purpose
from apps.consent.services.gate import consent_state
from tests.conftest import PASSWORD
from tests.consent.conftest import later

pytestmark = pytest.mark.django_db

VENUE = {"code": "venue.entry", "label_zh": "场馆入场", "label_en": "Venue entry",
         "description_zh": "场馆核验入场资格（如是否成年）。",
         "description_en": "A venue checks admission (for example, being an adult).",
         "categories": ["identity.adult", "identity.name"], "retention_days": 30}


def change_purpose(proposer, approver, **changes):
    proposal = services.purpose_change_propose(**{**VENUE, **changes}, proposed_by=proposer)
    return services.proposal_approve(proposal=proposal, approved_by=approver)


def last_row(citizen) -> AccessLog:
    return AccessLog.objects.filter(citizen=citizen).order_by("-seq").first()


def page(citizen, language="en") -> str:
    client = Client()
    client.cookies["django_language"] = language
    assert client.login(username=citizen.username, password=PASSWORD)
    return client.get("/consents/").content.decode()


def test_a_changed_purpose_text_stops_the_old_consent_until_the_citizen_renews(
        alice, library, grant, bureau_admin, second_admin):
    # Given alice's consent to venue entry (text version 1) and the library reading it
    grant(library, "venue.entry")
    old = services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult", "identity.name"],
                                organization=library)
    assert services.disclose(organization=library, purpose="venue.entry", citizen=alice).categories == (
        "identity.adult", "identity.name")
    # When one administrator proposes "...used for marketing", Then nothing changes before a second approves
    proposal = services.purpose_change_propose(
        **{**VENUE, "description_en": "A venue checks admission; the data is also used for marketing."},
        proposed_by=bureau_admin)
    assert services.disclose(organization=library, purpose="venue.entry", citizen=alice).basis == "consent"
    # When the second administrator approves it
    services.proposal_approve(proposal=proposal, approved_by=second_admin)
    assert Purpose.objects.get(code="venue.entry").text_version == 2
    # Then the version-1 consent no longer discloses, and alice's log says why
    with pytest.raises(services.DisclosureDenied) as exc:
        services.disclose(organization=library, purpose="venue.entry", citizen=alice)
    assert exc.value.code == "not_disclosed" and exc.value.reason == "consent_needs_renewal"
    assert (last_row(alice).outcome, last_row(alice).reason) == ("denied", "consent_needs_renewal")
    assert Consent.objects.get(pk=old.pk).status == "needs_renewal"
    # And "my consents" shows her a notice naming the purpose
    html = page(alice)
    assert 'data-testid="renewal-notice"' in html and f'data-testid="renewal-{old.pk}"' in html
    assert f'data-testid="consent-status-{old.pk}" data-status="needs_renewal"' in html
    assert "您的部分同意需要重新确认" in page(alice, "zh-hans")
    # When she consents to the new version, Then disclosure is restored and the notice is gone
    new = services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"],
                                organization=library, text_version=2)
    result = services.disclose(organization=library, purpose="venue.entry", citizen=alice)
    assert result.categories == ("identity.adult",) and result.consent_ids == (new.pk,)
    assert 'data-testid="renewal-notice"' not in page(alice)


def test_a_change_of_retention_alone_keeps_consents_live(alice, library, grant, bureau_admin, second_admin):
    grant(library, "venue.entry")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    change_purpose(bureau_admin, second_admin, retention_days=7)
    assert Purpose.objects.get(code="venue.entry").text_version == 1
    assert services.disclose(organization=library, purpose="venue.entry", citizen=alice).basis == "consent"


def test_a_narrowed_bound_moves_consents_to_renewal(alice, library, grant, bureau_admin, second_admin):
    grant(library, "venue.entry")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    change_purpose(bureau_admin, second_admin, categories=["identity.adult"])
    with pytest.raises(services.DisclosureDenied) as exc:
        services.disclose(organization=library, purpose="venue.entry", citizen=alice)
    assert exc.value.reason == "consent_needs_renewal"


@pytest.fixture
def email_purpose(bureau_admin):
    """contact.email, not sensitive, and a library newsletter purpose that may use it with the name."""
    services.category_upsert(code="contact.email", label_zh="电子邮箱", label_en="Email", sensitive=False)
    services.purpose_upsert(code="venue.newsletter", label_zh="场馆通讯", label_en="Venue newsletter",
                            categories=["identity.name", "contact.email"], retention_days=30)


def make_email_sensitive(proposer, approver):
    proposal = services.category_change_propose(code="contact.email", label_zh="电子邮箱", label_en="Email",
                                                sensitive=True, proposed_by=proposer)
    return services.proposal_approve(proposal=proposal, approved_by=approver)


def test_a_category_made_sensitive_leaves_the_bundled_consents(
        alice, library, grant, email_purpose, bureau_admin, second_admin):
    # Given alice's bundled consent to name and email (allowed while email was not sensitive)
    grant(library, "venue.newsletter")
    bundled = services.consent_give(citizen=alice, purpose="venue.newsletter",
                                    categories=["contact.email", "identity.name"])
    assert services.disclose(organization=library, purpose="venue.newsletter", citizen=alice).categories == (
        "contact.email", "identity.name")
    # When the bureau reclassifies email as sensitive (proposed, then approved by a second administrator)
    make_email_sensitive(bureau_admin, second_admin)
    # Then the library gets the name only: email waits for alice's separate consent
    assert services.disclose(organization=library, purpose="venue.newsletter", citizen=alice).categories == (
        "identity.name",)
    with pytest.raises(services.DisclosureDenied) as exc:
        services.disclose(organization=library, purpose="venue.newsletter", citizen=alice,
                          categories=["contact.email"])
    assert exc.value.reason == "consent_needs_renewal"
    bundled.refresh_from_db()
    assert bundled.categories == ["contact.email", "identity.name"]  # as given: the receipt still matches
    assert bundled.renewal_categories == ["contact.email"] and bundled.status == "active"
    # And alice sees the notice for email
    html = page(alice)
    assert f'data-testid="renewal-{bundled.pk}"' in html and "Email" in html
    # When she gives email its own explicit consent, Then the library gets it again and the notice is gone
    services.consent_give(citizen=alice, purpose="venue.newsletter", categories=["contact.email"],
                          sensitive_confirmed=True)
    assert services.disclose(organization=library, purpose="venue.newsletter", citizen=alice).categories == (
        "contact.email", "identity.name")
    assert 'data-testid="renewal-notice"' not in page(alice)


def test_a_consent_to_the_reclassified_category_alone_needs_renewal_too(
        alice, library, grant, email_purpose, bureau_admin, second_admin):
    # A single-category consent given without the explicit confirmation sensitive data needs
    grant(library, "venue.newsletter")
    only = services.consent_give(citizen=alice, purpose="venue.newsletter", categories=["contact.email"])
    make_email_sensitive(bureau_admin, second_admin)
    assert Consent.objects.get(pk=only.pk).status == "needs_renewal"
    with pytest.raises(services.DisclosureDenied) as exc:
        services.disclose(organization=library, purpose="venue.newsletter", citizen=alice)
    assert exc.value.reason == "consent_needs_renewal"


def test_the_reclassification_leaves_other_citizens_and_withdrawn_consents_alone(
        alice, make_citizen, email_purpose, bureau_admin, second_admin):
    bob = make_citizen(username="bob")
    name_only = services.consent_give(citizen=bob, purpose="venue.newsletter", categories=["identity.name"])
    gone = services.consent_give(citizen=alice, purpose="venue.newsletter",
                                 categories=["contact.email", "identity.name"])
    services.consent_withdraw(consent=gone)
    make_email_sensitive(bureau_admin, second_admin)
    assert Consent.objects.get(pk=name_only.pk).renewal_categories == []
    assert Consent.objects.get(pk=gone.pk).renewal_categories == []
    assert Consent.objects.get(pk=gone.pk).status == "withdrawn"


def test_the_gate_and_the_model_agree_on_every_consent_state(alice, library, bureau_admin, second_admin):
    # Given consents in every combination of withdrawn, expired, stale text version and reclassified categories
    consents = []
    for withdrawn, expired, stale, reclassified in itertools.product([False, True], repeat=4):
        consent = services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"],
                                        expires_at=later(days=len(consents) + 1))
        Consent.objects.filter(pk=consent.pk).update(
            withdrawn_at=later(days=-1) if withdrawn else None,
            given_at=later(days=-10),
            expires_at=later(days=-1) if expired else None,
            text_version=0 if stale else 1,
            renewal_categories=["identity.adult"] if reclassified else [],
        )
        consents.append(consent.pk)
    now = later(seconds=0)
    # When the gate's SQL and the model each decide
    _grants, rows = gate_queries.decision_rows(organization_id=library.pk, purpose_code="venue.entry",
                                               citizen_id=alice.pk, now=now)
    from_sql = {cid: consent_state(status, cats, renewal)[0] for cid, status, cats, renewal in rows}
    from_model = {c.pk: c.status_at(now) for c in selectors.consent_list(citizen=alice)}
    # Then they agree on every one, and every state occurs
    assert from_sql == from_model and set(from_sql) == set(consents)
    assert set(from_model.values()) == {"active", "withdrawn", "expired", "needs_renewal"}


def test_the_api_shows_the_state_and_what_waits(citizen_api, email_purpose, bureau_admin, second_admin):
    services.consent_give(citizen=citizen_api.citizen, purpose="venue.newsletter",
                          categories=["contact.email", "identity.name"])
    make_email_sensitive(bureau_admin, second_admin)
    [consent] = citizen_api.get("/api/v1/me/consents").json()
    assert (consent["status"], consent["renewal_categories"]) == ("active", ["contact.email"])
    assert DataCategory.objects.get(code="contact.email").sensitive
