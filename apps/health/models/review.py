"""Review: manual colour changes under the two-person rule, alerts, appeals, and the day's purpose key.

A colour changes only by rule evaluation or through one of these records: a manual change needs a reason from a
closed list of epidemiological categories, a legal reference, a requesting officer and a second, different
officer who approves it (a database check too); an appeal needs an answer within 48 hours or it escalates.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .colours import COLOURS, Colour


class EpidemicReason(models.TextChoices):
    """The only reasons a manual change may give: epidemiological categories (Hubei 2022 and the national
    precise-coding line). Nothing about money, petitions, courts or conduct exists here, so no officer can
    name it (the Zhengzhou depositors of June 2022 met none of these)."""

    CONFIRMED_CASE = "confirmed_case", _("Confirmed case")
    ASYMPTOMATIC = "asymptomatic", _("Asymptomatic infection")
    SUSPECTED_CASE = "suspected_case", _("Suspected case")
    CLOSE_CONTACT = "close_contact", _("Close contact")
    SECONDARY_CONTACT = "secondary_contact", _("Secondary contact")
    HIGH_RISK_AREA = "high_risk_area", _("Stay in a high-risk area within 14 days")
    MEDIUM_RISK_AREA = "medium_risk_area", _("Stay in a medium-risk area within 14 days")
    FEVER = "fever", _("Fever or symptoms reported at a clinic")
    POSITIVE_TEST = "positive_test", _("Positive test result")
    ISOLATION_COMPLETED = "isolation_completed", _("Isolation or observation completed")
    RECORD_CORRECTED = "record_corrected", _("Epidemiological record corrected")


EPIDEMIC_REASONS = [r.value for r in EpidemicReason]


class ManualChange(models.Model):
    """A manual change of one citizen's colour: requested by one health-commission officer, applied only when a
    second officer approves it (never the requester). Decided once; the applied change is a ColourTransition
    (cause ``manual``) the citizen sees with its reason and legal reference."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for a second officer")
        APPLIED = "applied", _("Approved and applied")
        REJECTED = "rejected", _("Rejected")

    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    to_colour = models.CharField(_("new colour"), max_length=8, choices=Colour.choices)
    reason_code = models.CharField(_("reason"), max_length=32, choices=EpidemicReason.choices)
    legal_reference = models.CharField(_("legal reference"), max_length=200)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # What ties the change to others: the batch it was requested in, and the venue whose scans it rests on, if
    # any. Alerts count both (a venue's scans red-coding hundreds of people is the Zhengzhou pattern).
    batch = models.CharField(_("batch"), max_length=64, db_index=True)
    venue = models.CharField(_("venue"), max_length=64, blank=True, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)
    transition = models.ForeignKey(
        "health.ColourTransition", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("manual colour change")
        verbose_name_plural = _("manual colour changes")
        indexes = [models.Index(fields=["state", "requested_at"], name="health_manual_state")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reason_code__in=EPIDEMIC_REASONS), name="health_manual_reason_epidemic",
                violation_error_code="reason_not_epidemic",
                violation_error_message=_("A manual change must name an epidemiological reason from the list."),
            ),
            models.CheckConstraint(
                condition=models.Q(to_colour__in=COLOURS), name="health_manual_colour_known",
                violation_error_code="unknown_colour",
                violation_error_message=_("The colour must be green, yellow or red."),
            ),
            models.CheckConstraint(
                condition=~models.Q(legal_reference=""), name="health_manual_legal_reference",
                violation_error_code="legal_reference_required",
                violation_error_message=_("A manual change must cite its legal reference."),
            ),
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True) | ~models.Q(decided_by=models.F("requested_by")),
                name="health_manual_second_officer",
                violation_error_code="own_request",
                violation_error_message=_("A manual change must be decided by a second officer, not its requester."),
            ),
            models.CheckConstraint(
                condition=(models.Q(state="pending", decided_by__isnull=True, decided_at__isnull=True)
                           | models.Q(state__in=["applied", "rejected"], decided_by__isnull=False,
                                      decided_at__isnull=False)),
                name="health_manual_decision_complete",
                violation_error_code="decision_incomplete",
                violation_error_message=_("A decided change names who decided it and when; a pending one neither."),
            ),
            models.CheckConstraint(
                condition=~models.Q(state="applied") | models.Q(transition__isnull=False),
                name="health_manual_applied_transition",
                violation_error_code="applied_without_transition",
                violation_error_message=_("An applied change must point at the colour transition it made."),
            ),
            models.UniqueConstraint(
                fields=["batch", "citizen"], name="health_manual_once_per_batch",
                violation_error_code="already_requested",
                violation_error_message=_("This citizen is already in this batch."),
            ),
            models.UniqueConstraint(
                fields=["citizen"], condition=models.Q(state="pending"), name="health_manual_one_pending",
                violation_error_code="change_pending",
                violation_error_message=_("This citizen already has a manual change waiting for review."),
            ),
        ]

    def __str__(self) -> str:
        return f"manual {self.to_colour} for {self.citizen_id} ({self.state})"


class Alert(models.Model):
    """A pattern the health commission and the data bureau must look at: a large manual batch, many reds tied to
    one venue or one case list, an overdue appeal. One alert per (kind, subject); its count follows the data."""

    class Kind(models.TextChoices):
        MANUAL_BATCH = "manual_batch", _("Large manual batch")
        VENUE_REDS = "venue_reds", _("Many reds tied to one venue")
        LIST_REDS = "list_reds", _("Many reds from one case list")
        APPEAL_OVERDUE = "appeal_overdue", _("Appeal unanswered after 48 hours")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=64)
    count = models.PositiveIntegerField(_("count"))
    threshold = models.PositiveIntegerField(_("threshold"))
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject"], name="health_alert_once",
                violation_error_code="alert_exists",
                violation_error_message=_("This alert has already been raised."),
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["manual_batch", "venue_reds", "list_reds", "appeal_overdue"]),
                name="health_alert_kind_known",
                violation_error_code="unknown_alert_kind",
                violation_error_message=_("Unknown kind of alert."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.subject} ({self.count})"


class Appeal(models.Model):
    """A citizen's dispute of their colour, with evidence. The commission answers within 48 hours (``due_at``);
    an unanswered appeal escalates. An accepted appeal recolours (cause ``appeal``) and records why."""

    class State(models.TextChoices):
        OPEN = "open", _("Waiting for an answer")
        ESCALATED = "escalated", _("Escalated: not answered in time")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    class Grounds(models.TextChoices):
        NEGATIVE_TEST = "negative_test", _("I have a negative test result")
        NOT_THERE = "not_there", _("I was not at the place or time named")
        ISOLATION_DONE = "isolation_done", _("My isolation or observation has ended")
        WRONG_PERSON = "wrong_person", _("The record is about someone else")
        OTHER = "other", _("Other epidemiological evidence")

    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    colour = models.CharField(_("disputed colour"), max_length=8, choices=Colour.choices)
    grounds = models.CharField(_("grounds"), max_length=16, choices=Grounds.choices)
    statement = models.TextField(_("statement"), max_length=2000)
    evidence_reference = models.CharField(_("evidence reference"), max_length=100, blank=True)
    filed_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(_("answer due"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    escalated_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(_("answer"), max_length=2000, blank=True)
    to_colour = models.CharField(_("new colour"), max_length=8, choices=Colour.choices, blank=True)
    transition = models.ForeignKey(
        "health.ColourTransition", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        indexes = [models.Index(fields=["state", "due_at"], name="health_appeal_due")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(due_at__gt=models.F("filed_at")), name="health_appeal_due_after_filing",
                violation_error_code="due_before_filing",
                violation_error_message=_("An appeal's answer is due after it was filed."),
            ),
            models.CheckConstraint(
                condition=models.Q(answered_by__isnull=True) | ~models.Q(answered_by=models.F("citizen")),
                name="health_appeal_not_own",
                violation_error_code="own_appeal",
                violation_error_message=_("No one answers their own appeal."),
            ),
            models.CheckConstraint(
                condition=(models.Q(state__in=["open", "escalated"], answered_by__isnull=True)
                           | (models.Q(state__in=["accepted", "rejected"], answered_by__isnull=False,
                                       answered_at__isnull=False) & ~models.Q(answer=""))),
                name="health_appeal_answer_complete",
                violation_error_code="answer_incomplete",
                violation_error_message=_("An answered appeal names who answered, when, and why."),
            ),
            models.CheckConstraint(
                condition=~models.Q(state="accepted") | ~models.Q(to_colour=""),
                name="health_appeal_accepted_colour",
                violation_error_code="accepted_without_colour",
                violation_error_message=_("An accepted appeal states the colour it changes to."),
            ),
            models.CheckConstraint(
                condition=models.Q(state="escalated", escalated_at__isnull=False) | ~models.Q(state="escalated"),
                name="health_appeal_escalation_time",
                violation_error_code="escalation_incomplete",
                violation_error_message=_("An escalated appeal records when it escalated."),
            ),
            models.UniqueConstraint(
                fields=["citizen"], condition=models.Q(state__in=["open", "escalated"]),
                name="health_appeal_one_open",
                violation_error_code="appeal_open",
                violation_error_message=_("You already have an appeal waiting for an answer."),
            ),
        ]

    def __str__(self) -> str:
        return f"appeal {self.pk} of {self.citizen_id} ({self.state})"


class PurposeKey(models.Model):
    """One local day's key for sealing the colour in health-code tokens (AES-128-GCM), handed only to verifiers
    with an active epidemic-control grant. Stored encrypted (AES-256-GCM under a key derived from the platform's
    key-encryption key, the kid as associated data); wiped once no token sealed with it can still be presented,
    so an old photographed code's colour can never be read again."""

    day = models.DateField(_("day"), unique=True)
    kid = models.CharField(max_length=16, unique=True)
    key_encrypted = models.BinaryField()
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    wiped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("purpose key")
        verbose_name_plural = _("purpose keys")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__gt=models.F("valid_from")), name="health_purpose_key_period",
                violation_error_code="key_period",
                violation_error_message=_("A key's validity must end after it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"purpose key {self.kid} ({self.day})"
