"""Grant and consent status is written twice: as the SQL `CASE` of the gate's decision query
(`gate_queries._DECISION`, the hot path) and as `status_at()` on the models (pages, API, selectors). These
tests build every state of each, at and around its boundaries, and check both say the same.

A new state is one line in GRANT_STATES or CONSENT_STATES: a name for the test id, the status both must
report, and how to bring a freshly created grant or consent into that state at NOW.
"""

import datetime as dt

import pytest

from apps.consent import gate_queries, services
from apps.consent.models import AccessGrant, Consent

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 12, 0, 0, 500000, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
TICK = dt.timedelta(microseconds=1)


def _grant_fields(**fields):
    def apply(grant: AccessGrant) -> None:
        AccessGrant.objects.filter(pk=grant.pk).update(**fields)

    return apply


def _revoked(**fields):
    return _grant_fields(state=AccessGrant.State.REVOKED, revoked_at=NOW - DAY, revoked_by_label="test", **fields)


# (id, status both must report at NOW, how to bring the grant there)
GRANT_STATES = [
    ("open-ended", "active", _grant_fields(valid_from=NOW - DAY, valid_until=None)),
    ("inside-its-period", "active", _grant_fields(valid_from=NOW - DAY, valid_until=NOW + DAY)),
    ("starting-exactly-now", "active", _grant_fields(valid_from=NOW, valid_until=NOW + DAY)),
    ("ending-a-tick-from-now", "active", _grant_fields(valid_from=NOW - DAY, valid_until=NOW + TICK)),
    ("starting-a-tick-from-now", "not_yet_valid", _grant_fields(valid_from=NOW + TICK, valid_until=None)),
    ("starting-tomorrow", "not_yet_valid", _grant_fields(valid_from=NOW + DAY, valid_until=NOW + 2 * DAY)),
    ("ending-exactly-now", "expired", _grant_fields(valid_from=NOW - DAY, valid_until=NOW)),
    ("ended-yesterday", "expired", _grant_fields(valid_from=NOW - 2 * DAY, valid_until=NOW - DAY)),
    ("revoked-inside-its-period", "revoked", _revoked(valid_from=NOW - DAY, valid_until=NOW + DAY)),
    ("revoked-and-expired", "revoked", _revoked(valid_from=NOW - 2 * DAY, valid_until=NOW - DAY)),
    ("revoked-before-it-started", "revoked", _revoked(valid_from=NOW + DAY, valid_until=None)),
]


def _consent_fields(**fields):
    def apply(consent: Consent) -> None:
        Consent.objects.filter(pk=consent.pk).update(**{"given_at": NOW - 2 * DAY, **fields})

    return apply


# (id, status both must report at NOW, how to bring the consent there)
CONSENT_STATES = [
    ("without-expiry", "active", _consent_fields(expires_at=None)),
    ("expiring-tomorrow", "active", _consent_fields(expires_at=NOW + DAY)),
    ("expiring-a-tick-from-now", "active", _consent_fields(expires_at=NOW + TICK)),
    ("given-in-the-future", "active", _consent_fields(given_at=NOW + DAY, expires_at=None)),
    ("expiring-exactly-now", "expired", _consent_fields(expires_at=NOW)),
    ("expired-yesterday", "expired", _consent_fields(expires_at=NOW - DAY)),
    ("withdrawn", "withdrawn", _consent_fields(withdrawn_at=NOW - DAY, withdrawn_by_label="test")),
    ("withdrawn-and-expired", "withdrawn",
     _consent_fields(expires_at=NOW - DAY, withdrawn_at=NOW - DAY, withdrawn_by_label="test")),
    ("withdrawn-before-it-would-expire", "withdrawn",
     _consent_fields(expires_at=NOW + DAY, withdrawn_at=NOW - DAY, withdrawn_by_label="test")),
]


def _sql_status(*, organization, citizen, kind: str, pk: int) -> str:
    grants, consents = gate_queries.decision_rows(
        organization_id=organization.pk, purpose_code="venue.entry", citizen_id=citizen.pk, now=NOW)
    rows = grants if kind == "grant" else consents
    return next(row[1] for row in rows if row[0] == pk)


@pytest.mark.parametrize(("expected", "bring_into_state"), [(s, f) for _i, s, f in GRANT_STATES],
                         ids=[i for i, _s, _f in GRANT_STATES])
def test_the_decision_query_and_the_grant_model_agree(expected, bring_into_state, alice, library, grant):
    # Given a grant in the state
    the_grant = grant(library, "venue.entry")
    bring_into_state(the_grant)
    the_grant.refresh_from_db()
    # When both ask for its status at the same moment
    in_python = the_grant.status_at(NOW)
    in_sql = _sql_status(organization=library, citizen=alice, kind="grant", pk=the_grant.pk)
    # Then both say the state, and the same
    assert (in_sql, in_python) == (expected, expected)


@pytest.mark.parametrize(("expected", "bring_into_state"), [(s, f) for _i, s, f in CONSENT_STATES],
                         ids=[i for i, _s, _f in CONSENT_STATES])
def test_the_decision_query_and_the_consent_model_agree(expected, bring_into_state, alice, library, grant):
    # Given the library's grant and a consent of alice in the state
    grant(library, "venue.entry")
    consent = services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    bring_into_state(consent)
    consent.refresh_from_db()
    # When both ask for its status at the same moment
    in_python = consent.status_at(NOW)
    in_sql = _sql_status(organization=library, citizen=alice, kind="consent", pk=consent.pk)
    # Then both say the state, and the same
    assert (in_sql, in_python) == (expected, expected)


def test_the_tables_cover_every_status_the_models_know():
    # A status added to a model's status_at() without a row here would go unchecked.
    assert {s for _i, s, _f in GRANT_STATES} == {"active", "revoked", "expired", "not_yet_valid"}
    assert {s for _i, s, _f in CONSENT_STATES} >= {"active", "withdrawn", "expired"}
