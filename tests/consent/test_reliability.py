"""Reliability of the consent gate and its callers: requests after the database dropped a persistent
connection, and the gate's prepared statements on a fresh connection."""

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, connection, connections
from django.test import RequestFactory

from apps.consent import chain
from apps.consent import services as consent_services
from apps.consent.models import AccessLog

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row-lock races and server-side disconnects need PostgreSQL"
)


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
