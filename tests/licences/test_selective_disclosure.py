"""Selective disclosure: a presentation reveals exactly what the purpose allows and the citizen chooses, and
verification — offline, with nothing but the trust list, status lists, the request and a clock — fails for every
alteration, a removed digest, another request's nonce, and a revoked licence."""

import datetime as dt

import cbor2
import pytest
from django.utils import timezone

from apps.consent import selectors as consent_selectors
from apps.licences import mdoc, services
from apps.licences.models import PresentationRequest

from .conftest import verifier_state

pytestmark = pytest.mark.django_db


def verify(text, request, **kw):
    trust, status = verifier_state()
    return mdoc.presentation_verify(text, trust_list=trust, status_lists=status, nonce=kw.get("nonce", request.nonce),
                                    purpose=request.purpose, verifier=kw.get("verifier", request.verifier.slug),
                                    now=kw.get("now", timezone.now()), expected_doc_type="cn.citycode.licence.JSZC1")


def ask(verifier, licence_type, purpose):
    return services.presentation_request_create(verifier=verifier, licence_type=licence_type, purpose=purpose)


def present(citizen, request, elements):
    return services.presentation_create(citizen=citizen, nonce=request.nonce, elements=elements)


def test_a_presentation_reveals_exactly_the_allowed_and_chosen_fields(licence, police, alice):
    # Given a traffic officer's request (the purpose may see class, validity, number and name)
    request = ask(police, licence.licence_type, "licence.traffic_check")
    # When alice shows only the vehicle class and the validity, and also tries her address (not allowed)
    shown = present(alice, request, ["vehicle_class", "valid_until", "address"])
    # Then the verifier sees exactly those two, correct, and nothing else
    verified = verify(shown.text, request)
    assert verified.elements == {"vehicle_class": "C1", "valid_until": licence.valid_until.isoformat()}
    assert shown.elements == ("vehicle_class", "valid_until")
    # And no hidden value is anywhere in the presentation's bytes
    raw = mdoc.decode(shown.text)
    for hidden in ("李爱丽", "渝中区", "1990-03-07", licence.identifier, "2012-05-01"):
        assert hidden.encode() not in raw
    # And the disclosure is in alice's access log, for that purpose and organization
    row = consent_selectors.access_log_list(citizen=alice).first()
    assert row.purpose_code == "licence.traffic_check" and row.organization_id == police.pk
    assert row.outcome == "allowed" and row.categories == ["licence.driving"]


def test_age_over_18_verifies_without_the_birth_date(licence, hotel, alice):
    # Given a hotel's request ("adult, name matches")
    request = ask(hotel, licence.licence_type, "hotel.check_in")
    # When alice shows both
    shown = present(alice, request, ["age_over_18", "name"])
    # Then the hotel learns she is an adult and her name, and her birth date is not in the presentation
    verified = verify(shown.text, request)
    assert verified.elements == {"age_over_18": True, "name": "李爱丽"}
    raw = mdoc.decode(shown.text)
    assert b"1990" not in raw and b"birth_date" not in raw


def test_the_consent_gate_narrows_what_is_revealed(licence, hotel, alice):
    # Given alice withdrew her consent to show her name to the hotel, consenting to the adult check only
    for consent in consent_selectors.consent_list(citizen=alice):
        from apps.consent import services as consent_services

        consent_services.consent_withdraw(consent=consent)
        consent_services.consent_give(citizen=alice, purpose="hotel.check_in", categories=["identity.adult"],
                                      organization=hotel)
    request = ask(hotel, licence.licence_type, "hotel.check_in")
    # When she answers with both fields ticked
    shown = present(alice, request, ["age_over_18", "name"])
    # Then the name stays hidden
    assert verify(shown.text, request).elements == {"age_over_18": True}


def test_without_a_grant_nothing_is_presented_and_the_denial_is_logged(licence, hotel, alice, bureau_admin):
    # Given a hotel's request, and then the bureau revokes the hotel's grant
    from apps.consent import selectors as grants
    from apps.consent import services as consent_services

    request = ask(hotel, licence.licence_type, "hotel.check_in")
    consent_services.access_grant_revoke(grant=grants.grant_list(organization=hotel).get(), revoked_by=bureau_admin)
    # When alice answers it, it is refused
    from apps.codes.plugin_api import Forbidden

    with pytest.raises(Forbidden):
        present(alice, request, ["age_over_18"])
    # Then the denial stays in her access log, and the request is still unanswered
    assert consent_selectors.access_log_list(citizen=alice).first().outcome == "denied"
    assert PresentationRequest.objects.get(pk=request.pk).answered_at is None


def _document(text):
    return cbor2.loads(mdoc.decode(text))


def _reencode(document):
    return mdoc.encode(cbor2.dumps(document))


def _mso_parts(document):
    cose = cbor2.loads(document["issuerSigned"]["issuerAuth"].value)
    mso = cbor2.loads(cbor2.loads(cose.value[2]).value)
    return cose, mso


def _with_mso(document, cose, mso):
    cose.value[2] = cbor2.dumps(cbor2.CBORTag(24, cbor2.dumps(mso)))
    document["issuerSigned"]["issuerAuth"] = cbor2.CBORTag(24, cbor2.dumps(cose))
    return _reencode(document)


@pytest.fixture
def shown(licence, police, alice):
    request = ask(police, licence.licence_type, "licence.traffic_check")
    return request, present(alice, request, ["vehicle_class", "valid_until"]).text


def test_an_altered_revealed_value_fails(shown):
    request, text = shown
    document = _document(text)
    items = document["issuerSigned"]["nameSpaces"][mdoc.NAMESPACE]
    item = cbor2.loads(items[0].value)
    item["elementValue"] = "A1" if item["elementIdentifier"] == "vehicle_class" else "2099-12-31"
    items[0] = cbor2.CBORTag(24, cbor2.dumps(item))
    with pytest.raises(mdoc.PresentationRefused) as refused:
        verify(_reencode(document), request)
    assert refused.value.reason == "digest_mismatch"


def test_a_hidden_field_cannot_be_altered_or_added(shown, licence):
    request, text = shown
    # Altering a hidden field's signed digest breaks the issuer's signature
    document = _document(text)
    cose, mso = _mso_parts(document)
    shown_ids = {cbor2.loads(i.value)["digestID"] for i in document["issuerSigned"]["nameSpaces"][mdoc.NAMESPACE]}
    hidden_id = next(i for i in mso["valueDigests"][mdoc.NAMESPACE] if i not in shown_ids)
    mso["valueDigests"][mdoc.NAMESPACE][hidden_id] = bytes(32)
    with pytest.raises(mdoc.PresentationRefused) as refused:
        verify(_with_mso(document, cose, mso), request)
    assert refused.value.reason == "bad_signature"
    # And revealing a made-up value for a hidden field (an item with that digest id) fails its digest
    document = _document(text)
    forged = {"digestID": hidden_id, "random": bytes(16), "elementIdentifier": "address", "elementValue": "x"}
    document["issuerSigned"]["nameSpaces"][mdoc.NAMESPACE].append(cbor2.CBORTag(24, cbor2.dumps(forged)))
    with pytest.raises(mdoc.PresentationRefused) as refused:
        verify(_reencode(document), request)
    assert refused.value.reason == "digest_mismatch"


def test_a_removed_digest_fails(shown):
    request, text = shown
    document = _document(text)
    cose, mso = _mso_parts(document)
    digests = mso["valueDigests"][mdoc.NAMESPACE]
    del digests[next(iter(digests))]
    with pytest.raises(mdoc.PresentationRefused) as refused:
        verify(_with_mso(document, cose, mso), request)
    assert refused.value.reason == "bad_signature"


def test_a_replay_with_another_nonce_or_verifier_fails(shown, licence, police):
    request, text = shown
    # Given a second request of the same verifier, with its own nonce
    other = ask(police, licence.licence_type, "licence.traffic_check")
    # When the first presentation is replayed against it (or to another verifier), it is refused
    for kw in ({"nonce": other.nonce}, {"verifier": "someone-else"}):
        with pytest.raises(mdoc.PresentationRefused) as refused:
            verify(text, request, **kw)
        assert refused.value.reason == "not_bound"
    # And the original still verifies against its own request
    assert verify(text, request).elements["vehicle_class"] == "C1"


def test_a_request_is_answered_once(shown, alice):
    request, _text = shown
    from apps.codes.plugin_api import Conflict

    with pytest.raises(Conflict) as refused:
        present(alice, request, ["vehicle_class"])
    assert refused.value.code == "request_answered"


def test_a_revoked_licence_fails_offline_once_the_status_list_is_refreshed(shown, licence, clerk):
    request, text = shown
    # Given the verifier's state before the revocation: the presentation verifies
    trust, before = verifier_state()
    kw = dict(trust_list=trust, nonce=request.nonce, purpose=request.purpose, verifier=request.verifier.slug,
              now=timezone.now())
    assert mdoc.presentation_verify(text, status_lists=before, **kw).elements
    # When the office revokes the licence and the verifier refreshes its status list
    services.licence_revoke(licence=licence, by=clerk, reason="吊销")
    _trust, after = verifier_state()
    # Then the same presentation fails offline (the old snapshot still says valid: that is what refreshing is for)
    with pytest.raises(mdoc.PresentationRefused) as refused:
        mdoc.presentation_verify(text, status_lists=after, **kw)
    assert refused.value.reason == "revoked"
    assert mdoc.presentation_verify(text, status_lists=before, **kw).elements
    # And no status list at all fails closed
    with pytest.raises(mdoc.PresentationRefused) as refused:
        mdoc.presentation_verify(text, status_lists=None, **kw)
    assert refused.value.reason == "status_unknown"


def test_suspension_fails_and_reinstatement_restores(shown, licence, clerk):
    request, text = shown
    services.licence_suspend(licence=licence, by=clerk, reason="扣分满12分")
    with pytest.raises(mdoc.PresentationRefused) as refused:
        verify(text, request)
    assert refused.value.reason == "revoked"
    services.licence_reinstate(licence=licence, by=clerk)
    assert verify(text, request).elements["vehicle_class"] == "C1"


def test_a_copy_expires(shown):
    request, text = shown
    with pytest.raises(mdoc.PresentationRefused) as refused:
        verify(text, request, now=timezone.now() + services.COPY_LIFETIME + dt.timedelta(minutes=1))
    assert refused.value.reason == "expired"


def test_two_presentations_share_no_value_beyond_the_revealed_fields(licence, police, alice):
    # Given two presentations of the same licence, revealing the same field, to two requests
    texts = []
    for _ in range(2):
        request = ask(police, licence.licence_type, "licence.traffic_check")
        texts.append(present(alice, request, ["vehicle_class"]).text)
    first, second = (_document(t) for t in texts)
    (cose1, mso1), (cose2, mso2) = _mso_parts(first), _mso_parts(second)
    # Then salts, digests, digest ids, device keys, status indices and signatures all differ
    item1, item2 = (cbor2.loads(d["issuerSigned"]["nameSpaces"][mdoc.NAMESPACE][0].value) for d in (first, second))
    assert item1["random"] != item2["random"] and item1["digestID"] != item2["digestID"]
    assert not set(mso1["valueDigests"][mdoc.NAMESPACE].values()) & set(mso2["valueDigests"][mdoc.NAMESPACE].values())
    assert mso1["deviceKeyInfo"] != mso2["deviceKeyInfo"]
    assert mso1["status"]["status_list"]["idx"] != mso2["status"]["status_list"]["idx"]
    assert cose1.value[3] != cose2.value[3]
    # And what remains equal is the issuer's key id, the doc type, the number of digests, the revealed value
    assert cose1.value[0] == cose2.value[0]
    assert mso1["docType"] == mso2["docType"]
    assert len(mso1["valueDigests"][mdoc.NAMESPACE]) == len(mso2["valueDigests"][mdoc.NAMESPACE])
    assert item1["elementValue"] == item2["elementValue"] == "C1"
