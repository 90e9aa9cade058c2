"""The double-entry ledger (item 7): immutable, and every transaction balanced — enforced by the database.

Entries are written BEFORE their transaction's header (the header's id is a UUID chosen up front, and foreign
keys are deferred on both databases), so the header's insert is the moment a transaction is complete:

- PostgreSQL: a deferred constraint trigger checks at COMMIT that each touched transaction's entries sum to
  zero, number at least two, and have a header; UPDATE and DELETE of either table are refused.
- SQLite: the header's insert checks the sum and count of its entries, an entry for an existing header is
  refused, and UPDATE is refused. (DELETE stays possible on SQLite: Django's test flush uses it.)

The SQL lives in migration 0003_ledger_triggers (``LEDGER_TRIGGERS`` in ``apps.medical.billing.ledger_sql``).
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class LedgerAccount(models.Model):
    """An account of one hospital's books (``revenue``, ``patient_receivable``, ``provider:simulated``, …)."""

    hospital = models.ForeignKey("identity.Organization", on_delete=models.PROTECT, related_name="ledger_accounts")
    code = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["hospital", "code"], name="medical_ledger_account_unique",
                violation_error_code="ledger_account_exists",
                violation_error_message=_("The hospital already has a ledger account with that code."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hospital_id}:{self.code}"


class LedgerTransaction(models.Model):
    """A balanced set of entries. ``key`` makes posting idempotent (``payment:<out_trade_no>``, …); ``reverses``
    names the transaction this one cancels (at most one reversal each)."""

    class Kind(models.TextChoices):
        CHARGE = "charge", _("Charge")
        PAYMENT = "payment", _("Cash payment")
        SETTLEMENT = "settlement", _("Insurance settlement")
        REFUND = "refund", _("Refund")
        REVERSAL = "reversal", _("Reversal")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    hospital = models.ForeignKey("identity.Organization", on_delete=models.PROTECT,
                                 related_name="ledger_transactions")
    key = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # What the transaction is about, as "bill:<id>"; no foreign key, so the books never hold a citizen reference.
    bill_ref = models.CharField(max_length=40, blank=True)
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="reversed_by")
    memo = models.CharField(max_length=200, blank=True)
    posted_at = models.DateTimeField()
    day = models.DateField(db_index=True)

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        ordering = ["posted_at"]

    def __str__(self) -> str:
        return self.key


class LedgerEntry(models.Model):
    """One leg: a positive amount debits the account, a negative one credits it. ``ref`` names the outside
    record it matches in reconciliation (``trade:<out_trade_no>``, ``refund:<out_refund_no>``, ``settlement:<id>``)."""

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    amount_fen = models.BigIntegerField()
    ref = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(
                condition=~Q(amount_fen=0), name="medical_ledger_entry_not_zero",
                violation_error_code="ledger_entry_zero",
                violation_error_message=_("A ledger entry cannot be zero."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount_fen:+d}"
