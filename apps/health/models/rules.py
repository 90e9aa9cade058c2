"""Rule sets as data: per region, versioned, with validity dates, texts in zh-Hans and en and test cases."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RuleSetVersion(models.Model):
    """One version of a region's rules (CertLogic-style JsonLogic, see apps/health/rules.py).

    ``rules`` is a list of ``{id, colour, logic, reason_code, text_zh, text_en}``; ``test_cases`` a list of
    ``{name, evidence, now, expected}``. A draft is edited freely; publishing runs every test case and refuses a
    start sooner than the notice period. A published version is never edited: a change is a new version.
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    region = models.ForeignKey("health.Region", on_delete=models.PROTECT, related_name="rule_sets")
    version = models.CharField(_("version"), max_length=32)
    # semver parts, so "1.10.0" sorts after "1.9.0" in SQL
    major = models.PositiveIntegerField(default=0, editable=False)
    minor = models.PositiveIntegerField(default=0, editable=False)
    patch = models.PositiveIntegerField(default=0, editable=False)
    title_zh = models.CharField(_("title (zh-Hans)"), max_length=200)
    title_en = models.CharField(_("title (en)"), max_length=200)
    rules = models.JSONField(_("rules"), default=list)
    test_cases = models.JSONField(_("test cases"), default=list, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    valid_from = models.DateTimeField(_("in force from"))
    valid_until = models.DateTimeField(_("in force until"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    # Set when the recolour for this version coming into force has run (the beat task looks for NULL).
    applied_at = models.DateTimeField(null=True, blank=True)
    last_dry_run = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["region", "-major", "-minor", "-patch"]
        verbose_name = _("rule set version")
        verbose_name_plural = _("rule set versions")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "version"], name="health_ruleset_version_once",
                violation_error_code="health_version_exists",
                violation_error_message=_("This region already has a rule set with this version."),
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["draft", "published", "withdrawn"]), name="health_ruleset_state_known",
                violation_error_code="health_ruleset_unknown_state",
                violation_error_message=_("Unknown rule set state."),
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True) | models.Q(valid_until__gt=models.F("valid_from")),
                name="health_ruleset_validity_ordered",
                violation_error_code="health_ruleset_period_reversed",
                violation_error_message=_("A rule set must end after it starts."),
            ),
            models.CheckConstraint(
                condition=models.Q(state="draft") | (models.Q(published_at__isnull=False)
                                                     & models.Q(published_by__isnull=False)),
                name="health_ruleset_published_by_someone",
                violation_error_code="health_publication_unrecorded",
                violation_error_message=_("A published rule set records who published it and when."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} rules {self.version} ({self.state})"
