"""A citizen's ride account, the rider certificates issued to it, the operators' deny lists, and the log of
every change of an account's state."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RideAccount(models.Model):
    """One per citizen: prepaid (a balance) or post-pay (charged after the ride, up to a credit limit)."""

    class Mode(models.TextChoices):
        PREPAID = "prepaid", _("Prepaid")
        POSTPAY = "postpay", _("Post-pay")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ARREARS = "arrears", _("In arrears")
        CLOSED = "closed", _("Closed")

    class Concession(models.TextChoices):
        NONE = "none", _("None")
        STUDENT = "student", _("Student")
        SENIOR = "senior", _("Senior")
        DISABLED = "disabled", _("Disabled")

    citizen = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ride_account")
    mode = models.CharField(_("payment mode"), max_length=8, choices=Mode.choices)
    balance_fen = models.BigIntegerField(_("balance (fen)"), default=0)
    credit_limit_fen = models.BigIntegerField(_("credit limit (fen)"), default=0)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE)
    concession = models.CharField(_("concession"), max_length=8, choices=Concession.choices, default=Concession.NONE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("ride account")
        verbose_name_plural = _("ride accounts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(credit_limit_fen__gte=0), name="transit_account_credit_limit_not_negative",
                violation_error_code="negative_credit_limit",
                violation_error_message=_("The credit limit cannot be negative."),
            ),
            models.CheckConstraint(
                condition=models.Q(mode__in=["prepaid", "postpay"]), name="transit_account_mode_known",
                violation_error_code="unknown_account_mode",
                violation_error_message=_("A ride account is either prepaid or post-pay."),
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["active", "arrears", "closed"]), name="transit_account_status_known",
                violation_error_code="unknown_account_status",
                violation_error_message=_("A ride account is active, in arrears or closed."),
            ),
            models.CheckConstraint(
                condition=models.Q(concession__in=["none", "student", "senior", "disabled"]),
                name="transit_account_concession_known",
                violation_error_code="unknown_concession",
                violation_error_message=_("The concession must be none, student, senior or disabled."),
            ),
        ]

    def __str__(self) -> str:
        return f"ride account {self.pk} ({self.mode}, {self.status})"


class RiderCertificate(models.Model):
    """The first layer of the ride code: the city certifies, for hours, a device's public key for one operator,
    under a pseudonym drawn fresh for this certificate (so two certificates of one rider share nothing), with
    a single-fare limit and the concession type. ``device_key`` is the device's P-256 public key as a JWK, or
    null when the device cannot hold a key and gets short server-signed codes instead."""

    account = models.ForeignKey(RideAccount, on_delete=models.PROTECT, related_name="certificates")
    operator = models.ForeignKey("identity.Organization", on_delete=models.PROTECT, related_name="+")
    serial = models.CharField(max_length=32, unique=True)
    pseudonym = models.CharField(max_length=32, unique=True)
    device_key = models.JSONField(null=True, blank=True)
    fare_limit_fen = models.PositiveIntegerField(_("single-fare limit (fen)"))
    concession = models.CharField(_("concession"), max_length=8, choices=RideAccount.Concession.choices)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("rider certificate")
        verbose_name_plural = _("rider certificates")
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["account", "expires_at"], name="transit_cert_account_expiry")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("issued_at")), name="transit_cert_expires_after_issue",
                violation_error_code="certificate_expiry_before_issue",
                violation_error_message=_("A certificate must expire after it is issued."),
            ),
        ]

    def __str__(self) -> str:
        return f"rider certificate {self.serial}"


class DenyList(models.Model):
    """An operator's deny list head: ``version`` is the number of the newest delta. Its row is locked while a
    delta is added, so versions are gap-free and appear in commit order (a reader that synced up to version n
    never misses a delta numbered n or below that commits later)."""

    operator = models.OneToOneField("identity.Organization", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("deny list")
        verbose_name_plural = _("deny lists")

    def __str__(self) -> str:
        return f"deny list of {self.operator_id} at v{self.version}"


class DenyListDelta(models.Model):
    """One change to an operator's deny list: a certificate pseudonym added (its account fell into arrears) or
    removed (the debt was paid). ``expires_at`` is the certificate's expiry: after it the reader refuses the
    certificate anyway and may forget the entry."""

    class Action(models.TextChoices):
        ADD = "add", _("Add")
        REMOVE = "remove", _("Remove")

    operator = models.ForeignKey("identity.Organization", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveBigIntegerField()
    pseudonym = models.CharField(max_length=32)
    action = models.CharField(max_length=8, choices=Action.choices)
    reason = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("deny-list change")
        verbose_name_plural = _("deny-list changes")
        ordering = ["operator_id", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["operator", "version"], name="transit_deny_version_unique_per_operator",
                violation_error_code="deny_version_taken",
                violation_error_message=_("This deny-list version already exists for this operator."),
            ),
            models.CheckConstraint(
                condition=models.Q(action__in=["add", "remove"]), name="transit_deny_action_known",
                violation_error_code="unknown_deny_action",
                violation_error_message=_("A deny-list change either adds or removes a pseudonym."),
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version} {self.action} {self.pseudonym[:6]}…"


class AccountEvent(models.Model):
    """Every change of a ride account's state, with why (append-only: rows are never edited)."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        ARREARS_ENTERED = "arrears_entered", _("Fell into arrears")
        ARREARS_LEFT = "arrears_left", _("Left arrears")
        CLOSED = "closed", _("Closed")

    account = models.ForeignKey(RideAccount, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    from_status = models.CharField(max_length=8, blank=True)
    to_status = models.CharField(max_length=8)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ride account event")
        verbose_name_plural = _("ride account events")
        ordering = ["account_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} of account {self.account_id}"
