from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .tokens import ALGORITHMS


class IssuerKey(models.Model):
    """One signing key of this city. Lifecycle: active (signs) -> retiring (published, no longer signs,
    its tokens still verify) -> retired (unpublished; the encrypted private key is wiped)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        RETIRING = "retiring", _("retiring")
        RETIRED = "retired", _("retired")

    issuer = models.CharField(max_length=32)
    kid = models.CharField(max_length=16, unique=True)
    alg = models.CharField(max_length=8, choices=[(a, a) for a in ALGORITHMS])
    public_jwk = models.JSONField()
    # nonce || AES-256-GCM(PKCS#8 DER); empty once retired. Never plain text.
    private_key_encrypted = models.BinaryField(editable=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    not_before = models.DateTimeField()
    rotate_after = models.DateTimeField(help_text=_("When the key stops signing and starts retiring."))
    not_after = models.DateTimeField(help_text=_("End of validity: no token signed by it expires later."))
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("issuer key")
        verbose_name_plural = _("issuer keys")
        constraints = [
            models.UniqueConstraint(fields=["issuer"], condition=Q(status="active"), name="codes_one_active_key",
                violation_error_code="issuer_key_already_active",
                violation_error_message=_("This issuer already has an active signing key.")),
            models.CheckConstraint(condition=Q(not_before__lt=models.F("not_after")), name="codes_key_validity",
                violation_error_code="key_validity_reversed",
                violation_error_message=_("The key's validity must end after it starts.")),
        ]

    def __str__(self) -> str:
        return f"{self.issuer}/{self.kid} ({self.status})"

    def clean(self) -> None:
        if self.rotate_after and self.not_after and self.rotate_after > self.not_after:
            raise ValidationError({"rotate_after": ValidationError(_("Must not be after the end of validity."),
                                                                   code="invalid")})


class PeerKey(models.Model):
    """A public key of a peer city, imported from its signed trust list (mutual recognition)."""

    issuer = models.CharField(max_length=32)
    kid = models.CharField(max_length=64)
    alg = models.CharField(max_length=8, choices=[(a, a) for a in ALGORITHMS])
    public_jwk = models.JSONField()
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    source = models.CharField(max_length=500, blank=True)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("peer city key")
        verbose_name_plural = _("peer city keys")
        constraints = [models.UniqueConstraint(fields=["issuer", "kid"], name="codes_peer_key_unique",
            violation_error_code="peer_key_exists",
            violation_error_message=_("This key of the peer city is already in the trust list."))]

    def __str__(self) -> str:
        return f"{self.issuer}/{self.kid}"


class StatusList(models.Model):
    """The revocation bitstring of one code type (its list id is the code type key); it also hands out
    the next free index."""

    code_type = models.CharField(max_length=32, unique=True)
    issuer = models.CharField(max_length=32)
    next_index = models.PositiveIntegerField(default=0)
    bits = models.BinaryField(default=b"", editable=False)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("status list")
        verbose_name_plural = _("status lists")

    def __str__(self) -> str:
        return f"status list {self.code_type} v{self.version}"


class StatusEntry(models.Model):
    """One status-list index, handed out to one issued token of a code type that keeps a status list.

    A fresh index per token (not per citizen), so an index seen on one document says nothing about another.
    Rotating codes have no entries: they are revoked by no longer being issued."""

    code_type = models.CharField(max_length=32)
    index = models.PositiveIntegerField()
    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="code_status_entries")
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("status-list entry")
        verbose_name_plural = _("status-list entries")
        constraints = [models.UniqueConstraint(
            fields=["code_type", "index"], name="codes_status_entry_unique", violation_error_code="status_index_taken",
            violation_error_message=_("This position in the status list is already in use for this code type."))]
        indexes = [models.Index(fields=["code_type", "citizen"], name="codes_status_entry_citizen")]

    def __str__(self) -> str:
        return f"{self.code_type}#{self.index}"


class TokenUse(models.Model):
    """A token accepted once for a single-use purpose. The unique (issuer, cti, purpose) settles two scans of
    one token racing for the same purpose: exactly one insert wins. Pruned after the token expires."""

    issuer = models.CharField(max_length=32)
    cti = models.CharField(max_length=16)  # hex of the token's 8-byte id
    purpose = models.CharField(max_length=64)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("single-use token use")
        verbose_name_plural = _("single-use token uses")
        constraints = [models.UniqueConstraint(
            fields=["issuer", "cti", "purpose"], name="codes_token_use_once", violation_error_code="already_used",
            violation_error_message=_("This code has already been used for this purpose."))]

    def __str__(self) -> str:
        return f"{self.issuer}:{self.cti} for {self.purpose}"
