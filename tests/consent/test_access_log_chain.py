"""The access log is hash-chained per citizen; verify_access_log finds tampering; retention keeps chains valid."""

import contextlib
import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.consent import chain, selectors, services
from apps.consent.models import AccessLog, ChainHead
from tests.consent.conftest import as_database_superuser, later

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(alice, make_citizen, library, make_org, grant):
    """Alice and bob each have a few log rows: allowed and denied, for two purposes."""
    bob = make_citizen(username="bob", name="王博")
    police = make_org("traffic-police")
    grant(library, "venue.entry")
    grant(police, "licence.traffic_check")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    for who in (alice, bob):
        services.disclose(organization=police, purpose="licence.traffic_check", citizen=who)
        for _ in range(2):
            with contextlib.suppress(services.DisclosureDenied):
                services.disclose(organization=library, purpose="venue.entry", citizen=who)
    return alice, bob


def verify() -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_access_log", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_intact_chains_verify(history):
    assert "2 access-log chains verified, none broken" in verify()


def test_tampering_with_one_row_is_caught_and_named(history):
    alice, _bob = history
    # When someone edits what a row says was disclosed
    row = AccessLog.objects.get(citizen=alice, seq=2)
    with as_database_superuser():
        AccessLog.objects.filter(pk=row.pk).update(categories=["identity.adult", "identity.name"])
    # Then verification fails and names the first broken link
    with pytest.raises(CommandError) as exc:
        verify()
    assert f"citizen {alice.pk}: row #2" in str(exc.value)
    assert "altered" in str(exc.value)


def test_rewriting_a_row_with_a_fresh_digest_is_still_caught(history):
    alice, _bob = history
    row = AccessLog.objects.get(citizen=alice, seq=1)
    row.organization_slug = "someone-else"
    row.content_digest = chain.digest_content(row)
    row.hash = chain.link_hash(row.prev_hash, row.seq, row.content_digest)
    with as_database_superuser():
        row.save()
    # The next row's prev_hash no longer matches
    with pytest.raises(CommandError, match=r"row #2: prev_hash"):
        verify()


def test_the_database_refuses_to_change_a_log_row(history):
    from django.db import IntegrityError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    alice, _bob = history
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AccessLog.objects.filter(citizen=alice, seq=1).update(categories=["identity.name"])
    # A redaction that keeps the chain fields is the one change allowed (what retention does)
    AccessLog.objects.filter(citizen=alice, seq=1).update(redacted_at=timezone.now(), **services.REDACTED)
    assert "none broken" in verify()


def test_deleting_a_row_in_the_middle_or_at_the_end_is_caught(history):
    alice, bob = history
    AccessLog.objects.filter(citizen=alice, seq=2).delete()
    AccessLog.objects.filter(citizen=bob, seq=3).delete()
    checked, broken = chain.verify_all()
    assert checked == 2
    assert {(b.citizen_id, b.seq) for b in broken} == {(alice.pk, 3), (bob.pk, None)}


def test_retention_redacts_then_prunes_and_the_chain_still_verifies(history):
    alice, bob = history
    # Given alice's first row (traffic check, 90-day retention) is 100 days old; the rest are fresh
    first = AccessLog.objects.get(citizen=alice, seq=1)
    _age_row(first, days=100)
    first.refresh_from_db()
    assert "none broken" in verify()

    # When retention runs
    result = services.access_log_apply_retention()
    # Then the old row is gone, the anchor records it, and every chain still verifies
    assert result == {"redacted": 1, "deleted": 1}
    assert not AccessLog.objects.filter(pk=first.pk).exists()
    head = ChainHead.objects.get(citizen=alice)
    assert (head.anchor_seq, head.anchor_hash) == (1, first.hash)
    assert "none broken" in verify()
    # And running it again changes nothing
    assert services.access_log_apply_retention() == {"redacted": 0, "deleted": 0}


def test_a_short_retention_row_between_long_ones_is_redacted_in_place(history):
    alice, _bob = history
    # alice's rows: #1 traffic check (90 days), #2 and #3 venue entry (30 days). Make all 40 days old.
    for row in AccessLog.objects.filter(citizen=alice):
        _age_row(row, days=40)
    result = services.access_log_apply_retention()
    # The venue rows (#2, #3) outlived 30 days; #1 (90 days) stays, so #2 and #3 are redacted, not deleted
    assert result == {"redacted": 2, "deleted": 0}
    rows = list(AccessLog.objects.filter(citizen=alice).order_by("seq"))
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[1].redacted_at and rows[1].organization_slug == "" and rows[1].categories == []
    assert "none broken" in verify()
    # Tampering with a redacted row's digest is still caught
    with as_database_superuser():
        AccessLog.objects.filter(pk=rows[2].pk).update(content_digest="0" * 64)
    with pytest.raises(CommandError, match=r"row #3"):
        verify()


@as_database_superuser()
def _age_row(row: AccessLog, *, days: int) -> None:
    """Re-write a row as if it had been logged `days` ago (re-sealing the whole chain after it), so retention
    can be tested without waiting; the chain stays valid."""
    row.created_at = row.created_at - dt.timedelta(days=days)
    row.content_digest = chain.digest_content(row)
    row.save(update_fields=["created_at", "content_digest"])
    prev = AccessLog.objects.get(pk=row.pk).prev_hash
    for r in AccessLog.objects.filter(citizen_id=row.citizen_id, seq__gte=row.seq).order_by("seq"):
        r.prev_hash = prev
        r.hash = chain.link_hash(prev, r.seq, r.content_digest)
        r.save(update_fields=["prev_hash", "hash"])
        prev = r.hash
    ChainHead.objects.filter(citizen_id=row.citizen_id).update(last_hash=prev)


def test_moving_a_row_in_time_is_itself_tampering(history):
    alice, _bob = history
    with as_database_superuser():
        AccessLog.objects.filter(citizen=alice, seq=1).update(created_at=timezone.now() - dt.timedelta(days=100))
    with pytest.raises(CommandError, match=r"row #1: content does not match"):
        verify()


def test_the_citizen_reads_the_log_newest_first_without_redacted_rows(history):
    alice, _bob = history
    rows = list(selectors.access_log_list(citizen=alice))
    assert [r.seq for r in rows] == [3, 2, 1]
    assert later(seconds=1) > rows[0].created_at
    for row in AccessLog.objects.filter(citizen=alice, seq=3):
        _age_row(row, days=40)
    services.access_log_apply_retention()
    assert [r.seq for r in selectors.access_log_list(citizen=alice)] == [2, 1]
