"""What the API and the pages both need: the staff member's hospital, and a session's queue."""

from typing import Any

from django.utils.translation import gettext as _

from apps.codes.plugin_api import DomainError, organization_get, organization_staff_check

from . import selectors
from .errors import MedicalErrorCode
from .models import AppointmentStatus, ClinicSession
from .selectors.scheduling import HOSPITAL_KIND


def staff_hospital(*, user: Any, slug: str) -> Any:
    """The hospital with this slug, if this person acts for it; otherwise a 404 or a 403."""
    hospital = organization_get(slug=slug)
    if hospital is None or hospital.kind != HOSPITAL_KIND or not hospital.is_active:
        raise DomainError(MedicalErrorCode.HOSPITAL_NOT_FOUND, _("No such hospital."))
    if not organization_staff_check(user=user, organization=hospital):
        raise DomainError(MedicalErrorCode.NOT_HOSPITAL_STAFF, _("You do not act for this hospital."))
    return hospital


def queue_view(*, session: ClinicSession) -> dict[str, Any]:
    """The queue of a session: the lowest waiting number is being called; the rest wait in order."""
    entries = list(selectors.queue_list(session=session))
    waiting = [e for e in entries if e.status == AppointmentStatus.ARRIVED]
    return {
        "session": session,
        "now_serving": waiting[0].queue_no if waiting else None,
        "waiting": waiting,
        "seen": sum(1 for e in entries if e.status == AppointmentStatus.FULFILLED),
    }
