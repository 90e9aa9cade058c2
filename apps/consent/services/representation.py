"""Representation: guardians of under-14s and carers of the elderly, scoped and expiring."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.consent.errors import ConsentErrorCode
from apps.identity.models import Citizen
from citycode.errors import DomainError, Forbidden

from ..models import Purpose, Representation

ELDERLY_AGE = 60


def _age(citizen: Citizen) -> int | None:
    return citizen.age_on(timezone.localdate())


@transaction.atomic
def representation_create(
    *,
    representative: Citizen,
    represented: Citizen,
    kind: str,
    valid_until: dt.datetime,
    purposes: list[str] | None = None,
    valid_from: dt.datetime | None = None,
) -> Representation:
    """Name a guardian (the citizen is under 14) or a carer (the citizen is 60 or older), scoped and expiring."""
    if kind == Representation.Kind.GUARDIAN and not represented.is_minor:
        raise DomainError(ConsentErrorCode.NOT_A_MINOR, _("A guardian may act only for a citizen under 14."))
    if kind == Representation.Kind.CARER and (_age(represented) or 0) < ELDERLY_AGE:
        raise DomainError(ConsentErrorCode.NOT_ELDERLY, _("A carer may act only for a citizen aged 60 or over."))
    codes = sorted(set(purposes or []))
    unknown = set(codes) - set(Purpose.objects.filter(code__in=codes).values_list("code", flat=True))
    if unknown:
        raise DomainError(ConsentErrorCode.UNKNOWN_PURPOSE,
                          _("No such purpose: %(codes)s") % {"codes": ", ".join(sorted(unknown))})
    representation = Representation(
        representative=representative, represented=represented, kind=kind, purposes=codes,
        valid_from=valid_from or timezone.now(), valid_until=valid_until,
    )
    representation.full_clean()
    representation.save()
    return representation


@transaction.atomic
def representation_revoke(*, representation: Representation) -> Representation:
    if representation.revoked_at is None:
        representation.revoked_at = timezone.now()
        representation.save(update_fields=["revoked_at"])
    return representation


@transaction.atomic
def representation_end(*, representation: Representation, by: Citizen) -> Representation:
    """One of the two people ends the relationship from their side.

    The representative may always step down. The represented person may end a carer's relationship (they are
    an adult who chose to be helped), and so may a child who has turned 14 end a guardianship; a minor under 14
    cannot dismiss their guardian, only the bureau can (``representation_revoke``). Idempotent.
    """
    representation = Representation.objects.select_for_update().get(pk=representation.pk)
    if by.pk == representation.representative_id:
        return representation_revoke(representation=representation)
    if by.pk != representation.represented_id:
        raise Forbidden(ConsentErrorCode.NOT_A_PARTY, _("Only the two people named in a representation may end it."))
    if representation.kind != Representation.Kind.CARER and representation.represented.is_minor:
        raise Forbidden(ConsentErrorCode.GUARDIAN_NOT_ENDABLE,
                        _("A guardianship of a minor can be ended only by the guardian or the data bureau."))
    return representation_revoke(representation=representation)
