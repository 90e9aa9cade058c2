"""Importing a peer's trust list is idempotent: again, or twice at once (an overlapping cron run), changes
nothing and fails nothing."""

import threading

import pytest
from django.db import connection, connections

from apps.codes import services
from apps.codes.models import PeerKey
from tests.codes.test_trust import PeerCity


@pytest.mark.django_db
def test_importing_the_same_trust_list_again_changes_nothing():
    # Given a peer's trust list, imported once
    peer = PeerCity(issuer="SZ")
    document = peer.trust_list()
    services.trust_list_import(document=document, pin_jwk=peer.jwk)
    before = list(PeerKey.objects.values())

    # When the same list is imported again
    services.trust_list_import(document=document, pin_jwk=peer.jwk)

    # Then the stored keys are the very same rows, unchanged
    assert list(PeerKey.objects.values()) == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serializes writers anyway")
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_peer_at_once_both_succeed_and_store_its_keys_once():
    # Given a peer's trust list
    peer = PeerCity(issuer="SZ")
    document = peer.trust_list()
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def run():
        try:
            barrier.wait()
            services.trust_list_import(document=document, pin_jwk=peer.jwk)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    # When four imports of it run at the same moment
    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then none fails and the peer's key is stored once
    assert errors == []
    assert list(PeerKey.objects.values_list("issuer", "kid")) == [("SZ", peer.signer.kid)]


@pytest.mark.django_db
def test_a_list_naming_one_kid_twice_is_refused_and_writes_nothing():
    # Given a peer's signed list that carries its key twice
    from citycode.errors import DomainError

    peer = PeerCity(issuer="SZ")
    document = peer.trust_list(extra_keys=[peer.entry])

    # When it is imported
    with pytest.raises(DomainError) as refused:
        services.trust_list_import(document=document, pin_jwk=peer.jwk)

    # Then it is refused as invalid (not a database error) and nothing is stored
    assert refused.value.code == "trust_list_invalid"
    assert not PeerKey.objects.exists()
