"""Writes for identity: registration, tokens, organizations, memberships, API clients."""

import datetime as dt
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.identity.errors import IdentityErrorCode
from citycode.errors import Conflict, DomainError, NotFound

from . import credentials, idnumbers, permissions, realname
from .models import ApiClient, AuthToken, Citizen, Membership, Organization, RefreshToken, ResidentRecord

logger = logging.getLogger(__name__)
# Refusals that depend on what is stored here or in the registry: told apart, they would say whether a number
# exists, is registered, or whether a phone is in use (finding 2). Callers outside get one answer for all.
REGISTRATION_REFUSALS = frozenset({"real_name_mismatch", "already_registered", "account_taken"})
_PHONE = re.compile(r"^1[3-9]\d{9}$")


def normalize_phone(raw: str) -> str:
    phone = re.sub(r"[\s-]", "", raw or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not _PHONE.match(phone):
        raise ValidationError({"phone": ValidationError(_("Enter a mainland mobile number."), code="phone_invalid")})
    return phone


@transaction.atomic
def citizen_register(
    *, name: str, id_number: str, phone: str, password: str, username: str = ""
) -> Citizen:
    """Register a citizen under their real name. Without a user name, the normalized phone number is the login.

    Raises ValidationError for bad input and Conflict (409) when the ID number or the username/phone is
    taken; the conflict never says which account holds it.
    """
    try:
        resident = idnumbers.parse(id_number)
    except ValidationError as exc:
        raise ValidationError({"id_number": exc}) from None
    phone = normalize_phone(phone)
    username = (username or "").strip() or phone
    if username != phone and _PHONE.match(username):
        # Sign-in takes a user name or a phone number: a user name that is another number would answer for
        # (or squat) that number's owner.
        raise ValidationError({"username": ValidationError(_("A user name cannot be a phone number."),
                                                           code="username_is_phone")})
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ValidationError(_("Enter your real name."), code="required")})
    # The caller knows what they typed, so refusing a password like their phone or user name tells them nothing.
    try:
        validate_password(password, user=Citizen(username=username, name=name, phone=phone))
    except ValidationError as exc:
        raise ValidationError({"password": exc.error_list}) from None

    verdict = realname.get_verifier().verify(name=name, resident_id=resident)
    if not verdict.ok:
        raise DomainError(IdentityErrorCode.REAL_NAME_MISMATCH,
                          _("The name and ID number could not be verified together."))

    id_hash = idnumbers.keyed_hash(resident.number)
    if Citizen.objects.filter(id_hash=id_hash).exists():
        raise Conflict(IdentityErrorCode.ALREADY_REGISTERED, _("This ID number cannot be registered again."))
    if Citizen.objects.filter(username__iexact=username).exists() or Citizen.objects.filter(phone=phone).exists():
        raise Conflict(IdentityErrorCode.ACCOUNT_TAKEN, _("This user name or phone number is already in use."))

    citizen = Citizen(
        username=username,
        name=name,
        id_hash=id_hash,
        id_masked=resident.masked,
        birth_date=resident.birth_date,
        phone=phone,
        real_name_verified_at=timezone.now(),
        real_name_method=verdict.method,
    )
    citizen.set_password(password)
    # Uniqueness was checked above; a registration racing this one is settled by the unique indexes below,
    # not by a second read that could itself race.
    citizen.full_clean(exclude=["password"], validate_unique=False)
    try:
        with transaction.atomic():
            citizen.save()
    except IntegrityError:
        # Two registrations racing: the unique index decides, and the loser gets the same 409 as any duplicate.
        if Citizen.objects.filter(id_hash=id_hash).exists():
            raise Conflict(IdentityErrorCode.ALREADY_REGISTERED,
                           _("This ID number cannot be registered again.")) from None
        raise Conflict(IdentityErrorCode.ACCOUNT_TAKEN,
                       _("This user name or phone number is already in use.")) from None
    return citizen


def registration_answer() -> str:
    return _(
        "If these details are right, your account is ready: sign in with your user name or phone number. "
        "If you cannot sign in, we could not register these details: please visit a service desk with your ID card."
    )


def citizen_register_blind(
    *, name: str, id_number: str, phone: str, password: str, username: str = ""
) -> Citizen | None:
    """Register like `citizen_register`, but answer a refusal that depends on stored data with None.

    Malformed input still raises ValidationError (a checksum or a phone format is computable offline, so its
    400 is no oracle). The owner of a number someone else registered learns nothing here either: the answer
    tells them to try signing in, and else to go to a service desk with their ID card.
    """
    try:
        return citizen_register(name=name, id_number=id_number, phone=phone, password=password, username=username)
    except DomainError as exc:
        if exc.code not in REGISTRATION_REFUSALS:
            raise
        make_password(password)  # the work a successful registration does, so a refusal is not quicker
        logger.info("registration refused: %s", exc.code)  # the code only: never the number, name or phone
        return None


@transaction.atomic
def resident_record_upsert(*, id_number: str, name: str) -> ResidentRecord:
    resident = idnumbers.parse(id_number)
    record, _created = ResidentRecord.objects.update_or_create(
        id_hash=idnumbers.keyed_hash(resident.number), defaults={"name": name}
    )
    return record


@dataclass(frozen=True)
class IssuedTokens:
    """A sign-in's tokens as handed out once: the plain values are never stored."""

    session: AuthToken
    access: str
    refresh: str
    refresh_expires_at: dt.datetime


def _access_lifetime() -> dt.timedelta:
    return dt.timedelta(minutes=settings.CITYCODE_ACCESS_TOKEN_MINUTES)


def _new_refresh(*, session: AuthToken) -> str:
    plain = credentials.new_token()
    RefreshToken.objects.create(session=session, key_hash=credentials.digest(plain))
    return plain


@transaction.atomic
def auth_session_start(*, user: Citizen, user_agent: str = "") -> IssuedTokens:
    """Sign a citizen in through the API: a short-lived access token and a single-use refresh token."""
    now = timezone.now()
    access = credentials.new_token()
    refresh_expires_at = now + dt.timedelta(days=settings.CITYCODE_REFRESH_TOKEN_DAYS)
    session = AuthToken(
        user=user,
        key_hash=credentials.digest(access),
        expires_at=now + _access_lifetime(),
        refresh_expires_at=refresh_expires_at,
        user_agent=(user_agent or "")[:200],
    )
    session.full_clean()
    session.save()
    return IssuedTokens(session=session, access=access, refresh=_new_refresh(session=session),
                        refresh_expires_at=refresh_expires_at)


def auth_token_issue(*, user: Citizen) -> tuple[AuthToken, str]:
    """Return the stored token row and the plain access token, which is shown once."""
    issued = auth_session_start(user=user)
    return issued.session, issued.access


def auth_token_refresh(*, refresh: str, user_agent: str = "") -> IssuedTokens:
    """Rotate a sign-in's tokens: the refresh token is spent and a new pair handed out.

    A refresh token presented a second time means two parties hold it: the whole sign-in is revoked (the
    revocation is committed even though the call then fails), so the thief's and the owner's tokens both die.
    """
    now = timezone.now()
    revoked_id: int | None = None
    with transaction.atomic():
        row = (
            RefreshToken.objects.select_for_update()
            .select_related("session", "session__user")
            .filter(key_hash=credentials.digest(refresh))
            .first()
        )
        session = row.session if row is not None else None
        if row is None or session is None or session.revoked_at is not None or not session.user.is_active or (
            session.refresh_expires_at is None or session.refresh_expires_at <= now
        ):
            outcome = "invalid"
        elif row.used_at is not None:
            session.revoked_at = now
            session.save(update_fields=["revoked_at"])
            outcome, revoked_id = "reused", session.pk
        else:
            row.used_at = now
            row.save(update_fields=["used_at"])
            access = credentials.new_token()
            session.key_hash = credentials.digest(access)
            session.expires_at = min(now + _access_lifetime(), session.refresh_expires_at)
            session.last_used_at = now
            if user_agent:
                session.user_agent = user_agent[:200]
            session.save(update_fields=["key_hash", "expires_at", "last_used_at", "user_agent"])
            return IssuedTokens(session=session, access=access, refresh=_new_refresh(session=session),
                                refresh_expires_at=session.refresh_expires_at)
    if outcome == "reused":
        logger.warning("refresh token reused: sign-in %s revoked", revoked_id)
        raise DomainError(IdentityErrorCode.REFRESH_TOKEN_REUSED,
                          _("This refresh token was already used; the sign-in has been ended. Sign in again."))
    raise DomainError(IdentityErrorCode.INVALID_REFRESH_TOKEN, _("Invalid or expired refresh token."))


def auth_token_revoke(*, token: AuthToken) -> None:
    """End a sign-in: its access token and every refresh token of it stop working at once."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def auth_session_revoke(*, citizen: Citizen, session_id: int) -> None:
    """A citizen ends one of their own sign-ins; another citizen's id is as unknown as a missing one."""
    session = AuthToken.objects.filter(pk=session_id, user=citizen, revoked_at__isnull=True).first()
    if session is None:
        raise NotFound(IdentityErrorCode.SESSION_NOT_FOUND, _("No such sign-in."))
    auth_token_revoke(token=session)


# Writing last_used_at on every request would turn every API read into a write; a minute is precise enough
# for "last used" on the sessions list.
TOUCH_EVERY = dt.timedelta(minutes=1)


def auth_token_touch(*, token: AuthToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        AuthToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


@transaction.atomic
def organization_create(*, slug: str, name: str, kind: str, name_en: str = "") -> Organization:
    org = Organization(slug=slug, name=name, name_en=name_en, kind=kind)
    org.full_clean()
    org.save()
    return org


@transaction.atomic
def membership_set(*, user: Citizen, organization: Organization, role: str) -> Membership:
    """Create or change a staff membership and its object permissions together."""
    if role not in Membership.Role.values:
        raise ValidationError({"role": ValidationError(_("Unknown role."), code="invalid_choice")})
    membership, _created = Membership.objects.update_or_create(
        user=user, organization=organization, defaults={"role": role}
    )
    permissions.apply_role(user=user, organization=organization, role=role)
    return membership


@transaction.atomic
def membership_remove(*, user: Citizen, organization: Organization) -> None:
    Membership.objects.filter(user=user, organization=organization).delete()
    permissions.clear_roles(user=user, organization=organization)


@transaction.atomic
def api_client_create(
    *,
    organization: Organization,
    name: str,
    kind: str = ApiClient.Kind.SERVICE,
    device_id: str = "",
    scopes: list[str] | None = None,
    holder: Citizen | None = None,
) -> tuple[ApiClient, str]:
    """Create an API client; return it and the plain key, which is never retrievable again. ``holder`` is the
    member of the organization answerable for the key (required for a key that decides catalogue proposals)."""
    prefix, key = credentials.new_api_key()
    client = ApiClient(
        organization=organization,
        name=name,
        kind=kind,
        device_id=device_id,
        scopes=sorted(set(scopes or [])),
        holder=holder,
        key_prefix=prefix,
        key_hash=credentials.digest(key),
    )
    client.full_clean()
    client.save()
    return client, key


def api_client_revoke(*, client: ApiClient) -> ApiClient:
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at"])
    return client
