"""Status lists: per code type bitstrings, race-safe index allocation, revocation, the public endpoint."""

import datetime as dt
import threading

import pytest
from django.db import connection

from apps.codes import selectors, services, tokens, trust
from apps.codes.models import StatusEntry, StatusList
from apps.codes.tokens import VerificationFailed
from citycode.errors import NotFound

FIVE_MINUTES = dt.timedelta(minutes=5)


def _document(citizen, code_type="city"):
    """A long-lived document: a token that carries a fresh status-list index."""
    return services.token_issue(citizen=citizen, code_type=code_type, lifetime=FIVE_MINUTES, with_status=True)


@pytest.mark.django_db
def test_revoking_flips_one_bit_and_reinstating_clears_it(make_citizen):
    # Given two citizens' documents
    alice_citizen = make_citizen()
    alice = _document(alice_citizen)
    bob = _document(make_citizen())
    # When one document's bit is set
    services.status_set(code_type="city", index=alice.status_index, revoked=True)
    # Then only that token fails
    with pytest.raises(VerificationFailed) as failure:
        selectors.verified_token_get(token=alice.token)
    assert failure.value.reason == "revoked"
    assert selectors.verified_token_get(token=bob.token).sub == bob.sub
    row = StatusList.objects.get(code_type="city")
    assert row.version == 1
    assert bytes(row.bits)[alice.status_index // 8] == 1 << (alice.status_index % 8)
    # When reinstated
    services.token_revoke(code_type="city", citizen=alice_citizen, revoked=False)
    # Then the token verifies again
    assert selectors.verified_token_get(token=alice.token).sub == alice.sub
    # Setting a bit to what it already is changes nothing
    services.status_set(code_type="city", index=bob.status_index, revoked=False)
    assert StatusList.objects.get(code_type="city").version == 2
    # And a citizen without a revocable token is a clean NotFound
    with pytest.raises(NotFound) as missing:
        services.token_revoke(code_type="city", citizen=make_citizen())
    assert missing.value.code == "status_entry_not_found"


@pytest.mark.django_db
def test_each_document_gets_a_fresh_index_and_revoking_a_citizen_revokes_all_of_theirs(make_citizen):
    # Given two documents of one citizen and one of another
    alice = make_citizen()
    first, second = _document(alice), _document(alice)
    other = _document(make_citizen())
    # Then no index repeats: an index seen on one document names nobody on another
    assert len({first.status_index, second.status_index, other.status_index}) == 3
    # When the citizen's documents are revoked
    services.token_revoke(code_type="city", citizen=alice)
    # Then both of hers fail and the other still verifies
    for issued in (first, second):
        with pytest.raises(VerificationFailed) as failure:
            selectors.verified_token_get(token=issued.token)
        assert failure.value.reason == "revoked"
    assert selectors.verified_token_get(token=other.token).code_type == "city"


@pytest.mark.django_db
def test_rotating_codes_carry_no_status_index(make_citizen):
    # Given a rotating city code (no status list: revoked by no longer being issued)
    issued = services.token_issue(citizen=make_citizen(), code_type="city", lifetime=FIVE_MINUTES)
    # Then the token has no index claim at all, and it verifies even where status lists are required
    assert issued.status_index is None
    assert tokens.CLAIM_STATUS not in tokens.token_fields(issued.token)
    trust_list = tokens.TrustList.from_json(selectors.trust_list_payload_get())
    assert tokens.verify(issued.token, trust_list=trust_list, status_lists=None, now=None,
                         require_status=True).status_index is None


@pytest.mark.django_db
def test_status_lists_are_per_code_type(make_citizen):
    citizen = make_citizen()
    city = _document(citizen, "city")
    talent = _document(citizen, "talent")
    services.token_revoke(code_type="talent", citizen=citizen)
    assert selectors.verified_token_get(token=city.token).code_type == "city"
    with pytest.raises(VerificationFailed):
        selectors.verified_token_get(token=talent.token)


@pytest.mark.django_db
def test_status_list_endpoint(api, make_citizen):
    # Given a revoked subject
    citizen = make_citizen()
    issued = _document(citizen)
    services.token_revoke(code_type="city", citizen=citizen)
    # When a reader fetches the list
    response = api.get("/api/v1/status-lists/city")
    # Then it is public, cacheable, signed by the published key, and has the bit set
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*" and "max-age" in response["Cache-Control"]
    document = response.json()
    kid = trust.document_header(document)["kid"]
    (jwk,) = [key for key in api.get("/.well-known/jwks.json").json()["keys"] if key["kid"] == kid]
    payload = trust.verify_document(document, jwk=jwk, typ=trust.STATUS_LIST_TYP)
    assert payload["id"] == "city" and payload["iss"] == "CC" and payload["size"] >= issued.status_index + 1
    reader_lists = tokens.StatusLists.from_json([payload])
    trust_list = tokens.TrustList.from_json(selectors.trust_list_payload_get())
    with pytest.raises(VerificationFailed) as failure:
        tokens.verify(issued.token, trust_list=trust_list, status_lists=reader_lists, now=None)
    assert failure.value.reason == "revoked"
    # And a second fetch with the ETag is 304; after a change the ETag moves
    assert api.get("/api/v1/status-lists/city", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    services.token_revoke(code_type="city", citizen=citizen, revoked=False)
    changed = api.get("/api/v1/status-lists/city", HTTP_IF_NONE_MATCH=response["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != response["ETag"]
    # An unknown list is a clean 404
    missing = api.get("/api/v1/status-lists/nope")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "status_list_not_found"


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite's in-memory test database is one writer; "
                    "run with DATABASE_URL=postgres://... for the race")
@pytest.mark.django_db(transaction=True)
def test_concurrent_documents_get_distinct_indices(make_citizen):
    # Given documents of several citizens issued at the same time, from several threads
    citizens = [make_citizen() for _ in range(6)]
    errors = []

    def issue(citizen):
        try:
            for _ in range(2):
                services.token_issue(citizen=citizen, code_type="race", lifetime=FIVE_MINUTES, with_status=True)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(citizen,)) for citizen in citizens + citizens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then every document got an index of its own
    assert errors == []
    indices = list(StatusEntry.objects.filter(code_type="race").values_list("index", flat=True))
    assert len(indices) == 2 * len(threads) == len(set(indices))


def test_the_first_token_of_a_new_code_type_verifies_after_the_status_cache_was_filled(make_citizen):
    # Given a verification has cached the live status lists while only "talent" had one
    import datetime as dt

    from apps.codes import selectors as codes_selectors
    from apps.codes import services as codes_services

    citizen = make_citizen()
    talent = codes_services.token_issue(citizen=citizen, code_type="talent", lifetime=dt.timedelta(minutes=5),
                                        with_status=True)
    codes_selectors.verified_token_get(token=talent.token)
    # When the first "city" document ever is issued
    city = codes_services.token_issue(citizen=citizen, code_type="city", lifetime=dt.timedelta(minutes=5),
                                      with_status=True)
    # Then it verifies at once (the new status list is not mistaken for a missing one)
    assert codes_selectors.verified_token_get(token=city.token).code_type == "city"
