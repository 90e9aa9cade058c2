"""Colours: the region a citizen's rules come from, the colour in force, and every change of it."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Colour(models.TextChoices):
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")


#: Which colour wins when several rules fire: the most severe.
SEVERITY = {Colour.GREEN: 0, Colour.YELLOW: 1, Colour.RED: 2}
COLOURS = [c.value for c in Colour]


class Region(models.Model):
    """A region whose rule set colours its citizens (Hangzhou-like, Hubei-like).

    A citizen belongs to the region whose ``id_prefix`` starts their resident ID number (the province code
    kept in the masked number: the registered residence), else to the city's default region. Derived, not
    stored per citizen, so a set-based query can assign a million citizens at once.
    """

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name_zh = models.CharField(_("name (zh-Hans)"), max_length=100)
    name_en = models.CharField(_("name (en)"), max_length=100)
    id_prefix = models.CharField(_("ID-number prefix"), max_length=2, blank=True)
    is_default = models.BooleanField(_("default region"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [
            models.UniqueConstraint(
                fields=["id_prefix"], condition=~models.Q(id_prefix=""), name="health_region_prefix_unique",
                violation_error_code="health_region_prefix_taken",
                violation_error_message=_("Another region already claims this ID-number prefix."),
            ),
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="health_region_one_default",
                violation_error_code="health_region_default_taken",
                violation_error_message=_("Only one region can be the default region."),
            ),
        ]

    def __str__(self) -> str:
        return self.code


class CitizenColour(models.Model):
    """The colour in force for one citizen, and what decided it. Changed only through services.colour_set
    (or the set-based recolour), always together with a ColourTransition."""

    citizen = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="health_colour")
    colour = models.CharField(_("colour"), max_length=8, choices=Colour.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    rule_set_version = models.ForeignKey(
        "health.RuleSetVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    rule_id = models.CharField(_("rule"), max_length=64, blank=True)
    reasons = models.JSONField(_("reason codes"), default=list, blank=True)
    next_change_at = models.DateTimeField(_("next change"), null=True, blank=True)
    # The case list whose rows decided this colour (the data bureau's alert counts reds per list).
    case_list = models.ForeignKey(
        "health.CaseListImport", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("citizen colour")
        verbose_name_plural = _("citizen colours")
        indexes = [models.Index(fields=["next_change_at"], name="health_colour_next_change")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(colour__in=COLOURS), name="health_colour_known",
                violation_error_code="health_unknown_colour",
                violation_error_message=_("The colour must be green, yellow or red."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.colour} for {self.citizen_id}"


class ColourTransition(models.Model):
    """One change of a citizen's colour, with why. Immutable: never updated or deleted (a trigger refuses it on
    PostgreSQL and SQLite); the citizen sees every row."""

    class Cause(models.TextChoices):
        RULE = "rule", _("Rule evaluation")
        MANUAL = "manual", _("Manual change (reviewed)")
        APPEAL = "appeal", _("Appeal accepted")
        IMPORT = "import", _("Case list")

    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="health_transitions")
    from_colour = models.CharField(_("from"), max_length=8, choices=Colour.choices, blank=True)
    to_colour = models.CharField(_("to"), max_length=8, choices=Colour.choices)
    cause = models.CharField(_("cause"), max_length=8, choices=Cause.choices)
    rule_set_version = models.ForeignKey(
        "health.RuleSetVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    rule_id = models.CharField(_("rule"), max_length=64, blank=True)
    reasons = models.JSONField(_("reason codes"), default=list, blank=True)
    reason_code = models.CharField(_("reason"), max_length=64, blank=True)
    legal_reference = models.CharField(_("legal reference"), max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    case_list = models.ForeignKey(
        "health.CaseListImport", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("colour transition")
        verbose_name_plural = _("colour transitions")
        indexes = [
            models.Index(fields=["citizen", "-at"], name="health_transition_citizen"),
            models.Index(fields=["case_list", "to_colour"], name="health_transition_list"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(to_colour__in=COLOURS) & models.Q(from_colour__in=["", *COLOURS]),
                name="health_transition_colours_known",
                violation_error_code="health_transition_unknown_colour",
                violation_error_message=_("The colour must be green, yellow or red."),
            ),
            models.CheckConstraint(
                condition=~models.Q(from_colour=models.F("to_colour")), name="health_transition_changes",
                violation_error_code="health_no_colour_change",
                violation_error_message=_("A transition must change the colour."),
            ),
            models.CheckConstraint(
                condition=models.Q(cause__in=["rule", "manual", "appeal", "import"]),
                name="health_transition_cause_known",
                violation_error_code="health_unknown_cause",
                violation_error_message=_("The cause must be rule, manual, appeal or import."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.citizen_id}: {self.from_colour or '-'} -> {self.to_colour} ({self.cause})"


class RecolourScratch(models.Model):
    """Working rows of one recolour run (one per affected citizen), deleted when the run ends. The evidence is
    reduced to facts in SQL, decided once per distinct set of facts, and written back by a join: no per-citizen
    Python loop. ``citizen_id`` is a plain integer: these rows are transient and must not slow the insert."""

    run = models.CharField(max_length=32)
    citizen_id = models.BigIntegerField()
    region_id = models.BigIntegerField(null=True)
    case_kind = models.CharField(max_length=20, blank=True, null=True)
    case_since = models.DateField(null=True)
    case_list_id = models.BigIntegerField(null=True)
    test_result = models.CharField(max_length=8, blank=True, null=True)
    test_on = models.DateField(null=True)
    vaccine_doses = models.IntegerField(default=0)
    vaccine_last = models.DateField(null=True)
    high_risk_left = models.DateField(null=True)
    medium_risk_left = models.DateField(null=True)
    declared_on = models.DateField(null=True)
    declared_fever = models.BooleanField(null=True)
    declared_unwell = models.BooleanField(null=True)
    unwell_on = models.DateField(null=True)
    clean_days = models.IntegerField(default=0)
    fkey = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = _("recolour working row")
        verbose_name_plural = _("recolour working rows")
        indexes = [models.Index(fields=["run", "region_id", "fkey"], name="health_scratch_run_key")]

    def __str__(self) -> str:
        return f"{self.run}:{self.citizen_id}"


class RecolourDecision(models.Model):
    """The decision for one distinct set of facts in one region during a run (see RecolourScratch)."""

    run = models.CharField(max_length=32)
    region_id = models.BigIntegerField()
    fkey = models.TextField()
    colour = models.CharField(max_length=8)
    rule_set_version_id = models.BigIntegerField(null=True)
    rule_id = models.CharField(max_length=64, blank=True)
    reasons = models.JSONField(default=list)
    next_change_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("recolour decision")
        verbose_name_plural = _("recolour decisions")
        indexes = [models.Index(fields=["run", "region_id", "fkey"], name="health_decision_run_key")]

    def __str__(self) -> str:
        return f"{self.run}:{self.fkey} -> {self.colour}"
