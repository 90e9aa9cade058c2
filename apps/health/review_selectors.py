"""Reads for review: manual changes, alerts, appeals, purpose keys, and the review part of a citizen's export.
Never writes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from apps.codes.plugin_api import IdNumberInvalid, id_number_hash, organization_by_slug, staff_acts_for

from .models import Alert, Appeal, ManualChange

DATA_BUREAU = "data-bureau"

#: The citizen references review_export_data covers (the code type adds them to ``export_covers``).
EXPORT_COVERS = (
    "health.ManualChange.citizen",
    "health.ManualChange.requested_by",
    "health.ManualChange.decided_by",
    "health.ManualChange.transition",
    "health.Appeal.citizen",
    "health.Appeal.answered_by",
    "health.Appeal.transition",
)


def manual_change_list(*, state: str | None = None) -> QuerySet[ManualChange]:
    changes = ManualChange.objects.select_related("citizen", "requested_by", "decided_by")
    return changes.filter(state=state) if state else changes


def manual_change_get(*, pk: int) -> ManualChange | None:
    return manual_change_list().filter(pk=pk).first()


def alert_list() -> QuerySet[Alert]:
    return Alert.objects.all()


def appeal_list(*, citizen: Any = None, state: str | None = None, open_only: bool = False) -> QuerySet[Appeal]:
    appeals = Appeal.objects.select_related("citizen", "answered_by")
    if citizen is not None:
        appeals = appeals.filter(citizen=citizen)
    if state:
        appeals = appeals.filter(state=state)
    if open_only:
        appeals = appeals.filter(state__in=[Appeal.State.OPEN, Appeal.State.ESCALATED])
    return appeals


def appeal_get(*, pk: int) -> Appeal | None:
    return appeal_list().filter(pk=pk).first()


def alert_viewer_exists(*, user: Any) -> bool:
    """Whether this person sees alerts: staff of the health commission or of the data bureau."""
    for slug in (settings.CITYCODE_HEALTH_COMMISSION, DATA_BUREAU):
        organization = organization_by_slug(slug)
        if organization is not None and staff_acts_for(user=user, organization=organization):
            return True
    return False


def commission_staff_exists(*, user: Any) -> bool:
    """Whether this person acts for the health commission (may request, approve and answer)."""
    organization = organization_by_slug(settings.CITYCODE_HEALTH_COMMISSION)
    return organization is not None and staff_acts_for(user=user, organization=organization)


def citizen_match_list(*, id_numbers: list[str]) -> tuple[list[Any], list[int]]:
    """The registered citizens with these resident ID numbers, in order, matched by keyed hash (the numbers are
    never stored), and the positions of those that are invalid or match no one."""
    hashes: list[str] = []
    for number in id_numbers:
        try:
            hashes.append(id_number_hash(number))
        except IdNumberInvalid:
            hashes.append("")
    found = {c.id_hash: c for c in get_user_model().objects.filter(id_hash__in=[h for h in hashes if h])}
    unknown = [position for position, digest in enumerate(hashes) if digest not in found]
    return [found[digest] for digest in hashes if digest in found], unknown


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def review_export_data(*, citizen: Any) -> dict[str, Any]:
    """Everything review holds about this person: the manual changes of their colour and their appeals, and, for
    an officer, what they requested, decided and answered (the other citizen is not named)."""
    own_changes = ManualChange.objects.filter(citizen=citizen)
    acted = ManualChange.objects.filter(Q(requested_by=citizen) | Q(decided_by=citizen)).exclude(citizen=citizen)
    return {
        "manual_changes": [
            {"to_colour": c.to_colour, "reason": c.reason_code, "legal_reference": c.legal_reference,
             "state": c.state, "requested_at": _iso(c.requested_at), "decided_at": _iso(c.decided_at)}
            for c in own_changes.order_by("requested_at")
        ],
        "appeals": [
            {"colour": a.colour, "grounds": a.grounds, "statement": a.statement,
             "evidence_reference": a.evidence_reference, "filed_at": _iso(a.filed_at), "due_at": _iso(a.due_at),
             "state": a.state, "answer": a.answer, "answered_at": _iso(a.answered_at), "to_colour": a.to_colour}
            for a in Appeal.objects.filter(citizen=citizen).order_by("filed_at")
        ],
        "as_officer": {
            "manual_changes": [
                {"id": c.pk, "to_colour": c.to_colour, "reason": c.reason_code, "state": c.state,
                 "requested": c.requested_by_id == citizen.pk, "decided": c.decided_by_id == citizen.pk,
                 "requested_at": _iso(c.requested_at), "decided_at": _iso(c.decided_at)}
                for c in acted.order_by("requested_at")
            ],
            "appeals_answered": [
                {"id": a.pk, "state": a.state, "answered_at": _iso(a.answered_at)}
                for a in Appeal.objects.filter(answered_by=citizen).exclude(citizen=citizen).order_by("answered_at")
            ],
        },
    }
