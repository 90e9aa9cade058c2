"""Reliability of the consent gate and its callers: requests after the database dropped a persistent
connection, the gate's prepared statements on a fresh connection, and a consent submitted twice."""

import threading

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, connection, connections
from django.test import RequestFactory

from apps.consent import chain
from apps.consent import services as consent_services
from apps.consent.models import AccessLog, Consent

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row-lock races and server-side disconnects need PostgreSQL"
)


def _together(target, count: int) -> list[BaseException]:
    """Run `target` in `count` threads released at the same moment; return what they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run():
        try:
            barrier.wait()
            target()
        except BaseException as exc:  # noqa: BLE001 - asserted by the caller
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _kill_my_backend() -> None:
    """What a PostgreSQL restart does to a persistent connection: the server side goes away."""
    pid = connection.connection.info.backend_pid
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_disclose_works_again_on_a_fresh_connection_after_the_old_one_closed(alice, library, grant):
    # Given a disclosure that prepared the gate's statements on this connection
    grant(library, "venue.entry")
    consent_services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    consent_services.disclose(organization=library, purpose="venue.entry", citizen=alice)

    # When the connection is closed and the next disclosure opens a new one
    connection.close()
    second = consent_services.disclose(organization=library, purpose="venue.entry", citizen=alice)

    # Then the statements are prepared afresh on it and the row is appended to the same chain
    assert second.categories == ("identity.adult",)
    assert list(AccessLog.objects.filter(citizen=alice).values_list("seq", flat=True)) == [1, 2]
    assert chain.verify_all() == (1, [])


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_request_after_the_database_dropped_a_persistent_connection_succeeds(alice, library, grant):
    # Given persistent connections (CONN_MAX_AGE > 0, as in production) and a request that used one
    grant(library, "venue.entry")
    consent_services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = 60
    try:
        handler = WSGIHandler()
        environ = RequestFactory().get("/", HTTP_ACCEPT="application/json").environ

        def get(path: str) -> int:
            status: list[str] = []
            environ_for = dict(environ, PATH_INFO=path)
            response = handler(environ_for, lambda s, h, *a: status.append(s))
            response.close()  # fires request_finished, as the WSGI server does
            return int(status[0].split()[0])

        assert get("/api/v1/consent/receipt-keys") == 200
        assert connection.connection is not None  # kept open for the next request
        # When PostgreSQL restarts (the server ends the session) between two requests
        _kill_my_backend()
        # Then the next request reconnects instead of failing with a 500
        assert get("/api/v1/consent/receipt-keys") == 200
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = 0
        close_old_connections()
        connection.close()


@pytest.mark.django_db
def test_giving_the_same_consent_twice_keeps_one_live_consent(alice, library, grant):
    # Given a citizen who consented to venue.entry (and the request was sent twice: a retry or double click)
    grant(library, "venue.entry")
    first = consent_services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    second = consent_services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])

    # When the citizen withdraws the consent they see
    consent_services.consent_withdraw(consent=second)

    # Then the second submission changed nothing, and the withdrawal stops the next disclosure
    assert second.pk == first.pk
    assert Consent.objects.filter(citizen=alice).count() == 1
    with pytest.raises(consent_services.DisclosureDenied) as denied:
        consent_services.disclose(organization=library, purpose="venue.entry", citizen=alice)
    assert denied.value.reason == "consent_withdrawn"


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_same_consent_submitted_four_times_at_once_is_stored_once(alice, library, grant):
    # Given a citizen whose app sends one consent four times at the same moment (retries on a slow network)
    grant(library, "venue.entry")

    # When the four submissions race
    errors = _together(lambda: consent_services.consent_give(
        citizen=alice, purpose="venue.entry", categories=["identity.adult"]), 4)

    # Then one consent (with its receipt) exists
    assert errors == []
    assert Consent.objects.filter(citizen=alice).count() == 1
    assert Consent.objects.get(citizen=alice).receipt
