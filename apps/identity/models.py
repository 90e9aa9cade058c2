import datetime as dt

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citycode.localized import prefers_english

MINOR_AGE = 14  # PIPL Art 31: under-14s need a guardian's consent


class Citizen(AbstractUser):
    """The one identity of a person in the city: citizens, and staff who act for organizations.

    The resident ID number is never stored: only its keyed hash (for matching departments' lists)
    and a masked form for display.
    """

    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]

    name = models.CharField(_("real name"), max_length=100, blank=True)
    id_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    id_masked = models.CharField(_("ID number (masked)"), max_length=18, blank=True, editable=False)
    birth_date = models.DateField(null=True, blank=True, editable=False)
    phone = models.CharField(_("phone"), max_length=20, unique=True, null=True, blank=True)
    real_name_verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    real_name_method = models.CharField(max_length=32, blank=True, editable=False)

    class Meta:
        verbose_name = _("citizen")
        verbose_name_plural = _("citizens")

    def __str__(self) -> str:
        return self.username

    # real_name_method of a registration that passed on the ID number's checksum alone (no registry checked it).
    CHECKSUM_ONLY = "checksum"

    @property
    def is_real_name_verified(self) -> bool:
        """Verified against a registry: a checksum anyone can compute proves nothing about the name."""
        return self.real_name_verified_at is not None and self.real_name_method != self.CHECKSUM_ONLY

    @property
    def real_name_status(self) -> str:
        """`verified` (a registry confirmed name and number), `not_registry_verified`, or `unverified` (staff)."""
        if self.real_name_verified_at is None:
            return "unverified"
        return "verified" if self.is_real_name_verified else "not_registry_verified"

    def age_on(self, day: dt.date) -> int | None:
        if self.birth_date is None:
            return None
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))

    @property
    def is_minor(self) -> bool:
        age = self.age_on(timezone.localdate())
        return age is not None and age < MINOR_AGE


class ResidentRecord(models.Model):
    """The local population registry the offline real-name verifier checks against."""

    id_hash = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        verbose_name = _("resident record")
        verbose_name_plural = _("resident records")

    def __str__(self) -> str:
        return f"resident {self.id_hash[:8]}"


class Organization(models.Model):
    class Kind(models.TextChoices):
        DEPARTMENT = "department", _("City department")
        TRANSIT_OPERATOR = "transit_operator", _("Transit operator")
        HOSPITAL = "hospital", _("Hospital")
        LICENCE_OFFICE = "licence_office", _("Licence office")
        VENUE = "venue", _("Venue")
        OTHER = "other", _("Other")

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        permissions = [
            ("manage_organization", "Manage the organization's staff and API keys"),
            ("act_for_organization", "Act for the organization"),
            ("view_organization_records", "View the organization's records"),
        ]

    def __str__(self) -> str:
        return self.slug

    @property
    def display_name(self) -> str:
        """The name in the active language: `name_en` under English when there is one, else `name`."""
        if prefers_english() and self.name_en:
            return self.name_en
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        STAFF = "staff", _("Staff")
        VIEWER = "viewer", _("Viewer")

    user = models.ForeignKey(Citizen, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique_user_org",
                violation_error_code="already_member",
                violation_error_message=_("This person is already a member of this organization."))
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.role})"


class ApiClient(models.Model):
    """A machine acting for an organization: a verifier app, a bus reader, a department system.

    Only a SHA-256 of the key is stored; the key is shown once when created.
    """

    class Kind(models.TextChoices):
        SERVICE = "service", _("Service")
        DEVICE = "device", _("Device")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_clients")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SERVICE)
    device_id = models.CharField(max_length=64, blank=True)
    scopes = models.JSONField(default=list, blank=True)
    # The person answerable for what the key does. A catalogue decision made with a key counts as this person's,
    # so two keys of one administrator are still one person under the two-person rule.
    holder = models.ForeignKey(
        Citizen, null=True, blank=True, on_delete=models.PROTECT, related_name="held_api_clients",
        verbose_name=_("holder"),
    )
    key_prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "device_id"],
                condition=~models.Q(device_id=""),
                name="apiclient_unique_device_per_org",
                violation_error_code="device_taken",
                violation_error_message=_("This organization already has a client for this device ID."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization}:{self.name}"

    def clean(self) -> None:
        super().clean()
        if self.holder_id is not None and not Membership.objects.filter(
            user_id=self.holder_id, organization_id=self.organization_id
        ).exists():
            raise ValidationError({"holder": ValidationError(
                _("The holder of a key must be a member of its organization."), code="holder_not_member")})

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.organization.is_active

    # DRF and Django treat request.user as a principal; an API client is an authenticated one.
    is_authenticated = True
    is_anonymous = False


class AuthToken(models.Model):
    """One sign-in of a citizen through the API (a "session" to them): its current short-lived access token and
    a family of single-use refresh tokens. Only SHA-256 digests of either are stored.

    `expires_at` ends the current access token; `refresh_expires_at` ends the whole sign-in.
    """

    user = models.ForeignKey(Citizen, on_delete=models.CASCADE, related_name="auth_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    refresh_expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in token")
        verbose_name_plural = _("sign-in tokens")

    def __str__(self) -> str:
        return f"token {self.key_hash[:8]} of {self.user_id}"


class RefreshToken(models.Model):
    """A single-use refresh token of a sign-in. Kept after use: presenting a used one again means it was
    stolen (or the client is confused), and the whole sign-in is revoked."""

    session = models.ForeignKey(AuthToken, on_delete=models.CASCADE, related_name="refresh_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("refresh token")
        verbose_name_plural = _("refresh tokens")

    def __str__(self) -> str:
        return f"refresh {self.key_hash[:8]} of session {self.session_id}"
