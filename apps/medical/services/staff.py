"""The one check every staff-side write makes: does this person act for this hospital?"""

from typing import Any

from django.utils.translation import gettext as _

from apps.codes.plugin_api import STAFF_ACT, DomainError, organization_staff_check

from ..errors import MedicalErrorCode


def hospital_staff_require(*, user: Any, hospital: Any, perm: str = STAFF_ACT) -> None:
    """Refuse anyone without a role in this hospital (staff of another hospital included)."""
    if not organization_staff_check(user=user, organization=hospital, perm=perm):
        raise DomainError(MedicalErrorCode.NOT_HOSPITAL_STAFF, _("You do not act for this hospital."))
