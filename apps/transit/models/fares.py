"""Fares as data, modelled on GTFS Fares v2: a fare network per operator (its default fare for an unmatched tap
and the time it waits for a tap-out), rider categories (concessions), fare products, timeframes, leg rules,
transfer rules and caps. apps/transit/fares.py says how they combine; settlement applies them in SQL.

Rules that priced a trip are protected from deletion: a trip's explanation names them."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .network import Line

MODES = ["bus", "metro"]
DAY_SECONDS = 24 * 3600


class FareNetwork(models.Model):
    operator = models.OneToOneField("identity.Organization", on_delete=models.PROTECT, related_name="fare_network")
    default_fare_fen = models.PositiveIntegerField(_("default fare for an unmatched tap (fen)"))
    unmatched_timeout_s = models.PositiveIntegerField(_("wait for a tap-out (seconds)"), default=3 * 3600)
    # Bumped by every change of the operator's fare data, so a reader package names the table it carries.
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("fare network")
        verbose_name_plural = _("fare networks")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unmatched_timeout_s__gte=60) & models.Q(unmatched_timeout_s__lte=DAY_SECONDS),
                name="transit_fare_timeout_range", violation_error_code="fare_timeout_range",
                violation_error_message=_("The wait for a tap-out must be between one minute and one day."),
            ),
        ]

    def __str__(self) -> str:
        return f"fares of {self.operator_id} v{self.version}"


class RiderCategory(models.Model):
    """A concession: riders of this category pay ``fare_percent`` of the product's amount."""

    network = models.ForeignKey(FareNetwork, on_delete=models.CASCADE, related_name="rider_categories")
    code = models.CharField(_("code"), max_length=8)  # the account's concession: student, senior, disabled
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    fare_percent = models.PositiveSmallIntegerField(_("pays (per cent of the fare)"))

    class Meta:
        verbose_name = _("rider category")
        verbose_name_plural = _("rider categories")
        constraints = [
            models.UniqueConstraint(
                fields=["network", "code"], name="transit_rider_category_unique",
                violation_error_code="rider_category_taken",
                violation_error_message=_("This operator already has this rider category."),
            ),
            models.CheckConstraint(
                condition=models.Q(fare_percent__lte=100), name="transit_rider_category_percent",
                violation_error_code="fare_percent_range",
                violation_error_message=_("A concession pays between 0 and 100 percent of the fare."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.fare_percent}%"


class FareProduct(models.Model):
    network = models.ForeignKey(FareNetwork, on_delete=models.CASCADE, related_name="products")
    code = models.CharField(_("code"), max_length=32)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    amount_fen = models.PositiveIntegerField(_("amount (fen)"))

    class Meta:
        verbose_name = _("fare product")
        verbose_name_plural = _("fare products")
        constraints = [
            models.UniqueConstraint(
                fields=["network", "code"], name="transit_fare_product_unique",
                violation_error_code="fare_product_taken",
                violation_error_message=_("This operator already has a fare product with this code."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.amount_fen} fen"


class Timeframe(models.Model):
    """Hours of the local day, [start_s, end_s), in which a leg rule applies (GTFS timeframes)."""

    network = models.ForeignKey(FareNetwork, on_delete=models.CASCADE, related_name="timeframes")
    code = models.CharField(_("code"), max_length=32)
    start_s = models.PositiveIntegerField(_("starts (seconds after midnight)"))
    end_s = models.PositiveIntegerField(_("ends (seconds after midnight)"))

    class Meta:
        verbose_name = _("timeframe")
        verbose_name_plural = _("timeframes")
        constraints = [
            models.UniqueConstraint(
                fields=["network", "code"], name="transit_timeframe_unique",
                violation_error_code="timeframe_taken",
                violation_error_message=_("This operator already has a timeframe with this code."),
            ),
            models.CheckConstraint(
                condition=models.Q(end_s__gt=models.F("start_s")) & models.Q(end_s__lte=DAY_SECONDS),
                name="transit_timeframe_order", violation_error_code="timeframe_order",
                violation_error_message=_("A timeframe ends after it starts, within one day."),
            ),
        ]

    def __str__(self) -> str:
        return self.code


class FareLegRule(models.Model):
    """Prices a leg: mode, optionally one line, a distance band [min, max) and a timeframe. Among the rules that
    match, the highest ``priority`` wins (then the oldest)."""

    network = models.ForeignKey(FareNetwork, on_delete=models.CASCADE, related_name="leg_rules")
    mode = models.CharField(_("mode"), max_length=8, choices=Line.Mode.choices)
    line = models.ForeignKey(Line, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    min_distance_m = models.PositiveIntegerField(_("from distance (m)"), default=0)
    max_distance_m = models.PositiveIntegerField(_("below distance (m)"), null=True, blank=True)
    timeframe = models.ForeignKey(Timeframe, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    product = models.ForeignKey(FareProduct, on_delete=models.PROTECT, related_name="leg_rules")
    priority = models.SmallIntegerField(_("priority"), default=0)

    class Meta:
        verbose_name = _("fare leg rule")
        verbose_name_plural = _("fare leg rules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_distance_m__isnull=True)
                | models.Q(max_distance_m__gt=models.F("min_distance_m")),
                name="transit_leg_rule_band", violation_error_code="distance_band_order",
                violation_error_message=_("A distance band must end after it starts."),
            ),
            models.CheckConstraint(
                condition=models.Q(mode__in=MODES), name="transit_leg_rule_mode",
                violation_error_code="leg_rule_mode_unknown",
                violation_error_message=_("A fare rule is for the bus or the metro."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mode} {self.min_distance_m}–{self.max_distance_m or '∞'} m → {self.product_id}"


class FareTransferRule(models.Model):
    """A discount on a leg that starts at most ``duration_limit_s`` after the previous leg ended, for at most
    ``transfer_count`` chained transfers (GTFS ``duration_limit`` and ``transfer_count``)."""

    network = models.ForeignKey(FareNetwork, on_delete=models.CASCADE, related_name="transfer_rules")
    from_mode = models.CharField(_("from mode"), max_length=8, choices=Line.Mode.choices)
    to_mode = models.CharField(_("to mode"), max_length=8, choices=Line.Mode.choices)
    discount_fen = models.PositiveIntegerField(_("discount (fen)"))
    duration_limit_s = models.PositiveIntegerField(_("within (seconds)"))
    transfer_count = models.PositiveSmallIntegerField(_("transfers chained at most"), default=1)

    class Meta:
        verbose_name = _("fare transfer rule")
        verbose_name_plural = _("fare transfer rules")
        constraints = [
            models.UniqueConstraint(
                fields=["network", "from_mode", "to_mode"], name="transit_transfer_rule_unique",
                violation_error_code="transfer_rule_taken",
                violation_error_message=_("This operator already has a transfer rule between these modes."),
            ),
            models.CheckConstraint(
                condition=models.Q(duration_limit_s__gt=0) & models.Q(transfer_count__gt=0),
                name="transit_transfer_rule_limits", violation_error_code="transfer_limits",
                violation_error_message=_("A transfer needs a time limit and allows at least one transfer."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_mode}→{self.to_mode} −{self.discount_fen} fen"


class FareCap(models.Model):
    """The most a rider pays per service day or week; one for every rider (no category) or per category."""

    class Period(models.TextChoices):
        DAY = "day", _("Day")
        WEEK = "week", _("Week")

    network = models.ForeignKey(FareNetwork, on_delete=models.CASCADE, related_name="caps")
    period = models.CharField(_("period"), max_length=4, choices=Period.choices)
    rider_category = models.ForeignKey(RiderCategory, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="caps")
    amount_fen = models.PositiveIntegerField(_("cap (fen)"))

    class Meta:
        verbose_name = _("fare cap")
        verbose_name_plural = _("fare caps")
        constraints = [
            models.UniqueConstraint(
                fields=["network", "period"], condition=models.Q(rider_category__isnull=True),
                name="transit_cap_unique_general", violation_error_code="cap_taken",
                violation_error_message=_("This operator already has a cap for this period."),
            ),
            models.UniqueConstraint(
                fields=["network", "period", "rider_category"], condition=models.Q(rider_category__isnull=False),
                name="transit_cap_unique_category", violation_error_code="category_cap_taken",
                violation_error_message=_("This rider category already has a cap for this period."),
            ),
            models.CheckConstraint(
                condition=models.Q(period__in=["day", "week"]), name="transit_cap_period",
                violation_error_code="cap_period_unknown",
                violation_error_message=_("A cap is per day or per week."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} cap {self.amount_fen} fen"
