"""Reads for identity."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from . import credentials, idnumbers
from .models import ApiClient, AuthToken, Citizen, Membership, Organization


def auth_token_get(*, plain: str) -> AuthToken | None:
    """The live sign-in whose current access token this is, or None (unknown, expired, revoked, inactive)."""
    token = (
        AuthToken.objects.select_related("user")
        .filter(key_hash=credentials.digest(plain), expires_at__gt=timezone.now(), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token


def token_citizen_get(*, plain: str) -> Citizen | None:
    token = auth_token_get(plain=plain)
    return token.user if token is not None else None


def auth_session_list(*, citizen: Citizen) -> QuerySet[AuthToken]:
    """The citizen's live API sign-ins: not revoked, and still renewable (or, for old rows, still valid)."""
    now = timezone.now()
    return (
        AuthToken.objects.filter(user=citizen, revoked_at__isnull=True)
        .filter(Q(refresh_expires_at__gt=now) | Q(refresh_expires_at__isnull=True, expires_at__gt=now))
        .order_by("-created_at")
    )


def api_client_get(*, plain: str) -> ApiClient | None:
    client = (
        ApiClient.objects.select_related("organization")
        .filter(key_hash=credentials.digest(plain), revoked_at__isnull=True)
        .first()
    )
    if client is None or not client.organization.is_active:
        return None
    return client


def citizen_get(*, id_number: str) -> Citizen | None:
    """Match a department's plain ID number against citizens by keyed hash."""
    return Citizen.objects.filter(id_hash=idnumbers.keyed_hash(id_number)).first()


def organization_get(*, slug: str) -> Organization | None:
    return Organization.objects.filter(slug=slug).first()


def membership_list(*, user: Citizen) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organization").order_by("organization__slug")


def auth_token_list(*, user: Citizen) -> QuerySet[AuthToken]:
    """The citizen's sign-in tokens (only their dates are ever shown: the stored hash is a secret)."""
    return AuthToken.objects.filter(user=user).order_by("created_at")

