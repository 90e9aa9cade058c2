"""The retention beat task, run by a real Celery worker against PostgreSQL (integration)."""

import datetime as dt

import pytest
from django.core.management import call_command

from apps.consent import chain, services
from apps.consent.models import AccessLog, ChainHead
from apps.consent.tasks import apply_retention
from tests.consent.conftest import as_database_superuser

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_worker_prunes_expired_rows_and_the_chain_still_verifies(celery_worker, alice, library, grant):
    # Given two disclosures for alice, the first of them older than venue.entry's 30-day retention
    grant(library, "venue.entry")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    services.disclose(organization=library, purpose="venue.entry", citizen=alice)
    services.disclose(organization=library, purpose="venue.entry", citizen=alice)
    first = AccessLog.objects.get(citizen=alice, seq=1)
    with as_database_superuser():  # (re-sealed as if it had been written 31 days ago)
        first.created_at -= dt.timedelta(days=31)
        first.content_digest = chain.digest_content(first)
        first.hash = chain.link_hash(first.prev_hash, 1, first.content_digest)
        first.save(update_fields=["created_at", "content_digest", "hash"])
        second = AccessLog.objects.get(citizen=alice, seq=2)
        second.prev_hash = first.hash
        second.hash = chain.link_hash(first.hash, 2, second.content_digest)
        second.save(update_fields=["prev_hash", "hash"])
        ChainHead.objects.filter(citizen=alice).update(last_hash=second.hash)

    # When the beat task runs on the worker
    result = apply_retention.delay().get(timeout=60)

    # Then the old row is redacted and pruned into the chain anchor, and the log still verifies
    assert result == {"redacted": 1, "deleted": 1}
    assert list(AccessLog.objects.filter(citizen=alice).values_list("seq", flat=True)) == [2]
    assert ChainHead.objects.get(citizen=alice).anchor_hash == first.hash
    call_command("verify_access_log")
