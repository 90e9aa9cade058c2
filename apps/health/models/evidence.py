"""Evidence: only epidemiological facts exist here (case lists, tests, vaccinations, travel through risk areas,
daily self-declarations). Nothing about lifestyle, money, petitions or courts has a table, so no rule can name it."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CaseKind(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed case")
    SUSPECTED = "suspected", _("Suspected case")
    ASYMPTOMATIC = "asymptomatic", _("Asymptomatic infection")
    CLOSE_CONTACT = "close_contact", _("Close contact")
    SECONDARY_CONTACT = "secondary_contact", _("Secondary contact")


CASE_KINDS = [k.value for k in CaseKind]


class Symptom(models.TextChoices):
    COUGH = "cough", _("Cough")
    SORE_THROAT = "sore_throat", _("Sore throat")
    SHORTNESS_OF_BREATH = "short_breath", _("Shortness of breath")
    LOSS_OF_SMELL = "loss_of_smell", _("Loss of smell or taste")
    FATIGUE = "fatigue", _("Fatigue")
    DIARRHOEA = "diarrhoea", _("Diarrhoea")


class CaseListImport(models.Model):
    """One case list uploaded by the health commission. The same file (by SHA-256) from the same commission is
    one import: uploading it again changes nothing. Its ID numbers are never stored: rows are hashed on upload."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Recolouring")
        DONE = "done", _("Done")
        REJECTED = "rejected", _("Rejected (errors in the file)")
        FAILED = "failed", _("Failed")

    organization = models.ForeignKey("identity.Organization", on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    file_sha256 = models.CharField(max_length=64)
    file_format = models.CharField(max_length=4, choices=[("csv", "CSV"), ("json", "JSON")])
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    matched = models.PositiveIntegerField(_("matched"), default=0)
    recoloured = models.PositiveIntegerField(_("recoloured"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("case list import")
        verbose_name_plural = _("case list imports")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "file_sha256"], name="health_import_file_once",
                violation_error_code="health_duplicate_file",
                violation_error_message=_("This file has already been uploaded by this organization."),
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["queued", "running", "done", "rejected", "failed"]),
                name="health_import_state_known",
                violation_error_code="health_unknown_state",
                violation_error_message=_("Unknown import state."),
            ),
        ]

    def __str__(self) -> str:
        return f"case list {self.pk} ({self.state})"


class CaseListRow(models.Model):
    """A validated, hashed row of an import waiting to be matched; deleted once the import is applied (a row
    that matches nobody must not outlive the import: it describes someone who is not a citizen here)."""

    case_list = models.ForeignKey(CaseListImport, on_delete=models.CASCADE, related_name="+")
    line = models.PositiveIntegerField()
    id_hash = models.CharField(max_length=64)
    kind = models.CharField(max_length=20, choices=CaseKind.choices)
    since = models.DateField()

    class Meta:
        verbose_name = _("case list row")
        verbose_name_plural = _("case list rows")
        indexes = [models.Index(fields=["case_list", "id_hash"], name="health_row_list_hash")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=CASE_KINDS), name="health_row_kind_known",
                violation_error_code="health_row_unknown_case_kind",
                violation_error_message=_("Unknown case kind."),
            ),
        ]

    def __str__(self) -> str:
        return f"row {self.line} of {self.case_list_id}"


class CaseRecord(models.Model):
    """A citizen on a case list as of a date, with the list it came from."""

    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="health_cases")
    kind = models.CharField(_("kind"), max_length=20, choices=CaseKind.choices)
    since = models.DateField(_("since"))
    case_list = models.ForeignKey(CaseListImport, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="records")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-since", "-id"]
        verbose_name = _("case record")
        verbose_name_plural = _("case records")
        indexes = [models.Index(fields=["citizen", "-since"], name="health_case_citizen")]
        constraints = [
            models.UniqueConstraint(
                fields=["citizen", "kind", "since"], name="health_case_once",
                violation_error_code="health_duplicate_case",
                violation_error_message=_("This citizen is already on a list as this kind of case since this date."),
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=CASE_KINDS), name="health_case_kind_known",
                violation_error_code="health_unknown_case_kind",
                violation_error_message=_("Unknown case kind."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} since {self.since}"


class TestResult(models.Model):
    class Result(models.TextChoices):
        POSITIVE = "positive", _("Positive")
        NEGATIVE = "negative", _("Negative")

    class Method(models.TextChoices):
        PCR = "pcr", _("Nucleic acid (PCR)")
        ANTIGEN = "antigen", _("Antigen")

    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="health_tests")
    method = models.CharField(_("method"), max_length=8, choices=Method.choices)
    result = models.CharField(_("result"), max_length=8, choices=Result.choices)
    sampled_on = models.DateField(_("sampled on"))
    laboratory = models.CharField(_("laboratory"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sampled_on", "-id"]
        verbose_name = _("test result")
        verbose_name_plural = _("test results")
        indexes = [models.Index(fields=["citizen", "-sampled_on"], name="health_test_citizen")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(result__in=["positive", "negative"]) & models.Q(method__in=["pcr", "antigen"]),
                name="health_test_known",
                violation_error_code="health_unknown_test_result",
                violation_error_message=_("A test is PCR or antigen, positive or negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.result} {self.sampled_on}"


class Vaccination(models.Model):
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="health_vaccinations")
    dose = models.PositiveSmallIntegerField(_("dose"))
    vaccinated_on = models.DateField(_("vaccinated on"))
    product = models.CharField(_("product"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-vaccinated_on", "-id"]
        verbose_name = _("vaccination")
        verbose_name_plural = _("vaccinations")
        constraints = [
            models.UniqueConstraint(
                fields=["citizen", "dose"], name="health_vaccination_dose_once",
                violation_error_code="health_duplicate_dose",
                violation_error_message=_("This dose is already recorded for this citizen."),
            ),
            models.CheckConstraint(
                condition=models.Q(dose__gte=1) & models.Q(dose__lte=10), name="health_vaccination_dose_range",
                violation_error_code="health_dose_out_of_range",
                violation_error_message=_("The dose number must be between 1 and 10."),
            ),
        ]

    def __str__(self) -> str:
        return f"dose {self.dose} {self.vaccinated_on}"


class RiskArea(models.Model):
    """An area the commission declared medium or high risk for a period."""

    class Level(models.TextChoices):
        MEDIUM = "medium", _("Medium risk")
        HIGH = "high", _("High risk")

    code = models.SlugField(_("code"), max_length=64)
    name_zh = models.CharField(_("name (zh-Hans)"), max_length=200)
    name_en = models.CharField(_("name (en)"), max_length=200)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    risk_from = models.DateField(_("risk from"))
    risk_until = models.DateField(_("risk until"), null=True, blank=True)

    class Meta:
        ordering = ["code", "-risk_from"]
        verbose_name = _("risk area")
        verbose_name_plural = _("risk areas")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__in=["medium", "high"]), name="health_area_level_known",
                violation_error_code="health_unknown_risk_level",
                violation_error_message=_("The risk level must be medium or high."),
            ),
            models.CheckConstraint(
                condition=models.Q(risk_until__isnull=True) | models.Q(risk_until__gte=models.F("risk_from")),
                name="health_area_period_ordered",
                violation_error_code="health_area_period_reversed",
                violation_error_message=_("The risk period must not end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.level})"


class TravelRecord(models.Model):
    """A stay in a risk area; it counts as risk travel only where it overlaps the area's risk period."""

    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="health_travel")
    area = models.ForeignKey(RiskArea, on_delete=models.PROTECT, related_name="+")
    arrived_on = models.DateField(_("arrived on"))
    left_on = models.DateField(_("left on"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-left_on", "-id"]
        verbose_name = _("travel record")
        verbose_name_plural = _("travel records")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(left_on__gte=models.F("arrived_on")), name="health_travel_ordered",
                violation_error_code="health_travel_period_reversed",
                violation_error_message=_("A stay cannot end before it starts."),
            ),
            models.UniqueConstraint(
                fields=["citizen", "area", "arrived_on"], name="health_travel_once",
                violation_error_code="health_duplicate_travel",
                violation_error_message=_("This stay is already recorded."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area_id} {self.arrived_on}..{self.left_on}"


class Declaration(models.Model):
    """A citizen's daily self-declaration: fever and symptoms from a closed list. One a day."""

    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="health_declarations")
    date = models.DateField(_("date"))
    fever = models.BooleanField(_("fever"))
    symptoms = models.JSONField(_("symptoms"), default=list, blank=True)
    # fever or any symptom: written once by declaration_submit, so a set-based query need not parse JSON.
    unwell = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-date"]
        verbose_name = _("declaration")
        verbose_name_plural = _("declarations")
        indexes = [models.Index(fields=["citizen", "-date"], name="health_declaration_citizen")]
        constraints = [
            models.UniqueConstraint(
                fields=["citizen", "date"], name="health_declaration_once_a_day",
                violation_error_code="health_already_declared",
                violation_error_message=_("You have already declared for this day."),
            ),
            models.CheckConstraint(
                condition=models.Q(unwell=True) | models.Q(fever=False), name="health_declaration_fever_unwell",
                violation_error_code="health_fever_is_unwell",
                violation_error_message=_("A declaration with fever is an unwell declaration."),
            ),
        ]

    def __str__(self) -> str:
        return f"declaration {self.date}"
