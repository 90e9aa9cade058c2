"""Reads for identity."""

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from . import credentials, idnumbers
from .models import ApiClient, AuthToken, Citizen, Membership, Organization


def auth_token_by_plain(*, plain: str) -> AuthToken | None:
    """The live sign-in whose current access token this is, or None (unknown, expired, revoked, inactive)."""
    token = (
        AuthToken.objects.select_related("user")
        .filter(key_hash=credentials.digest(plain), expires_at__gt=timezone.now(), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token


def citizen_by_token(*, plain: str) -> Citizen | None:
    token = auth_token_by_plain(plain=plain)
    return token.user if token is not None else None


def auth_sessions_for(*, citizen: Citizen) -> QuerySet[AuthToken]:
    """The citizen's live API sign-ins: not revoked, and still renewable (or, for old rows, still valid)."""
    now = timezone.now()
    return (
        AuthToken.objects.filter(user=citizen, revoked_at__isnull=True)
        .filter(Q(refresh_expires_at__gt=now) | Q(refresh_expires_at__isnull=True, expires_at__gt=now))
        .order_by("-created_at")
    )


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


def citizen_export(*, citizen: Citizen) -> dict[str, Any]:
    """Identity's part of a citizen's data export (PIPL Art 45), JSON-ready.

    Only the masked ID number leaves: the plain number is never stored, and its keyed hash is an internal
    matching key, not the citizen's data. Secrets (password hash, token hashes) are left out; tokens are
    listed by their dates so the citizen can see which sign-ins are alive.
    """
    citizen = Citizen.objects.get(pk=citizen.pk)
    return {
        "profile": {
            "username": citizen.username,
            "name": citizen.name,
            "id_masked": citizen.id_masked,
            "birth_date": citizen.birth_date.isoformat() if citizen.birth_date else None,
            "phone": citizen.phone,
            "is_minor": citizen.is_minor,
            "real_name_verified_at": _iso(citizen.real_name_verified_at),
            "real_name_method": citizen.real_name_method,
            "date_joined": _iso(citizen.date_joined),
            "last_login": _iso(citizen.last_login),
        },
        "memberships": [
            {
                "organization": m.organization.slug,
                "organization_name": m.organization.name,
                "role": m.role,
                "since": _iso(m.created_at),
            }
            for m in memberships_for(user=citizen)
        ],
        "auth_tokens": [
            {"created_at": _iso(t.created_at), "expires_at": _iso(t.refresh_expires_at or t.expires_at),
             "last_used_at": _iso(t.last_used_at), "user_agent": t.user_agent, "revoked_at": _iso(t.revoked_at)}
            for t in AuthToken.objects.filter(user=citizen).order_by("created_at")
        ],
        # API clients belong to organizations, never to a person: a citizen holds none.
        "api_clients": [],
    }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None
