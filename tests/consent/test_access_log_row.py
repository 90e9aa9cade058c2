"""The access-log row: who acted is stored as structure (kind, id, label), an emergency disclosure names its
emergency, both are hashed into the chain, and rows written in the earlier format keep verifying."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from apps.consent import chain, services
from apps.consent.models import AccessLog, ChainHead
from apps.identity import services as identity_services
from apps.identity.models import Citizen
from tests.conftest import PASSWORD
from tests.consent.conftest import as_database_superuser, later

pytestmark = pytest.mark.django_db


def verify() -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_access_log", stdout=out, stderr=StringIO())
    return out.getvalue()


def _page(citizen, language: str) -> str:
    client = Client()
    client.cookies["django_language"] = language
    assert client.login(username=citizen.username, password=PASSWORD)
    return client.get("/consents/access-log/").content.decode()


@pytest.fixture
def outbreak(make_org, grant, bureau_admin):
    """The health commission may trace contacts without consent while the declared outbreak lasts."""
    services.purpose_upsert(code="health.contact_tracing", label_zh="流调", label_en="Contact tracing",
                            legal_basis="emergency", categories=["location.whereabouts"], retention_days=14)
    commission = make_org("health-commission")
    grant(commission, "health.contact_tracing")
    emergency = services.emergency_declare(
        name="Harbour district outbreak", legal_reference="传染病防治法 第三十九条",
        purposes=["health.contact_tracing"], starts_at=later(hours=-1), ends_at=later(days=7),
        declared_by=bureau_admin)
    return commission, emergency


def test_an_emergency_disclosure_names_its_emergency_on_the_row_the_page_and_the_api(citizen_api, outbreak):
    commission, emergency = outbreak
    alice = citizen_api.citizen
    # When the commission reads alice's whereabouts on the emergency basis
    result = services.disclose(organization=commission, purpose="health.contact_tracing", citizen=alice)
    # Then the row refers to the emergency that applied
    row = AccessLog.objects.get(pk=result.log_id)
    assert result.basis == "emergency" and row.emergency_id == emergency.pk
    # And the API names it with its legal reference
    entry = citizen_api.get("/api/v1/me/access-log").json()[0]
    assert entry["emergency"] == {"id": emergency.pk, "name": "Harbour district outbreak",
                                  "legal_reference": "传染病防治法 第三十九条"}
    # And so does the page, in both languages
    for language in ("zh-hans", "en"):
        html = _page(alice, language)
        assert "Harbour district outbreak" in html and "传染病防治法 第三十九条" in html


def test_a_consent_disclosure_names_no_emergency(citizen_api, library, grant):
    grant(library, "venue.entry")
    services.consent_give(citizen=citizen_api.citizen, purpose="venue.entry", categories=["identity.adult"])
    result = services.disclose(organization=library, purpose="venue.entry", citizen=citizen_api.citizen)
    assert AccessLog.objects.get(pk=result.log_id).emergency_id is None
    assert citizen_api.get("/api/v1/me/access-log").json()[0]["emergency"] is None


@pytest.fixture
def actors(library, grant):
    grant(library, "venue.entry")
    librarian = Citizen.objects.create(username="librarian", name="馆员")
    identity_services.membership_set(user=librarian, organization=library, role="staff")
    reader, _key = identity_services.api_client_create(organization=library, name="gate 1")
    return librarian, reader


def test_the_actor_is_stored_as_kind_id_and_label(alice, library, actors):
    librarian, reader = actors
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    ask = dict(organization=library, purpose="venue.entry", citizen=alice)
    # When the library's own system, a staff member and a device each read
    rows = [AccessLog.objects.get(pk=services.disclose(**ask, actor=actor).log_id)
            for actor in (None, librarian, reader)]
    # Then each row holds who acted as structure, not as a sentence to be parsed back
    assert [(r.actor_kind, r.actor_id, r.actor_label) for r in rows] == [
        ("organization", library.pk, "city-library"),
        ("staff", librarian.pk, "librarian"),
        ("api_client", reader.pk, "gate 1"),
    ]


def test_the_api_shows_the_actor_from_its_structure_in_the_readers_language(citizen_api, library, actors):
    librarian, reader = actors
    alice = citizen_api.citizen
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    for actor in (None, librarian, reader):
        services.disclose(organization=library, purpose="venue.entry", citizen=alice, actor=actor)
    # When alice reads her log in English, then in Chinese
    en = citizen_api.get("/api/v1/me/access-log", HTTP_ACCEPT_LANGUAGE="en").json()
    zh = citizen_api.get("/api/v1/me/access-log", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    # Then the actor is its kind and label, with a sentence in her language (newest first)
    assert [e["actor"] for e in en] == [
        {"kind": "api_client", "label": "gate 1", "display": "device or system “gate 1”"},
        {"kind": "staff", "label": "librarian", "display": "staff member librarian"},
        {"kind": "organization", "label": "city-library", "display": "the organization's own system"},
    ]
    assert [e["actor"]["display"] for e in zh] == ["终端或系统“gate 1”", "工作人员 librarian", "该机构的系统"]
    # And the staff member's account id is not shown to the citizen
    assert all("id" not in e["actor"] for e in en)


def test_changing_the_structured_actor_or_the_emergency_of_a_row_is_caught(alice, library, actors, outbreak):
    librarian, _reader = actors
    commission, _emergency = outbreak
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    services.disclose(organization=library, purpose="venue.entry", citizen=alice, actor=librarian)
    services.disclose(organization=commission, purpose="health.contact_tracing", citizen=alice)
    assert "none broken" in verify()
    # When someone makes the staff member's read look like the organization's own system
    with as_database_superuser():
        AccessLog.objects.filter(citizen=alice, seq=1).update(actor_kind="organization")
    # Then verification names the row
    with pytest.raises(CommandError, match=r"row #1: content does not match"):
        verify()
    # And the same for removing the emergency from an emergency disclosure
    with as_database_superuser():
        AccessLog.objects.filter(citizen=alice, seq=1).update(actor_kind="staff")
        AccessLog.objects.filter(citizen=alice, seq=2).update(emergency=None)
    with pytest.raises(CommandError, match=r"row #2: content does not match"):
        verify()


# A row as the first chain format hashed it (before the actor was structured): this digest was computed by
# the code of that time, so it proves the hashed content of old rows has not changed.
LEGACY_ROW = dict(
    citizen_id=7, purpose_code="venue.entry", organization_slug="city-library",
    requested=["identity.adult", "identity.name"], categories=["identity.adult"], basis="consent",
    outcome="allowed", reason="", actor_label="api-client gate 1 of city-library", request_id="req-9",
    created_at=dt.datetime(2026, 3, 1, 8, 30, 0, 123456, tzinfo=dt.UTC),
)
LEGACY_DIGEST = "1e68db1e6e26cd17ec73b07e7ac933ef452617e033d02ec630159bcab0040fde"


def test_a_row_of_the_first_format_hashes_exactly_as_it_did():
    assert chain.digest_content(AccessLog(**LEGACY_ROW, chain_format=1)) == LEGACY_DIGEST


@as_database_superuser()
def _append_legacy_row(citizen, organization, *, label: str) -> AccessLog:
    """Write a row the way the first format did (the actor as one text label), sealed into the chain."""
    head, _ = ChainHead.objects.get_or_create(citizen=citizen)
    row = AccessLog(
        citizen=citizen, seq=head.seq + 1, organization=organization, organization_slug=organization.slug,
        purpose_code="venue.entry", requested=["identity.adult"], categories=["identity.adult"], basis="consent",
        outcome="allowed", actor_label=label, created_at=later(days=-1), chain_format=1,
    )
    row.content_digest = chain.digest_content(row)
    chain.seal(row, prev_hash=head.last_hash)
    row.save()
    head.seq, head.last_hash = row.seq, row.hash
    head.save()
    return row


def test_rows_of_the_first_format_keep_verifying_and_show_their_actor(citizen_api, library, actors):
    librarian, _reader = actors
    alice = citizen_api.citizen
    # Given alice's chain starts with rows written in the first format, then continues in the current one
    _append_legacy_row(alice, library, label="librarian for city-library")
    _append_legacy_row(alice, library, label="api-client gate 1 of city-library")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    services.disclose(organization=library, purpose="venue.entry", citizen=alice, actor=librarian)
    # Then the whole chain verifies
    assert "none broken" in verify()
    # And the old rows still show who acted, as structure
    actors_shown = [e["actor"] for e in citizen_api.get("/api/v1/me/access-log",
                                                         HTTP_ACCEPT_LANGUAGE="en").json()]
    assert actors_shown == [
        {"kind": "staff", "label": "librarian", "display": "staff member librarian"},
        {"kind": "api_client", "label": "gate 1", "display": "device or system “gate 1”"},
        {"kind": "staff", "label": "librarian", "display": "staff member librarian"},
    ]


def test_retention_blanks_the_structured_actor_and_the_emergency_and_the_chain_verifies(alice, outbreak):
    commission, _emergency = outbreak
    services.disclose(organization=commission, purpose="health.contact_tracing", citizen=alice)
    services.disclose(organization=commission, purpose="health.contact_tracing", citizen=alice)
    # When the first row is redacted (what retention does to a row past its purpose's retention)
    AccessLog.objects.filter(citizen=alice, seq=1).update(redacted_at=later(), **services.REDACTED)
    # Then nothing of who acted or under which emergency is left, and the chain still verifies
    row = AccessLog.objects.get(citizen=alice, seq=1)
    assert (row.actor_kind, row.actor_id, row.actor_label, row.emergency_id) == ("", None, "", None)
    assert "none broken" in verify()


def test_every_column_of_the_log_row_is_declared_once_in_log_row():
    from apps.consent.models import LOG_ROW

    # The chain's own columns are filled by the append; every other column must be in LOG_ROW, or the
    # INSERT statements, the hashed content and the redaction would silently leave it out.
    chain_own = {"id", "seq", "prev_hash", "hash", "redacted_at"}
    columns = {f.attname for f in AccessLog._meta.concrete_fields}
    declared = [c.name for c in LOG_ROW]
    assert len(declared) == len(set(declared))
    assert set(declared) == columns - chain_own, (
        "Declare the new AccessLog column in apps/consent/models.py LOG_ROW (hashed_as, since=a new "
        "chain format, redacted)")
    # And a hashed column added later never changes what format-1 rows hash
    assert {c.hashed_as for c in LOG_ROW if c.hashed_as and c.since == 1} == {
        "citizen", "purpose", "organization", "requested", "categories", "basis", "outcome", "reason", "actor",
        "request_id", "at"}


def test_the_database_refuses_a_redaction_that_keeps_who_acted_or_the_emergency(alice, outbreak):
    from django.db import IntegrityError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    commission, _emergency = outbreak
    services.disclose(organization=commission, purpose="health.contact_tracing", citizen=alice)
    rows = AccessLog.objects.filter(citizen=alice, seq=1)
    # A "redaction" that blanks everything but the structured actor or the emergency is not one
    for kept in ("actor_kind", "actor_id", "emergency_id"):
        partial = {k: v for k, v in services.REDACTED.items() if k != kept}
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            rows.update(redacted_at=later(), **partial)
    # While the real one is allowed
    rows.update(redacted_at=later(), **services.REDACTED)
