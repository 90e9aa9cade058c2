"""An operator's network: its lines, their stops, and the readers (bus validators, metro gates) that scan ride
codes. The operator is an ``identity.Organization`` of kind transit_operator."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Line(models.Model):
    class Mode(models.TextChoices):
        BUS = "bus", _("Bus")
        METRO = "metro", _("Metro")

    operator = models.ForeignKey("identity.Organization", on_delete=models.PROTECT, related_name="transit_lines")
    code = models.CharField(_("line code"), max_length=32)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("line")
        verbose_name_plural = _("lines")
        ordering = ["operator_id", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["operator", "code"], name="transit_line_code_unique_per_operator",
                violation_error_code="line_code_taken",
                violation_error_message=_("This operator already has a line with this code."),
            ),
            models.CheckConstraint(
                condition=models.Q(mode__in=["bus", "metro"]), name="transit_line_mode_known",
                violation_error_code="unknown_mode",
                violation_error_message=_("A line is either a bus line or a metro line."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"


class Stop(models.Model):
    """A bus stop or a metro station. ``km`` is its distance along the network (metro distance fares), and
    ``sequence`` its order on its line."""

    operator = models.ForeignKey("identity.Organization", on_delete=models.PROTECT, related_name="transit_stops")
    code = models.CharField(_("stop code"), max_length=32)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    line = models.ForeignKey(Line, on_delete=models.PROTECT, null=True, blank=True, related_name="stops")
    sequence = models.PositiveIntegerField(_("order on the line"), default=0)
    km = models.DecimalField(_("distance (km)"), max_digits=7, decimal_places=3, default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stop")
        verbose_name_plural = _("stops")
        ordering = ["operator_id", "line_id", "sequence", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["operator", "code"], name="transit_stop_code_unique_per_operator",
                violation_error_code="stop_code_taken",
                violation_error_message=_("This operator already has a stop with this code."),
            ),
            models.CheckConstraint(
                condition=models.Q(km__gte=0), name="transit_stop_km_not_negative",
                violation_error_code="negative_distance",
                violation_error_message=_("A stop's distance cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"


class Reader(models.Model):
    """A device of an operator that scans ride codes offline: a bus validator or a metro gate.

    It authenticates with its own credential (``Authorization: Reader <device_id>:<secret>``); only a SHA-256 of
    the secret is kept (the secret has 256 bits of randomness, so a fast hash is enough). Gates of one station
    share ``seen_group``, so a code used at one gate is refused at the next (replay).
    """

    class Kind(models.TextChoices):
        BUS = "bus", _("Bus validator")
        GATE = "gate", _("Metro gate")

    operator = models.ForeignKey("identity.Organization", on_delete=models.PROTECT, related_name="transit_readers")
    device_id = models.CharField(_("device ID"), max_length=64, unique=True)
    line = models.ForeignKey(Line, on_delete=models.PROTECT, null=True, blank=True, related_name="readers")
    stop = models.ForeignKey(Stop, on_delete=models.PROTECT, null=True, blank=True, related_name="readers")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    seen_group = models.CharField(_("seen-list group"), max_length=64, blank=True)
    credential_digest = models.CharField(max_length=64, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reader")
        verbose_name_plural = _("readers")
        ordering = ["operator_id", "device_id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["bus", "gate"]), name="transit_reader_kind_known",
                violation_error_code="unknown_reader_kind",
                violation_error_message=_("A reader is either a bus validator or a metro gate."),
            ),
        ]

    # DRF treats request.user as the principal: an authenticated reader is one.
    is_authenticated = True
    is_anonymous = False

    def __str__(self) -> str:
        return self.device_id

    @property
    def seen_key(self) -> str:
        """The seen-list this reader shares: its station's group, else its own."""
        return self.seen_group or self.device_id
