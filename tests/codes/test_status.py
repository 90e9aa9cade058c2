"""Status lists: per code type bitstrings, race-safe index allocation, revocation, the public endpoint."""

import datetime as dt
import threading

import pytest
from django.db import connection

from apps.codes import selectors, services, tokens, trust
from apps.codes.models import StatusList, Subject
from apps.codes.tokens import VerificationFailed
from citycode.errors import NotFound

FIVE_MINUTES = dt.timedelta(minutes=5)


@pytest.mark.django_db
def test_revoking_flips_one_bit_and_reinstating_clears_it(make_citizen):
    # Given two citizens' city codes
    alice = services.token_issue(citizen=make_citizen(), code_type="city", lifetime=FIVE_MINUTES)
    bob = services.token_issue(citizen=make_citizen(), code_type="city", lifetime=FIVE_MINUTES)
    # When one subject is revoked
    services.status_set(code_type="city", index=alice.status_index, revoked=True)
    # Then only that token fails, and a re-issued (rotated) code fails too: the index is reused
    with pytest.raises(VerificationFailed) as failure:
        selectors.verify_live(token=alice.token)
    assert failure.value.reason == "revoked"
    assert selectors.verify_live(token=bob.token).sub == bob.sub
    row = StatusList.objects.get(code_type="city")
    assert row.version == 1
    assert bytes(row.bits)[alice.status_index // 8] == 1 << (alice.status_index % 8)
    # When reinstated
    services.token_revoke(code_type="city", sub=alice.sub, revoked=False)
    # Then the token verifies again
    assert selectors.verify_live(token=alice.token).sub == alice.sub
    # Setting a bit to what it already is changes nothing
    services.status_set(code_type="city", index=bob.status_index, revoked=False)
    assert StatusList.objects.get(code_type="city").version == 2
    with pytest.raises(NotFound) as missing:
        services.token_revoke(code_type="city", sub="no-such-sub")
    assert missing.value.code == "subject_not_found"


@pytest.mark.django_db
def test_status_lists_are_per_code_type(make_citizen):
    citizen = make_citizen()
    city = services.token_issue(citizen=citizen, code_type="city", lifetime=FIVE_MINUTES)
    talent = services.token_issue(citizen=citizen, code_type="talent", lifetime=FIVE_MINUTES)
    services.token_revoke(code_type="talent", sub=talent.sub)
    assert selectors.verify_live(token=city.token).code_type == "city"
    with pytest.raises(VerificationFailed):
        selectors.verify_live(token=talent.token)


@pytest.mark.django_db
def test_status_list_endpoint(api, make_citizen):
    # Given a revoked subject
    issued = services.token_issue(citizen=make_citizen(), code_type="city", lifetime=FIVE_MINUTES)
    services.token_revoke(code_type="city", sub=issued.sub)
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
    trust_list = tokens.TrustList.from_json(selectors.trust_list_payload())
    with pytest.raises(VerificationFailed) as failure:
        tokens.verify(issued.token, trust_list=trust_list, status_lists=reader_lists, now=None)
    assert failure.value.reason == "revoked"
    # And a second fetch with the ETag is 304; after a change the ETag moves
    assert api.get("/api/v1/status-lists/city", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    services.token_revoke(code_type="city", sub=issued.sub, revoked=False)
    changed = api.get("/api/v1/status-lists/city", HTTP_IF_NONE_MATCH=response["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != response["ETag"]
    # An unknown list is a clean 404
    missing = api.get("/api/v1/status-lists/nope")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "status_list_not_found"


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite's in-memory test database is one writer; "
                    "run with DATABASE_URL=postgres://... for the race")
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_issues_get_distinct_indices(make_citizen):
    # Given several citizens whose first codes are issued at the same time, from several threads
    citizens = [make_citizen() for _ in range(6)]
    errors = []

    def issue(citizen):
        try:
            for _ in range(2):
                services.subject_ensure(citizen=citizen, code_type="race")
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(citizen,)) for citizen in citizens + citizens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then each citizen has one subject, and no two subjects share an index
    assert errors == []
    indices = list(Subject.objects.filter(code_type="race").values_list("status_index", flat=True))
    assert len(indices) == len(citizens) == len(set(indices))


def test_the_first_token_of_a_new_code_type_verifies_after_the_status_cache_was_filled(make_citizen):
    # Given a verification has cached the live status lists while only "talent" had one
    import datetime as dt

    from apps.codes import selectors as codes_selectors
    from apps.codes import services as codes_services

    citizen = make_citizen()
    talent = codes_services.token_issue(citizen=citizen, code_type="talent", lifetime=dt.timedelta(minutes=5))
    codes_selectors.verify_live(token=talent.token)
    # When the first "city" token ever is issued
    city = codes_services.token_issue(citizen=citizen, code_type="city", lifetime=dt.timedelta(minutes=5))
    # Then it verifies at once (the new status list is not mistaken for a missing one)
    assert codes_selectors.verify_live(token=city.token).code_type == "city"
