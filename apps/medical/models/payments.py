"""Payments, the provider-notification inbox, refunds, and the simulated provider's own books (item 6)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .billing import Bill, ChargeItem


class Payment(models.Model):
    """The cash share of a bill, collected through a payment provider; ``out_trade_no`` is our order number there."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting the provider")
        SUCCEEDED = "succeeded", _("Paid")
        CLOSED = "closed", _("Closed unpaid")
        REVERSED = "reversed", _("Reversed (refunded after a failed settlement)")

    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(_("provider"), max_length=32)
    out_trade_no = models.CharField(max_length=40, unique=True)
    idempotency_key = models.CharField(max_length=64)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    provider_txn_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["bill"], condition=Q(status__in=["pending", "succeeded"]),
                name="medical_payment_one_live_per_bill", violation_error_code="payment_in_progress",
                violation_error_message=_("This bill already has a payment in progress or paid."),
            ),
            models.UniqueConstraint(
                fields=["bill", "idempotency_key"], name="medical_payment_idempotency_key_unique",
                violation_error_code="payment_key_reused",
                violation_error_message=_("That idempotency key was already used for this bill."),
            ),
            models.CheckConstraint(
                condition=Q(amount_fen__gt=0), name="medical_payment_amount_positive",
                violation_error_code="payment_amount_not_positive",
                violation_error_message=_("A payment's amount must be positive."),
            ),
        ]

    def __str__(self) -> str:
        return self.out_trade_no


class PaymentNotification(models.Model):
    """The inbox: every notification a provider sent, stored once per (provider, event id), processed once.

    Providers repeat a notification until it is acknowledged (WeChat Pay 15 times over about 24 hours); the
    unique key turns a repeat into a counter, and processing happens under this row's lock."""

    class Outcome(models.TextChoices):
        PENDING = "", _("Not processed yet")
        APPLIED = "applied", _("Applied")
        ALREADY_DONE = "already_done", _("Already done")
        STALE = "stale", _("Older than what we know; ignored")
        AMOUNT_MISMATCH = "amount_mismatch", _("Amount does not match; refused")
        UNKNOWN_TRADE = "unknown_trade", _("No such payment or refund")

    provider = models.CharField(max_length=32)
    event_id = models.CharField(max_length=64)
    event = models.CharField(max_length=40)
    reference = models.CharField(max_length=40)  # out_trade_no or out_refund_no
    amount_fen = models.BigIntegerField()
    body = models.JSONField()
    deliveries = models.PositiveIntegerField(default=1)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.PENDING, blank=True)

    class Meta:
        verbose_name = _("provider notification")
        verbose_name_plural = _("provider notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], name="medical_notification_once_per_event",
                violation_error_code="notification_seen",
                violation_error_message=_("This provider notification was already received."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id}"


class Refund(models.Model):
    """A refund of a whole bill or one line: requested by one staff member, decided by ANOTHER.

    The two-person rule is a database check as well as a service rule, so no code path can skip it."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved, with the provider")
        REJECTED = "rejected", _("Rejected")
        COMPLETED = "completed", _("Completed")

    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="refunds")
    charge_item = models.ForeignKey(ChargeItem, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="refunds")
    out_refund_no = models.CharField(max_length=40, unique=True)
    reason = models.CharField(_("reason"), max_length=200)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    fund_fen = models.BigIntegerField(default=0)
    account_fen = models.BigIntegerField(default=0)
    cash_fen = models.BigIntegerField(default=0)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="medical_refunds_requested")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="medical_refunds_decided")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(decided_by=F("requested_by")), name="medical_refund_two_people",
                violation_error_code="refund_same_person",
                violation_error_message=_("A refund must be decided by someone other than who requested it."),
            ),
            models.CheckConstraint(
                condition=Q(status="requested") | Q(decided_by__isnull=False),
                name="medical_refund_decided_has_decider", violation_error_code="refund_decider_missing",
                violation_error_message=_("An approved or rejected refund must name who decided it."),
            ),
            models.CheckConstraint(
                condition=Q(amount_fen__gt=0, amount_fen=F("fund_fen") + F("account_fen") + F("cash_fen")),
                name="medical_refund_shares_add_up", violation_error_code="refund_shares_mismatch",
                violation_error_message=_("A refund's shares must add up to its positive amount."),
            ),
            # One live refund per line, and one per whole bill: a second request cannot pay out twice.
            models.UniqueConstraint(
                fields=["charge_item"], condition=~Q(status="rejected") & Q(charge_item__isnull=False),
                name="medical_refund_one_live_per_item", violation_error_code="item_refund_exists",
                violation_error_message=_("This line already has a refund requested or done."),
            ),
            models.UniqueConstraint(
                fields=["bill"], condition=~Q(status="rejected") & Q(charge_item__isnull=True),
                name="medical_refund_one_live_per_bill", violation_error_code="bill_refund_exists",
                violation_error_message=_("This bill already has a whole-bill refund requested or done."),
            ),
        ]

    def __str__(self) -> str:
        return self.out_refund_no


class SimulatedTrade(models.Model):
    """The simulated provider's own record of an order (its side of the books, for reconciliation)."""

    class Status(models.TextChoices):
        NOTPAY = "NOTPAY", "NOTPAY"
        SUCCESS = "SUCCESS", "SUCCESS"
        CLOSED = "CLOSED", "CLOSED"

    out_trade_no = models.CharField(max_length=40, unique=True)
    transaction_id = models.CharField(max_length=64, unique=True)
    amount_fen = models.BigIntegerField()
    description = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.NOTPAY)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("simulated provider trade")
        verbose_name_plural = _("simulated provider trades")

    def __str__(self) -> str:
        return self.out_trade_no


class SimulatedRefund(models.Model):
    """The simulated provider's record of a refund."""

    trade = models.ForeignKey(SimulatedTrade, on_delete=models.PROTECT, related_name="refunds")
    out_refund_no = models.CharField(max_length=40, unique=True)
    refund_id = models.CharField(max_length=64, unique=True)
    amount_fen = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("simulated provider refund")
        verbose_name_plural = _("simulated provider refunds")

    def __str__(self) -> str:
        return self.out_refund_no
