"""Coverage, orders, charge items, bills and insurance settlements (issue 10, items 4 and 5).

Money is integer fen everywhere (BigIntegerField), never a float or a Decimal that could be rounded on the way.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

RATIO_FULL = 10_000


class ItemCategory(models.TextChoices):
    """Categories of charge items; the coverage gives each its own reimbursement ratio."""

    REGISTRATION = "registration", _("Registration")
    EXAM = "exam", _("Examination")
    LAB = "lab", _("Laboratory test")
    DRUG = "drug", _("Medicine")
    TREATMENT = "treatment", _("Treatment")
    MATERIAL = "material", _("Medical material")


class Coverage(models.Model):
    """A patient's insurance terms for one year, as the insurer states them (the city's copy)."""

    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="medical_coverages")
    year = models.PositiveIntegerField(_("year"))
    insured = models.BooleanField(_("insured"), default=True)
    scheme = models.CharField(_("scheme"), max_length=64, blank=True)
    deductible_fen = models.BigIntegerField(_("deductible (fen)"), default=0)
    annual_cap_fen = models.BigIntegerField(_("annual fund cap (fen)"), default=0)
    # The personal account's balance: settled payments take from it, reversals and refunds give back, under a
    # row lock (services take it before any other money row).
    account_balance_fen = models.BigIntegerField(_("personal account balance (fen)"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("insurance coverage")
        verbose_name_plural = _("insurance coverages")
        constraints = [
            models.UniqueConstraint(
                fields=["citizen", "year"], name="medical_coverage_one_per_year",
                violation_error_code="coverage_exists",
                violation_error_message=_("This patient already has coverage for that year."),
            ),
            models.CheckConstraint(
                condition=Q(deductible_fen__gte=0, annual_cap_fen__gte=0, account_balance_fen__gte=0),
                name="medical_coverage_amounts_not_negative", violation_error_code="coverage_negative",
                violation_error_message=_("Deductible, annual cap and account balance cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"coverage {self.year} of {self.citizen_id}"


class CoverageRatio(models.Model):
    """The fund's share of one item category, in basis points (7000 = 70%)."""

    coverage = models.ForeignKey(Coverage, on_delete=models.CASCADE, related_name="ratios")
    category = models.CharField(_("category"), max_length=16, choices=ItemCategory.choices)
    ratio_bp = models.PositiveIntegerField(_("ratio (basis points)"))

    class Meta:
        verbose_name = _("reimbursement ratio")
        verbose_name_plural = _("reimbursement ratios")
        constraints = [
            models.UniqueConstraint(
                fields=["coverage", "category"], name="medical_ratio_one_per_category",
                violation_error_code="ratio_exists",
                violation_error_message=_("This coverage already has a ratio for that category."),
            ),
            models.CheckConstraint(
                condition=Q(ratio_bp__lte=RATIO_FULL), name="medical_ratio_at_most_full",
                violation_error_code="ratio_over_full",
                violation_error_message=_("A reimbursement ratio cannot exceed 100%%."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} {self.ratio_bp / 100:.2f}%"


class Order(models.Model):
    """A doctor's order (examinations, medicines) for a patient; each line becomes a charge item."""

    hospital = models.ForeignKey("identity.Organization", on_delete=models.PROTECT, related_name="medical_orders")
    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="medical_orders")
    appointment = models.ForeignKey("medical.Appointment", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="orders")
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="medical_orders_placed")
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"order {self.pk} at {self.hospital_id}"


class Bill(models.Model):
    """What the patient owes for a set of charge items (FHIR Invoice), with its insurance split once pre-settled."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("Awaiting payment")
        PAID = "paid", _("Paid")
        REFUNDED = "refunded", _("Refunded")
        CANCELLED = "cancelled", _("Cancelled")

    hospital = models.ForeignKey("identity.Organization", on_delete=models.PROTECT, related_name="medical_bills")
    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="medical_bills")
    appointment = models.ForeignKey("medical.Appointment", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="bills")
    number = models.CharField(_("number"), max_length=32, unique=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ISSUED)
    total_fen = models.BigIntegerField(_("total (fen)"))
    fund_fen = models.BigIntegerField(_("fund share (fen)"), default=0)
    account_fen = models.BigIntegerField(_("personal account share (fen)"), default=0)
    cash_fen = models.BigIntegerField(_("cash share (fen)"), default=0)
    deductible_fen = models.BigIntegerField(_("deductible applied (fen)"), default=0)
    self_paid_fen = models.BigIntegerField(_("not covered (fen)"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_fen=F("fund_fen") + F("account_fen") + F("cash_fen")),
                name="medical_bill_shares_add_up", violation_error_code="bill_shares_mismatch",
                violation_error_message=_("Fund, personal account and cash shares must add up to the total."),
            ),
            models.CheckConstraint(
                condition=Q(total_fen__gt=0, fund_fen__gte=0, account_fen__gte=0, cash_fen__gte=0),
                name="medical_bill_amounts_positive", violation_error_code="bill_amount_negative",
                violation_error_message=_("A bill's total must be positive and no share negative."),
            ),
        ]

    def __str__(self) -> str:
        return self.number


class ChargeItem(models.Model):
    """One billable item (FHIR ChargeItem): from an order line, or the registration fee of an appointment."""

    class Status(models.TextChoices):
        BILLABLE = "billable", _("Billable")
        BILLED = "billed", _("Billed")
        ABORTED = "aborted", _("Aborted")

    hospital = models.ForeignKey("identity.Organization", on_delete=models.PROTECT,
                                 related_name="medical_charge_items")
    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="medical_charge_items")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, null=True, blank=True, related_name="items")
    appointment = models.ForeignKey("medical.Appointment", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="charge_items")
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="items")
    position = models.PositiveIntegerField(_("position"))
    code = models.CharField(_("item code"), max_length=32)
    description = models.CharField(_("description"), max_length=200)
    category = models.CharField(_("category"), max_length=16, choices=ItemCategory.choices)
    unit_price_fen = models.BigIntegerField(_("unit price (fen)"))
    quantity = models.PositiveIntegerField(_("quantity"))
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.BILLABLE)
    # The line's shares of the bill's split (pre-settle), so a refund of this line gives back exactly these.
    fund_fen = models.BigIntegerField(default=0)
    account_fen = models.BigIntegerField(default=0)
    cash_fen = models.BigIntegerField(default=0)
    deductible_fen = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("charge item")
        verbose_name_plural = _("charge items")
        ordering = ["bill_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["bill", "position"], name="medical_item_position_unique",
                violation_error_code="item_position_taken",
                violation_error_message=_("The bill already has an item at that position."),
            ),
            models.CheckConstraint(
                condition=Q(unit_price_fen__gt=0, quantity__gt=0, amount_fen=F("unit_price_fen") * F("quantity")),
                name="medical_item_amount_is_price_times_quantity", violation_error_code="item_amount_mismatch",
                violation_error_message=_("An item's amount must be its positive unit price times its quantity."),
            ),
            models.CheckConstraint(
                condition=Q(fund_fen__gte=0, account_fen__gte=0, cash_fen__gte=0)
                & (Q(fund_fen=0, account_fen=0, cash_fen=0)
                   | Q(amount_fen=F("fund_fen") + F("account_fen") + F("cash_fen"))),
                name="medical_item_shares_add_up", violation_error_code="item_shares_mismatch",
                violation_error_message=_("An item's fund, account and cash shares must add up to its amount."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} × {self.quantity}"


class InsuranceSettlement(models.Model):
    """One settlement attempt with the insurer: pre-settled → settled, or → failed/reversed."""

    class Status(models.TextChoices):
        PRESETTLED = "presettled", _("Pre-settled")
        SETTLED = "settled", _("Settled")
        FAILED = "failed", _("Failed (reversed)")
        REVERSED = "reversed", _("Reversed")

    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="settlements")
    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="settlements")
    year = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PRESETTLED)
    fund_fen = models.BigIntegerField(default=0)
    account_fen = models.BigIntegerField(default=0)
    deductible_fen = models.BigIntegerField(default=0)
    # What refunds gave back to the fund and the personal account (the year's used fund is fund - refunded).
    refunded_fund_fen = models.BigIntegerField(default=0)
    refunded_account_fen = models.BigIntegerField(default=0)
    insurer_ref = models.CharField(max_length=64, blank=True)
    failure = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("insurance settlement")
        verbose_name_plural = _("insurance settlements")
        constraints = [
            models.UniqueConstraint(
                fields=["bill"], condition=Q(status__in=["presettled", "settled"]),
                name="medical_settlement_one_live_per_bill", violation_error_code="settlement_in_progress",
                violation_error_message=_("This bill already has a settlement in progress or settled."),
            ),
            models.CheckConstraint(
                condition=Q(fund_fen__gte=0, account_fen__gte=0, deductible_fen__gte=0,
                            refunded_fund_fen__gte=0, refunded_fund_fen__lte=F("fund_fen"),
                            refunded_account_fen__gte=0, refunded_account_fen__lte=F("account_fen")),
                name="medical_settlement_not_negative", violation_error_code="settlement_negative",
                violation_error_message=_("Settlement amounts cannot be negative, nor refunds exceed them."),
            ),
        ]

    def __str__(self) -> str:
        return f"settlement {self.pk} ({self.status})"
