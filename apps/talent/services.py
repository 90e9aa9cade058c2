"""Writes for the talent office: certify a citizen, revoke a certification."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import TalentCertification


@transaction.atomic
def certification_issue(
    *, citizen, level: str, issued_by: str, valid_until: dt.date
) -> TalentCertification:
    """Certify the citizen at ``level``; a certification still in force is superseded (revoked) by the new one."""
    # Lock the citizen row so two certifications of one person cannot race past the supersede step.
    get_user_model().objects.select_for_update().filter(pk=citizen.pk).first()
    if valid_until < timezone.localdate():
        raise ValidationError({"valid_until": ValidationError(_("The validity has already ended."), code="past")})
    certification = TalentCertification(citizen=citizen, level=level, issued_by=issued_by, valid_until=valid_until)
    certification.full_clean(exclude=["citizen"])
    for previous in TalentCertification.objects.select_for_update().filter(citizen=citizen, revoked=False):
        certification_revoke(certification=previous)
    certification.save()
    return certification


@transaction.atomic
def certification_revoke(*, certification: TalentCertification) -> TalentCertification:
    """Revoke a certification. Idempotent. From the next scan on, the talent code is no longer shown and
    talent.certification reads as not certified."""
    if not certification.revoked:
        certification.revoked = True
        certification.revoked_at = timezone.now()
        certification.full_clean(exclude=["citizen"])
        certification.save(update_fields=["revoked", "revoked_at"])
    return certification
