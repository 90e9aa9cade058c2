"""Purposes, data categories, access grants, consents, emergencies and the hash-chained access log.

Purposes and categories are data (loaded by migrations, managed by the data bureau); everything an
organization learns about a citizen passes through `services.disclose()`, which writes `AccessLog`.
"""

import datetime as dt
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.identity.models import MINOR_AGE, ApiClient, Organization

GENESIS_HASH = "0" * 64

# The health colour is epidemic-control data by definition: an invariant of the code, never an editable flag
# (the Zhengzhou red codes of June 2022 were colours bent to another purpose).
EPIDEMIC_ONLY_CATEGORIES = frozenset({"health.colour"})


class LegalBasis(models.TextChoices):
    CONSENT = "consent", _("Consent")
    STATUTORY = "statutory", _("Statutory duty")
    EMERGENCY = "emergency", _("Public emergency")


class DataCategory(models.Model):
    """One kind of personal data (`identity.name`, `health.colour`, ...).

    `sensitive` (health, whereabouts, ...) needs its own explicit consent. `epidemic_only` binds a
    category (the health colour) to epidemic-control purposes: no other purpose may ever list it.
    """

    code = models.CharField(max_length=64, unique=True)
    label_zh = models.CharField(max_length=200)
    label_en = models.CharField(max_length=200)
    sensitive = models.BooleanField(default=False)
    epidemic_only = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("data category")
        verbose_name_plural = _("data categories")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"),
                name="datacategory_code_format",
                violation_error_code="invalid_category_code",
                violation_error_message=_("The code must be lower-case words joined by dots, such as “health.colour”."),
            ),
            # The health colour is health data: an epidemic-only category is always sensitive.
            models.CheckConstraint(
                condition=models.Q(epidemic_only=False) | models.Q(sensitive=True),
                name="datacategory_epidemic_only_is_sensitive",
                violation_error_code="epidemic_only_not_sensitive",
                violation_error_message=_("A category reserved for epidemic control must be marked sensitive."),
            ),
            # Even a write that bypasses the services cannot free the health colour.
            models.CheckConstraint(
                condition=~models.Q(code__in=sorted(EPIDEMIC_ONLY_CATEGORIES)) | models.Q(epidemic_only=True),
                name="datacategory_health_colour_epidemic_only",
                violation_error_code="health_colour_epidemic_only",
                violation_error_message=_(
                    "The health colour is reserved for epidemic "
                    "control; that cannot be changed."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Purpose(models.Model):
    """A machine-readable purpose with the upper bound of the categories it may ever use."""

    code = models.CharField(max_length=64, unique=True)
    label_zh = models.CharField(max_length=200)
    label_en = models.CharField(max_length=200)
    description_zh = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    legal_basis = models.CharField(max_length=16, choices=LegalBasis.choices, default=LegalBasis.CONSENT)
    categories = models.ManyToManyField(DataCategory, related_name="purposes")
    retention_days = models.PositiveIntegerField()
    epidemic_control = models.BooleanField(default=False)
    # A single-use purpose (boarding, hospital check-in) accepts each token once: /scan refuses a second use of the
    # same token id for it. Other purposes may scan the same token again (each scan is still logged).
    single_use = models.BooleanField(default=False)
    # Bumped whenever the texts or the bound change; a consent records the version the citizen saw.
    text_version = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("purpose")
        verbose_name_plural = _("purposes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"),
                name="purpose_code_format",
                violation_error_code="invalid_purpose_code",
                violation_error_message=_("The code must be lower-case words joined by dots, such as “venue.entry”."),
            ),
            models.CheckConstraint(condition=models.Q(retention_days__gte=1), name="purpose_retention_positive",
                violation_error_code="retention_too_short",
                violation_error_message=_("The retention period must be at least one day.")),
        ]

    def __str__(self) -> str:
        return self.code


class AccessGrant(models.Model):
    """The city's authorization of one organization for one purpose, for a period."""

    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        REVOKED = "revoked", _("Revoked")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="access_grants")
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="grants")
    valid_from = models.DateTimeField(default=timezone.now)
    valid_until = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.ACTIVE)
    approved_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by_client = models.ForeignKey(
        ApiClient, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by_label = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by_label = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("access grant")
        verbose_name_plural = _("access grants")
        indexes = [models.Index(fields=["organization", "purpose"], name="grant_org_purpose")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True) | models.Q(valid_until__gt=models.F("valid_from")),
                name="grant_period_ordered",
                violation_error_code="grant_ends_before_start",
                violation_error_message=_("The end of the grant must be later than its start."),
            ),
            models.CheckConstraint(
                condition=models.Q(approved_by_user__isnull=False) | models.Q(approved_by_client__isnull=False),
                name="grant_has_approver",
                violation_error_code="approver_required",
                violation_error_message=_("A grant needs the person or system that approved it."),
            ),
            models.CheckConstraint(
                condition=models.Q(state="active", revoked_at__isnull=True)
                | models.Q(state="revoked", revoked_at__isnull=False),
                name="grant_revoked_state_consistent",
                violation_error_code="revocation_inconsistent",
                violation_error_message=_("A revoked grant needs its revocation time; an active one has none."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} → {self.purpose} ({self.state})"

    def status_at(self, now) -> str:
        """active | revoked | expired | not_yet_valid."""
        if self.state == self.State.REVOKED:
            return "revoked"
        if now < self.valid_from:
            return "not_yet_valid"
        if self.valid_until is not None and now >= self.valid_until:
            return "expired"
        return "active"


class Representation(models.Model):
    """A guardian of a minor (under 14) or a named carer of an elderly citizen, scoped and expiring."""

    class Kind(models.TextChoices):
        GUARDIAN = "guardian", _("Guardian of a minor")
        CARER = "carer", _("Carer of an elderly citizen")

    representative = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="representations_held"
    )
    represented = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="representations_of"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # Purpose codes the representative may act on; empty means every purpose.
    purposes = models.JSONField(default=list, blank=True)
    valid_from = models.DateTimeField(default=timezone.now)
    valid_until = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("representation")
        verbose_name_plural = _("representations")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(representative=models.F("represented")), name="representation_not_self",
                violation_error_code="representation_of_self",
                violation_error_message=_("A person cannot be their own guardian or carer."),
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__gt=models.F("valid_from")), name="representation_period_ordered",
                violation_error_code="representation_ends_before_start",
                violation_error_message=_("The end of the representation must be later than its start."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.representative} for {self.represented} ({self.kind})"

    @classmethod
    def acting_q(cls) -> models.Q:
        """Representations that let the representative act today: a guardianship only while the child is under
        14 (PIPL Art 31), whatever its end date says (from their 14th birthday they consent themselves); carers
        are not affected."""
        today = timezone.localdate()
        try:
            cutoff = today.replace(year=today.year - MINOR_AGE)
        except ValueError:  # 29 February
            cutoff = today.replace(year=today.year - MINOR_AGE, day=28)
        return ~models.Q(kind=cls.Kind.GUARDIAN) | models.Q(represented__birth_date__gt=cutoff)


class Consent(models.Model):
    """A citizen's consent to one purpose (optionally one organization) for named categories."""

    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents")
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="consents")
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="consents"
    )
    categories = models.JSONField()  # sorted list of category codes
    sensitive = models.BooleanField(default=False)  # a separate, explicit consent for one sensitive category
    text_version = models.PositiveIntegerField()
    given_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    given_by_label = models.CharField(max_length=200)
    withdrawn_by_label = models.CharField(max_length=200, blank=True)
    receipt = models.TextField(blank=True)  # compact JWS over the canonical receipt JSON
    # Categories this consent no longer covers because the catalogue changed under it (a category became
    # sensitive and so needs its own consent): they wait for the citizen's renewal. `categories` stays as
    # given, so the signed receipt still matches.
    renewal_categories = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-given_at", "-id"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        indexes = [models.Index(fields=["citizen", "purpose"], name="consent_citizen_purpose")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=models.F("given_at")),
                name="consent_expiry_after_given",
                violation_error_code="consent_expires_before_given",
                violation_error_message=_("The expiry must be later than the time the consent is given."),
            ),
        ]

    def __str__(self) -> str:
        return f"consent {self.pk} of {self.citizen_id} to {self.purpose_id}"

    def status_at(self, now) -> str:
        """active | withdrawn | expired | needs_renewal.

        The gate decides the same in SQL (gate_queries._DECISION plus gate.consent_state);
        tests/consent/test_renewal.py checks that the two agree.
        """
        if self.withdrawn_at is not None:
            return "withdrawn"
        if self.expires_at is not None and now >= self.expires_at:
            return "expired"
        if self.text_version < self.purpose.text_version or not self.covered_categories:
            return "needs_renewal"
        return "active"

    @property
    def status(self) -> str:
        return self.status_at(timezone.now())

    @property
    def covered_categories(self) -> list[str]:
        """The categories this consent still covers (those given, minus those awaiting renewal)."""
        waiting = set(self.renewal_categories or ())
        return [c for c in self.categories if c not in waiting]


class Emergency(models.Model):
    """A declared public emergency: while it lasts its purposes need no consent."""

    name = models.CharField(max_length=200)
    legal_reference = models.CharField(max_length=500)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    purposes = models.ManyToManyField(Purpose, related_name="emergencies")
    declared_by_label = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("emergency")
        verbose_name_plural = _("emergencies")
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="emergency_period",
                violation_error_code="emergency_ends_before_start",
                violation_error_message=_("The end of the emergency must be later than its start.")),
        ]

    def __str__(self) -> str:
        return self.name


class CatalogueProposal(models.Model):
    """A change to the catalogue, or a grant, that one data-bureau administrator proposes and another approves.

    The rows are the bureau's own audit trail: who proposed what, when, and who approved or rejected it.
    `changes` holds the proposed values in structure (the fields of the purpose or category, or the grant's
    organization and period), applied as they stand on approval.
    """

    class Kind(models.TextChoices):
        CATEGORY_CHANGE = "category_change", _("Change of a data category")
        PURPOSE_CHANGE = "purpose_change", _("Change of a purpose")
        GRANT = "grant", _("Access grant")
        EMERGENCY = "emergency", _("Declaration of an emergency")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    kind = models.CharField(max_length=32, choices=Kind.choices)
    target = models.CharField(max_length=64)  # the purpose or category code
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changes = models.JSONField(default=dict)
    legal_reference = models.CharField(max_length=500, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    proposed_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_by_client = models.ForeignKey(
        ApiClient, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_by_label = models.CharField(max_length=200)
    # The person behind the proposer and the decider (the user, or the holder of the key used): the two-person rule
    # is about people, so two keys or a key and a log-in of one administrator count as one.
    proposed_by_person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by_person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by_client = models.ForeignKey(
        ApiClient, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by_label = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    grant = models.OneToOneField(
        AccessGrant, null=True, blank=True, on_delete=models.PROTECT, related_name="proposal"
    )
    emergency = models.OneToOneField(
        "Emergency", null=True, blank=True, on_delete=models.PROTECT, related_name="proposal"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("catalogue proposal")
        verbose_name_plural = _("catalogue proposals")
        indexes = [models.Index(fields=["state", "created_at"], name="proposal_state_time")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(proposed_by_user__isnull=False) | models.Q(proposed_by_client__isnull=False),
                name="proposal_has_proposer",
                violation_error_code="proposer_required",
                violation_error_message=_("A proposal needs the administrator who proposes it."),
            ),
            models.CheckConstraint(
                condition=models.Q(state="pending", decided_at__isnull=True)
                | (~models.Q(state="pending") & models.Q(decided_at__isnull=False)),
                name="proposal_decided_state_consistent",
                violation_error_code="proposal_decision_inconsistent",
                violation_error_message=_("A proposal is decided exactly when it is approved or rejected."),
            ),
            # Never the proposer: the same user or the same API client cannot decide their own proposal.
            models.CheckConstraint(
                condition=models.Q(decided_by_user__isnull=True)
                | ~models.Q(decided_by_user=models.F("proposed_by_user"))
                | models.Q(proposed_by_user__isnull=True),
                name="proposal_not_decided_by_proposer_user",
                violation_error_code="proposal_decided_by_proposer",
                violation_error_message=_(
                    "A second administrator must decide a proposal, "
                    "never the one who proposed it."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(decided_by_client__isnull=True)
                | ~models.Q(decided_by_client=models.F("proposed_by_client"))
                | models.Q(proposed_by_client__isnull=True),
                name="proposal_not_decided_by_proposer_client",
                violation_error_code="proposal_decided_by_proposer_key",
                violation_error_message=_(
                    "A second administrator's key must decide a "
                    "proposal, never the key that proposed it."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(decided_by_person__isnull=True)
                | models.Q(proposed_by_person__isnull=True)
                | ~models.Q(decided_by_person=models.F("proposed_by_person")),
                name="proposal_not_decided_by_proposer_person",
                violation_error_code="proposal_decided_by_proposer_person",
                violation_error_message=_(
                    "A second administrator must decide a proposal, never the person who proposed it, "
                    "whichever key or log-in they use."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"proposal {self.pk} {self.kind} {self.target} ({self.state})"


class ReceiptKey(models.Model):
    """An Ed25519 key that signs consent receipts. The private key is encrypted at rest."""

    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")

    kid = models.CharField(max_length=64, unique=True)
    public_key = models.CharField(max_length=64)  # raw 32 bytes, base64url
    private_key_encrypted = models.TextField()  # Fernet token, key from CITYCODE_KEY_ENCRYPTION_KEY
    state = models.CharField(max_length=16, choices=State.choices, default=State.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("receipt key")
        verbose_name_plural = _("receipt keys")
        constraints = [
            models.UniqueConstraint(fields=["state"], condition=models.Q(state="active"), name="one_active_receipt_key",
                violation_error_code="receipt_key_already_active",
                violation_error_message=_("Another receipt key is already active."))
        ]

    def __str__(self) -> str:
        return self.kid


class ChainHead(models.Model):
    """The tip and the anchor of one citizen's access-log chain.

    `seq`/`last_hash` is the newest row (so truncating the tail is detected). When retention deletes the
    oldest rows, `anchor_seq`/`anchor_hash` record the last deleted row, so the chain still verifies from there.
    """

    citizen = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    anchor_seq = models.PositiveBigIntegerField(default=0)
    anchor_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = _("access-log chain head")
        verbose_name_plural = _("access-log chain heads")

    def __str__(self) -> str:
        return f"chain of {self.citizen_id} at {self.seq}"


class AccessLog(models.Model):
    """One disclosure decision (allowed or denied). Append-only; hash-chained per citizen.

    hash = SHA-256(prev_hash ":" seq ":" content_digest), content_digest = SHA-256(canonical JSON of the row).
    Retention redacts a row (content blanked, digest kept), so the chain still verifies; a prefix of redacted
    rows is later deleted and folded into the ChainHead anchor. The columns a row is written with, which of
    them are hashed and what redaction leaves are declared once, in `LOG_ROW` below.
    """

    class Outcome(models.TextChoices):
        ALLOWED = "allowed", _("Allowed")
        DENIED = "denied", _("Denied")

    class ActorKind(models.TextChoices):
        ORGANIZATION = "organization", _("the organization's own system")
        STAFF = "staff", _("staff member")
        API_CLIENT = "api_client", _("device or system")

    # No separate FK indexes: (citizen, seq) and (purpose, created_at) lead with these columns already, and
    # every index is one more write on each scan's append.
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    seq = models.PositiveBigIntegerField()
    purpose = models.ForeignKey(
        Purpose, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    purpose_code = models.CharField(max_length=64, blank=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organization_slug = models.CharField(max_length=64, blank=True)
    requested = models.JSONField(default=list, blank=True)
    categories = models.JSONField(default=list, blank=True)  # what was disclosed
    basis = models.CharField(max_length=16, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, blank=True)
    reason = models.CharField(max_length=64, blank=True)
    # Who acted: the kind, the id of that organization, staff member or API client, and its name as it was then.
    # Rows of chain format 1 hold only actor_label, as one sentence ("librarian for city-library").
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices, blank=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=200, blank=True)
    # The declared emergency that was the basis (emergency disclosures only). Never deleted while referenced.
    emergency = models.ForeignKey(
        Emergency, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    # Which columns the digest covers (see LOG_ROW). Existing rows are format 1; every new row the newest.
    chain_format = models.PositiveSmallIntegerField(default=1)
    content_digest = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    redacted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["citizen_id", "seq"]
        verbose_name = _("access-log entry")
        verbose_name_plural = _("access log")
        constraints = [models.UniqueConstraint(fields=["citizen", "seq"], name="accesslog_chain_position",
            violation_error_code="chain_position_taken",
            violation_error_message=_("This position in the access-log chain is already taken."))]
        indexes = [
            models.Index(fields=["purpose", "created_at"], name="accesslog_purpose_time"),
        ]

    def __str__(self) -> str:
        return f"log {self.citizen_id}#{self.seq} {self.outcome}"


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()  # a column retention leaves as it is


@dataclass(frozen=True)
class LogColumn:
    """One column a disclosure writes to its access-log row.

    `hashed_as` is its key in the chain's hashed content (None: not hashed; `purpose_id` and `organization_id`
    are covered by their code and slug), `since` the first chain format that hashes it, `redacted` what
    retention leaves in it. `sql_type` is its PostgreSQL type for the one-statement append.
    """

    name: str
    sql_type: str
    hashed_as: str | None = None
    since: int = 1
    redacted: object = KEEP
    is_json: bool = False

    def db_value(self, row: AccessLog):
        value = getattr(row, self.name)
        return json.dumps(value) if self.is_json else value

    def hashed_value(self, row: AccessLog):
        value = getattr(row, self.name)
        if isinstance(value, dt.datetime):
            return value.isoformat(timespec="microseconds")
        return list(value) if self.is_json else value


# The access-log row, declared once: gate_queries derives its INSERT statements, chain.content_of the hashed
# content, and retention the redaction from this tuple. Format 1's hashed content must never change (rows
# written with it verify against it); a new hashed column goes in with `since=` a new format, and
# CHAIN_FORMAT moves to it. seq, prev_hash and hash are the chain's own and filled by the append.
LOG_ROW: tuple[LogColumn, ...] = (
    LogColumn("citizen_id", "bigint", hashed_as="citizen"),
    LogColumn("purpose_id", "bigint"),  # kept on redaction: retention finds a row's period through it
    LogColumn("purpose_code", "text", hashed_as="purpose", redacted=""),
    LogColumn("organization_id", "bigint", redacted=None),
    LogColumn("organization_slug", "text", hashed_as="organization", redacted=""),
    LogColumn("requested", "jsonb", hashed_as="requested", redacted=[], is_json=True),
    LogColumn("categories", "jsonb", hashed_as="categories", redacted=[], is_json=True),
    LogColumn("basis", "text", hashed_as="basis", redacted=""),
    LogColumn("outcome", "text", hashed_as="outcome", redacted=""),
    LogColumn("reason", "text", hashed_as="reason", redacted=""),
    LogColumn("actor_label", "text", hashed_as="actor", redacted=""),
    LogColumn("actor_kind", "text", hashed_as="actor_kind", since=2, redacted=""),
    LogColumn("actor_id", "bigint", hashed_as="actor_id", since=2, redacted=None),
    LogColumn("emergency_id", "bigint", hashed_as="emergency", since=2, redacted=None),
    LogColumn("request_id", "text", hashed_as="request_id", redacted=""),
    LogColumn("created_at", "timestamptz", hashed_as="at"),
    LogColumn("chain_format", "smallint", hashed_as="format", since=2),
    LogColumn("content_digest", "text"),
)
CHAIN_FORMAT = 2  # the format every new row is written in
