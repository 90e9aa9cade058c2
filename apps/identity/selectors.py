"""Reads for identity."""

from django.db.models import QuerySet
from django.utils import timezone

from . import credentials, idnumbers
from .models import ApiClient, AuthToken, Citizen, Membership, Organization


def citizen_by_token(*, plain: str) -> Citizen | None:
    token = (
        AuthToken.objects.select_related("user")
        .filter(key_hash=credentials.digest(plain), expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token.user


def api_client_by_key(*, plain: str) -> ApiClient | None:
    client = (
        ApiClient.objects.select_related("organization")
        .filter(key_hash=credentials.digest(plain), revoked_at__isnull=True)
        .first()
    )
    if client is None or not client.organization.is_active:
        return None
    return client


def citizen_by_id_number(*, id_number: str) -> Citizen | None:
    """Match a department's plain ID number against citizens by keyed hash."""
    return Citizen.objects.filter(id_hash=idnumbers.keyed_hash(id_number)).first()


def organization_by_slug(*, slug: str) -> Organization | None:
    return Organization.objects.filter(slug=slug).first()


def memberships_for(*, user: Citizen) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organization").order_by("organization__slug")


def auth_tokens_for(*, user: Citizen) -> QuerySet[AuthToken]:
    """The citizen's sign-in tokens (only their dates are ever shown: the stored hash is a secret)."""
    return AuthToken.objects.filter(user=user).order_by("created_at")

