"""Reads for licences. Reads never write."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from .models import Licence, LicenceCredential, LicenceEvent, LicenceType, PresentationRequest


def licence_type_get(*, type_code: str) -> LicenceType | None:
    return LicenceType.objects.filter(type_code=type_code).select_related("office").first()


def licence_type_list(*, offices: Any = None) -> QuerySet[LicenceType]:
    types = LicenceType.objects.select_related("office").order_by("type_code")
    return types if offices is None else types.filter(office__in=offices)


def licence_list(*, citizen: Any = None, offices: Any = None) -> QuerySet[Licence]:
    """A citizen's licences (every status), or those issued by the given offices (for their staff)."""
    licences = Licence.objects.select_related("licence_type", "licence_type__office", "citizen")
    if citizen is not None:
        licences = licences.filter(citizen=citizen)
    if offices is not None:
        licences = licences.filter(licence_type__office__in=offices)
    return licences.order_by("-created_at")


def licence_get(*, licence_id: int, citizen: Any = None, offices: Any = None) -> Licence | None:
    """One licence, only if it is the citizen's own (or issued by one of the offices): another person's licence
    reads as missing."""
    return licence_list(citizen=citizen, offices=offices).filter(pk=licence_id).first()


def licence_in_force_list(*, citizen: Any, today: dt.date | None = None) -> QuerySet[Licence]:
    today = today or timezone.localdate()
    return licence_list(citizen=citizen).filter(status=Licence.Status.ACTIVE, valid_from__lte=today,
                                                valid_until__gte=today)


def licence_in_force_get(*, citizen: Any, licence_type: LicenceType, today: dt.date | None = None) -> Licence | None:
    return licence_in_force_list(citizen=citizen, today=today).filter(licence_type=licence_type).first()


def licence_event_list(*, licence: Licence) -> QuerySet[LicenceEvent]:
    return LicenceEvent.objects.filter(licence=licence).select_related("by").order_by("at", "pk")


def credential_index_list(*, licence: Licence, now: dt.datetime | None = None) -> list[int]:
    """The status-list indices of the licence's copies that have not expired yet."""
    return list(LicenceCredential.objects.filter(licence=licence, expires_at__gt=now or timezone.now())
                .values_list("status_index", flat=True))


def presentation_request_get(*, request_id: int, verifier: Any = None) -> PresentationRequest | None:
    requests = PresentationRequest.objects.select_related("licence_type", "licence_type__office", "verifier")
    if verifier is not None:
        requests = requests.filter(verifier=verifier)
    return requests.filter(pk=request_id).first()


def licence_event_by_list(*, user: Any) -> QuerySet[LicenceEvent]:
    """What a staff member did to licences (issued, suspended …), newest last."""
    return LicenceEvent.objects.filter(by=user).select_related("licence__licence_type").order_by("at", "pk")


def presentation_request_by_nonce_get(*, nonce: str) -> PresentationRequest | None:
    """A request by the nonce the verifier showed the citizen (a random 128-bit value: it cannot be guessed)."""
    return PresentationRequest.objects.select_related("licence_type", "verifier").filter(nonce=nonce).first()
