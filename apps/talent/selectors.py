"""Reads for the talent office."""

import datetime as dt

from django.utils import timezone

from .models import TalentCertification


def certification_in_force_get(*, citizen, today: dt.date | None = None) -> TalentCertification | None:
    """The citizen's unrevoked certification that is still valid today, if any."""
    today = today or timezone.localdate()
    return (
        TalentCertification.objects.filter(citizen=citizen, revoked=False, valid_until__gte=today)
        .order_by("-created_at")
        .first()
    )


def certification_list(*, citizen):
    return TalentCertification.objects.filter(citizen=citizen).order_by("-created_at")
