"""Contract of what apps.licences takes from the plugin API: each wrapper does what core does, and no more."""

import datetime as dt

import pytest
from django.utils import timezone
from pycose.keys import EC2Key
from pycose.messages import Sign1Message

from apps.codes import plugin_api, selectors, services
from apps.codes.models import StatusEntry
from apps.identity import services as identity_services
from apps.identity.models import Organization
from tests.conftest import valid_id_number
from tests.consent.conftest import bureau_admin  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def test_the_active_signer_is_a_key_the_jwks_publishes_and_pycose_verifies():
    # Given the signer the plugin API hands out
    signer = plugin_api.issuer_signer_active()
    # When it signs a COSE_Sign1 through the re-exported primitives
    payload = b"\xa1\x01\x02"
    signature = plugin_api.raw_sign(signer.private_key, signer.alg, plugin_api.cose_sig_structure(signer.protected,
                                                                                                 payload))
    message = plugin_api.cose_sign1_envelope(signer.protected, payload, signature)
    # Then its kid is in the published JWKS, and pycose verifies it with that JWK alone
    jwk = next(k for k in selectors.jwks_get()["keys"] if k["kid"] == signer.kid)
    decoded = Sign1Message.decode(message)
    decoded.key = EC2Key.from_dict({1: 2, -1: 1, -2: plugin_api.b64u_decode(jwk["x"]),
                                    -3: plugin_api.b64u_decode(jwk["y"])})
    assert decoded.verify_signature()
    # And the live trust list knows the key under that kid
    assert plugin_api.live_trust_list_get().candidates(signer.kid.encode())


def test_status_indices_are_fresh_and_their_bits_reach_the_published_list(make_citizen):
    citizen = make_citizen()
    later = timezone.now() + dt.timedelta(days=3)
    first = plugin_api.status_index_allocate(citizen=citizen, list_id="licence", expires_at=later)
    second = plugin_api.status_index_allocate(citizen=citizen, list_id="licence", expires_at=later)
    assert first != second
    assert StatusEntry.objects.filter(code_type="licence", citizen=citizen).count() == 2
    plugin_api.status_indices_set(list_id="licence", indices=[second])
    lists = plugin_api.live_status_lists_get().get(plugin_api.issuer_name(), "licence")
    assert lists.is_set(second) and not lists.is_set(first)
    plugin_api.status_indices_set(list_id="licence", indices=[second], revoked=False)
    assert not plugin_api.live_status_lists_get().get(plugin_api.issuer_name(), "licence").is_set(second)
    assert plugin_api.status_list_document_get(list_id="licence")["signature"]


def test_held_tokens_revoke_says_whether_there_was_anything(make_citizen):
    citizen = make_citizen()
    assert plugin_api.held_tokens_revoke(code_type="licence", citizen=citizen) is False
    services.status_entry_create(citizen=citizen, code_type="licence", expires_at=timezone.now() + dt.timedelta(1))
    assert plugin_api.held_tokens_revoke(code_type="licence", citizen=citizen) is True


def test_disclose_is_the_gate_and_denials_raise_forbidden(make_citizen, make_org):
    citizen, shop = make_citizen(), make_org("shop")
    with pytest.raises(plugin_api.Forbidden):
        plugin_api.disclose(organization=shop, purpose="venue.entry", citizen=citizen, categories=["identity.adult"])
    assert plugin_api.purpose_categories_get(code="venue.entry") == {"identity.adult", "identity.name"}
    assert plugin_api.purpose_categories_get(code="no.such") is None


def test_staff_checks_and_lookups(make_citizen, make_org):
    office, other = make_org("office", Organization.Kind.LICENCE_OFFICE), make_org("other")
    number = valid_id_number(sequence="777")
    clerk = make_citizen(id_number=number)
    identity_services.membership_set(user=clerk, organization=office, role="staff")
    assert plugin_api.user_acts_for(user=clerk, organization=office)
    assert not plugin_api.user_acts_for(user=clerk, organization=other)
    assert list(plugin_api.organizations_acting_for(user=clerk)) == [office]
    assert plugin_api.citizen_by_id_number_get(id_number=number) == clerk
    assert plugin_api.citizen_by_id_number_get(id_number="not-a-number") is None
    assert plugin_api.organization_ensure(slug="office", name="x", name_en="x", kind="venue") == office


def test_purpose_label_get_follows_the_language():
    assert plugin_api.purpose_label_get(code="venue.entry", language="en") == "Venue entry"
    assert plugin_api.purpose_label_get(code="venue.entry", language="zh-hans") == "场馆入场"
    assert plugin_api.purpose_label_get(code="no.such") == "no.such"


def test_the_lazy_error_types_are_core_s():
    from citycode import errors

    assert plugin_api.DomainError is errors.DomainError and plugin_api.NotFound is errors.NotFound
    with pytest.raises(AttributeError):
        plugin_api.NoSuchThing  # noqa: B018


def test_demo_consent_ensure_is_idempotent(make_citizen, make_org):
    citizen, library = make_citizen(), make_org("city-library")
    for _ in range(2):
        plugin_api.demo_consent_ensure(citizen=citizen, purpose="venue.entry", organization=library,
                                       categories=["identity.adult"])
    from apps.consent import selectors as consent_selectors

    assert consent_selectors.consent_list(citizen=citizen).count() == 1


def test_access_grant_active_follows_the_grant(make_org, bureau_admin):  # noqa: F811
    from apps.consent import services as consent_services

    library = make_org("city-library")
    assert not plugin_api.access_grant_active(organization=library, purpose="venue.entry")
    grant = consent_services.access_grant_create(organization=library, purpose="venue.entry", approved_by=bureau_admin)
    assert plugin_api.access_grant_active(organization=library, purpose="venue.entry")
    assert not plugin_api.access_grant_active(organization=library, purpose="no.such")
    consent_services.access_grant_revoke(grant=grant, revoked_by=bureau_admin)
    assert not plugin_api.access_grant_active(organization=library, purpose="venue.entry")


def test_qr_svg_is_core_s_drawing_at_level_l_and_not_cached():
    from apps.codes import qr

    before = qr.render_svg.cache_info().currsize
    svg = plugin_api.qr_svg(text="LC1:ABC")
    assert svg == qr.render_svg.__wrapped__("LC1:ABC", error="L") and "<svg" in svg
    assert qr.render_svg.cache_info().currsize == before
