"""Template context for the navigation bar."""

from django.utils.functional import SimpleLazyObject

from .models import Citizen
from .permissions import organizations_for


def staff_navigation(request) -> dict:
    """`nav_can_verify`: the signed-in person acts for at least one organization, so may use the verify page.

    Lazy: the query runs only when a template reads the flag.
    """
    user = getattr(request, "user", None)
    if not isinstance(user, Citizen) or not user.is_authenticated:
        return {"nav_can_verify": False}
    return {"nav_can_verify": SimpleLazyObject(lambda: organizations_for(user=user).exists())}
