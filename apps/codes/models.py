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


class DefinedCodeType(models.Model):
    """A code type a city department defined through the API, with no code and no restart (issue 12).

    Its versions hold the definition; the registry serves the newest published one next to the built-in types.
    """

    key = models.CharField(max_length=32, unique=True)
    department = models.ForeignKey("identity.Organization", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("department-defined code type")
        verbose_name_plural = _("department-defined code types")

    def __str__(self) -> str:
        return self.key


class DefinedCodeTypeVersion(models.Model):
    """One version of a defined code type. Published versions are never edited: a change is a new version, and
    codes issued under an older one keep verifying and presenting by their own version."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Awaiting the data bureau")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Rejected")

    code_type = models.ForeignKey(DefinedCodeType, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.PROPOSED)
    label_zh = models.CharField(max_length=100)
    label_en = models.CharField(max_length=100)
    claims_schema = models.JSONField(help_text=_("JSON Schema (draft 2020-12) that every issued code's claims meet."))
    # {claim: [label_zh, label_en]}: how a verifier's screen names each claim.
    field_labels = models.JSONField(default=dict)
    lifetime_seconds = models.PositiveIntegerField()
    issuers = models.JSONField(default=list, help_text=_("Slugs of the organizations that may issue these codes."))
    purposes = models.JSONField(default=list)
    # Four eyes: the department's person proposes, a data-bureau administrator (never the same person) publishes.
    proposed_by_person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_by_label = models.CharField(max_length=200)
    decided_by_person = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="+")
    decided_by_label = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code_type", "version"]
        verbose_name = _("version of a defined code type")
        verbose_name_plural = _("versions of defined code types")
        constraints = [
            models.UniqueConstraint(fields=["code_type", "version"], name="codes_defined_version_unique",
                violation_error_code="version_taken",
                violation_error_message=_("This version of the code type already exists.")),
            models.CheckConstraint(condition=Q(lifetime_seconds__gte=30, lifetime_seconds__lte=86400),
                name="codes_defined_lifetime_bounds", violation_error_code="lifetime_out_of_bounds",
                violation_error_message=_("A code lives between 30 seconds and 24 hours.")),
            models.CheckConstraint(
                condition=Q(decided_by_person__isnull=True) | ~Q(decided_by_person=models.F("proposed_by_person")),
                name="codes_defined_not_decided_by_proposer", violation_error_code="defined_type_own_proposal",
                violation_error_message=_("The data bureau decides a code type, never the person who proposed it.")),
            models.CheckConstraint(
                condition=Q(state="proposed", decided_at__isnull=True)
                | (~Q(state="proposed") & Q(decided_at__isnull=False, decided_by_person__isnull=False)),
                name="codes_defined_decision_consistent", violation_error_code="defined_type_decision_inconsistent",
                violation_error_message=_("A version is decided exactly when it is published or rejected.")),
        ]

    def __str__(self) -> str:
        return f"{self.code_type.key} v{self.version} ({self.state})"


class DefinedCode(models.Model):
    """A code of a defined type issued to a person, matched by the keyed hash of their ID number (so an issuer
    learns nothing about who has registered here: the code waits for its holder)."""

    version = models.ForeignKey(DefinedCodeTypeVersion, on_delete=models.PROTECT, related_name="codes")
    subject_hash = models.CharField(max_length=64)
    claims = models.JSONField()
    issued_by = models.ForeignKey("identity.Organization", on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=64, help_text=_("The issuer's own id: re-sending it changes nothing."))
    valid_until = models.DateField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("issued code of a defined type")
        verbose_name_plural = _("issued codes of defined types")
        indexes = [models.Index(fields=["subject_hash"], name="codes_defined_subject")]
        constraints = [
            models.UniqueConstraint(fields=["issued_by", "reference"], name="codes_defined_reference_unique",
                violation_error_code="reference_taken",
                violation_error_message=_("This issuer already issued a code with this reference.")),
        ]

    def __str__(self) -> str:
        return f"{self.version} #{self.pk}"
