"""Licence types (defined by a licence office), licences issued to citizens, the credential copies handed to
their wallets, and verifiers' requests."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class LicenceType(models.Model):
    """A kind of licence a licence office issues (a C1 driving licence, a food-business licence …).

    ``fields`` is the list of the type's own data elements, each ``{"key", "label_zh", "label_en", "kind"}``
    (kind: string, date, integer, boolean). ``purpose_fields`` maps a purpose code to the elements (own fields
    and the standard ones in ``elements.STANDARD``) a verifier with that purpose may ask for.
    """

    office = models.ForeignKey("identity.Organization", on_delete=models.PROTECT, related_name="licence_types")
    type_code = models.CharField(_("type code"), max_length=16, unique=True,
                                 help_text=_("GB/T 36904 licence type code, e.g. JSZC1."))
    authority_code = models.CharField(_("issuing authority code"), max_length=18,
                                      help_text=_("The issuing authority's unified social credit code."))
    label_zh = models.CharField(_("name (Chinese)"), max_length=100)
    label_en = models.CharField(_("name (English)"), max_length=100)
    category = models.CharField(_("data category"), max_length=64)
    fields = models.JSONField(_("fields"), default=list)
    purpose_fields = models.JSONField(_("fields each purpose may see"), default=dict)
    validity_days = models.PositiveIntegerField(_("validity (days)"))
    renewal_window_days = models.PositiveIntegerField(_("renewal window (days before expiry)"), default=90)
    next_serial = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("licence type")
        verbose_name_plural = _("licence types")
        ordering = ["type_code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(validity_days__gt=0), name="licences_type_validity_positive",
                violation_error_code="validity_not_positive",
                violation_error_message=_("A licence must be valid for at least one day.")),
            models.CheckConstraint(
                condition=Q(type_code__regex=r"^[A-Z0-9]{2,16}$"), name="licences_type_code_shape",
                violation_error_code="bad_type_code",
                violation_error_message=_("The type code is 2 to 16 capital letters or digits.")),
        ]

    def __str__(self) -> str:
        return self.type_code


class Licence(models.Model):
    """One licence of one citizen. Its identifier follows GB/T 36904: type code, issuing authority, serial."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("valid")
        SUSPENDED = "suspended", _("suspended")
        REVOKED = "revoked", _("revoked")

    licence_type = models.ForeignKey(LicenceType, on_delete=models.PROTECT, related_name="licences")
    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="licences")
    serial = models.PositiveIntegerField()
    identifier = models.CharField(_("licence number"), max_length=64, unique=True)
    values = models.JSONField(_("field values"), default=dict)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["licence_type", "serial"], name="licences_serial_unique",
                violation_error_code="serial_taken",
                violation_error_message=_("This serial number is already used for this licence type.")),
            models.UniqueConstraint(
                fields=["licence_type", "citizen"], condition=~Q(status="revoked"),
                name="licences_one_per_citizen_and_type", violation_error_code="licence_exists",
                violation_error_message=_("This citizen already holds this licence; renew or revoke it.")),
            models.CheckConstraint(
                condition=Q(valid_from__lt=F("valid_until")), name="licences_validity_order",
                violation_error_code="validity_reversed",
                violation_error_message=_("A licence's validity must end after it starts.")),
            models.CheckConstraint(
                condition=Q(status__in=["active", "suspended", "revoked"]), name="licences_status_known",
                violation_error_code="licence_status_unknown",
                violation_error_message=_("The status must be valid, suspended or revoked.")),
        ]

    def __str__(self) -> str:
        return self.identifier


class LicenceEvent(models.Model):
    """What the office did to a licence, by whom and why: the audit trail (append-only)."""

    class Action(models.TextChoices):
        ISSUED = "issued", _("issued")
        RENEWED = "renewed", _("renewed")
        SUSPENDED = "suspended", _("suspended")
        REINSTATED = "reinstated", _("reinstated")
        REVOKED = "revoked", _("revoked")

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=16, choices=Action.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                           related_name="+")
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("licence event")
        verbose_name_plural = _("licence events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.licence_id} {self.action}"


class LicenceCredential(models.Model):
    """One signed copy of a licence handed to the holder's wallet: only its status-list index and expiry are
    kept (to revoke it), never its salts or keys."""

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="credentials")
    status_index = models.PositiveIntegerField()
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("licence credential copy")
        verbose_name_plural = _("licence credential copies")
        constraints = [models.UniqueConstraint(
            fields=["status_index"], name="licences_credential_index_unique", violation_error_code="index_taken",
            violation_error_message=_("This status-list position already belongs to another copy."))]

    def __str__(self) -> str:
        return f"{self.licence_id}#{self.status_index}"


class PresentationRequest(models.Model):
    """A verifier's request: which licence type, for which purpose, with a fresh nonce; answered at most once."""

    verifier = models.ForeignKey("identity.Organization", on_delete=models.CASCADE,
                                 related_name="licence_requests")
    licence_type = models.ForeignKey(LicenceType, on_delete=models.CASCADE, related_name="requests")
    purpose = models.CharField(max_length=64)
    nonce = models.CharField(max_length=32, unique=True)
    elements = models.JSONField(default=list)
    expires_at = models.DateTimeField()
    # Set when a citizen answers: a request is answered once (its nonce binds one presentation). The presentation
    # itself is not kept: the citizen hands it to the verifier (QR or API), the server keeps no copy of the data.
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("presentation request")
        verbose_name_plural = _("presentation requests")
        constraints = [models.CheckConstraint(
            condition=Q(expires_at__gt=F("created_at")), name="licences_request_expiry_after_creation",
            violation_error_code="request_expiry_reversed",
            violation_error_message=_("A request must expire after it is made."))]

    def __str__(self) -> str:
        return f"request {self.pk} by {self.verifier_id} for {self.purpose}"
