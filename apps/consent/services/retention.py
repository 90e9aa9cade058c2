"""Retention of the access log: redact rows past their purpose's retention, then fold them into the anchor."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from ..models import KEEP, LOG_ROW, AccessLog, ChainHead, Purpose

# What retention leaves in a redacted row's content columns (chain fields, time and purpose stay).
REDACTED = {column.name: column.redacted for column in LOG_ROW if column.redacted is not KEEP}


def access_log_apply_retention(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Redact every log row older than its purpose's retention, then fold each chain's redacted prefix into
    the chain anchor and delete it. Verification keeps working (see apps/consent/chain.py)."""
    now = now or timezone.now()
    redacted = 0
    for purpose in Purpose.objects.all():
        cutoff = now - dt.timedelta(days=purpose.retention_days)
        with transaction.atomic():
            redacted += AccessLog.objects.filter(
                purpose=purpose, created_at__lt=cutoff, redacted_at__isnull=True
            ).update(redacted_at=now, **REDACTED)
    # Rows whose purpose is unknown (a denial for an unknown purpose) are kept for the shortest retention.
    shortest = Purpose.objects.order_by("retention_days").values_list("retention_days", flat=True).first() or 30
    with transaction.atomic():
        redacted += AccessLog.objects.filter(
            purpose__isnull=True, created_at__lt=now - dt.timedelta(days=shortest), redacted_at__isnull=True
        ).update(redacted_at=now, **REDACTED)

    deleted = 0
    citizens = AccessLog.objects.filter(redacted_at__isnull=False).values_list("citizen_id", flat=True).distinct()
    for citizen_id in list(citizens):
        with transaction.atomic():
            head = ChainHead.objects.select_for_update().filter(citizen_id=citizen_id).first()
            if head is None:
                continue
            first_live = (
                AccessLog.objects.filter(citizen_id=citizen_id, redacted_at__isnull=True)
                .order_by("seq").values_list("seq", flat=True).first()
            )
            limit = first_live - 1 if first_live is not None else head.seq
            last = AccessLog.objects.filter(citizen_id=citizen_id, seq=limit, redacted_at__isnull=False).first()
            if last is None or limit <= head.anchor_seq:
                continue
            deleted += AccessLog.objects.filter(citizen_id=citizen_id, seq__lte=limit).delete()[0]
            head.anchor_seq, head.anchor_hash = limit, last.hash
            head.save(update_fields=["anchor_seq", "anchor_hash"])
    return {"redacted": redacted, "deleted": deleted}
