"""Emergencies: periods in which emergency-basis purposes need no consent."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.consent.errors import ConsentErrorCode
from apps.identity.models import ApiClient, Citizen
from citycode.errors import DomainError

from ..models import Emergency, LegalBasis, Purpose
from .catalogue import _purpose
from .grants import _approver_label


def emergency_check(*, name: str, legal_reference: str, purposes: list[str | Purpose], starts_at: dt.datetime,
                    ends_at: dt.datetime, label: str) -> tuple[Emergency, list[Purpose]]:
    """The emergency as it would be declared, validated but not saved, and the purposes it covers."""
    covered = [_purpose(p) for p in purposes]
    if not covered:
        raise ValidationError({"purposes": ValidationError(_("Name the purposes the emergency covers."),
                                                           code="required")})
    # An epidemic-control purpose may be covered whatever its basis: its epidemic-only categories (the health
    # colour) are disclosed only while an emergency covers it (the gate), never outside one.
    wrong = [p.code for p in covered if p.legal_basis != LegalBasis.EMERGENCY and not p.epidemic_control]
    if wrong:
        raise DomainError(ConsentErrorCode.PURPOSE_NOT_EMERGENCY,
            _("These purposes do not rest on an emergency basis: %(codes)s") % {"codes": ", ".join(wrong)},
        )
    emergency = Emergency(name=name, legal_reference=legal_reference, starts_at=starts_at, ends_at=ends_at,
                          declared_by_label=label[:200])
    emergency.full_clean()
    return emergency, covered


@transaction.atomic
def emergency_declare(
    *,
    name: str,
    legal_reference: str,
    purposes: list[str | Purpose],
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    declared_by: Citizen | ApiClient,
    proposed_by_label: str = "",
) -> Emergency:
    """Declare an emergency. Only purposes whose legal basis is `emergency`, or epidemic-control purposes, may be
    covered; while it lasts emergency-basis purposes need no consent (after `ends_at` they need consent again),
    and epidemic-control purposes may see the health colour (never outside an emergency). The API only proposes
    one (``emergency_propose``): this applies it once a second administrator approves."""
    label = _approver_label(declared_by)
    if proposed_by_label:
        label = f"{label}, proposed by {proposed_by_label}"
    emergency, covered = emergency_check(name=name, legal_reference=legal_reference, purposes=purposes,
                                         starts_at=starts_at, ends_at=ends_at, label=label)
    emergency.save()
    emergency.purposes.set(covered)
    return emergency


@transaction.atomic
def emergency_end(*, emergency: Emergency, at: dt.datetime | None = None) -> Emergency:
    """End an emergency now (or at `at`, never later than declared)."""
    at = at or timezone.now()
    if at < emergency.ends_at:
        emergency.ends_at = max(at, emergency.starts_at + dt.timedelta(microseconds=1))
        emergency.save(update_fields=["ends_at"])
    return emergency
