"""Taps as readers upload them, their settlement into priced trips, and the money ledger.

Exactly once is the database's job, not the code's: a tap is unique per (reader, tap_uid), so a re-sent or
overlapping batch adds nothing; a trip is unique per first tap (and per second tap), so no tap is charged twice
even if two settlements raced; a ledger entry is unique per reference (``trip:<id>``, ``topup:<key>``)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .accounts import RideAccount
from .fares import FareCap, FareLegRule, FareTransferRule
from .network import Line, Reader, Stop

DIRECTIONS = ["board", "in", "out"]


class TapUpload(models.Model):
    """One batch a reader sent. ``digest`` is the SHA-256 of its canonical content: the same batch id with
    other content is refused (an idempotency key names one request)."""

    reader = models.ForeignKey(Reader, on_delete=models.PROTECT, related_name="tap_uploads")
    operator = models.ForeignKey("identity.Organization", on_delete=models.PROTECT, related_name="+")
    batch_id = models.CharField(_("batch ID"), max_length=64)
    digest = models.CharField(max_length=64)
    received = models.PositiveIntegerField(_("taps received"))
    new = models.PositiveIntegerField(_("new taps"))
    duplicates = models.PositiveIntegerField(_("taps already known"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tap upload")
        verbose_name_plural = _("tap uploads")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reader", "batch_id"], name="transit_upload_batch_unique",
                violation_error_code="batch_taken",
                violation_error_message=_("This reader already sent a batch with this ID."),
            ),
        ]

    def __str__(self) -> str:
        return f"batch {self.batch_id} of {self.reader_id}"


class Tap(models.Model):
    """A scan of a ride code at a reader, append-only: never updated once stored. The rider is only the
    certificate's pseudonym, mapped on upload to the account (null: no certificate of this operator has it, and
    the tap is never charged). ``at_s``, ``day_s``, ``service_date`` and ``service_week`` are ``at`` in the forms
    settlement computes with, worked out once on upload so the SQL is the same on PostgreSQL and SQLite.

    A tap is settled when a trip names it; until then it is in :class:`PendingTap`. (Marking a million taps
    settled in place cost ≈60 µs a row on this machine — an index-rewriting UPDATE — against deleting their
    queue rows.)"""

    reader = models.ForeignKey(Reader, on_delete=models.PROTECT, related_name="taps", db_index=False)
    tap_uid = models.CharField(_("tap ID"), max_length=64)
    upload = models.ForeignKey(TapUpload, on_delete=models.PROTECT, related_name="taps")
    operator = models.ForeignKey("identity.Organization", on_delete=models.PROTECT, related_name="+", db_index=False)
    mode = models.CharField(max_length=8, choices=Line.Mode.choices)
    line = models.ForeignKey(Line, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False)
    stop = models.ForeignKey(Stop, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False)
    direction = models.CharField(max_length=8)
    pseudonym = models.CharField(max_length=32)
    at = models.DateTimeField()
    at_s = models.BigIntegerField()
    day_s = models.PositiveIntegerField()
    service_date = models.DateField()
    service_week = models.DateField()
    account = models.ForeignKey(RideAccount, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                db_index=False)

    class Meta:
        verbose_name = _("tap")
        verbose_name_plural = _("taps")
        indexes = [
            models.Index(fields=["account", "at_s"], name="transit_tap_account"),
            models.Index(fields=["operator"], condition=models.Q(account__isnull=True), name="transit_tap_unknown"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["reader", "tap_uid"], name="transit_tap_unique_per_reader",
                violation_error_code="tap_taken",
                violation_error_message=_("This reader already sent a tap with this ID."),
            ),
            models.CheckConstraint(
                condition=models.Q(direction__in=DIRECTIONS), name="transit_tap_direction",
                violation_error_code="tap_direction_unknown",
                violation_error_message=_("A tap boards a bus, or enters or leaves the metro."),
            ),
        ]

    def __str__(self) -> str:
        return f"tap {self.tap_uid} at {self.reader_id}"


class PendingTap(models.Model):
    """The queue of taps of known riders not yet settled: written with the tap, deleted by the settlement that
    puts the tap in a trip (in the same transaction)."""

    tap = models.OneToOneField(Tap, on_delete=models.CASCADE, primary_key=True, related_name="+")
    operator = models.ForeignKey("identity.Organization", on_delete=models.PROTECT, related_name="+",
                                 db_index=False, db_constraint=False)
    account = models.ForeignKey(RideAccount, on_delete=models.PROTECT, related_name="+", db_index=False,
                                db_constraint=False)

    class Meta:
        verbose_name = _("pending tap")
        verbose_name_plural = _("pending taps")
        indexes = [models.Index(fields=["operator", "account"], name="transit_pending_settle")]

    def __str__(self) -> str:
        return f"pending tap {self.tap_id}"


class SettlementRun(models.Model):
    """One settlement of an operator's pending taps; its counters are the progress the operator sees."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    operator = models.ForeignKey("identity.Organization", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    cutoff_s = models.BigIntegerField(_("legs started before (epoch seconds)"))
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    taps_settled = models.PositiveIntegerField(_("taps settled"), default=0)
    taps_unknown = models.PositiveIntegerField(_("taps of unknown riders"), default=0)
    trips = models.PositiveIntegerField(_("trips"), default=0)
    charged_fen = models.BigIntegerField(_("charged (fen)"), default=0)
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("settlement run")
        verbose_name_plural = _("settlement runs")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One run at a time per operator: the second is refused, so two never price the same rider at once.
            models.UniqueConstraint(
                fields=["operator"], condition=models.Q(status__in=["queued", "running"]),
                name="transit_one_open_run_per_operator", violation_error_code="settlement_running",
                violation_error_message=_("A settlement of this operator's taps is already under way."),
            ),
        ]

    def __str__(self) -> str:
        return f"settlement {self.pk} of {self.operator_id} ({self.status})"


class Trip(models.Model):
    """A priced leg: one or two taps, the fare and every step that made it (apps/transit/fares.py, ``explain``).
    Stored as columns rather than a JSON blob: settlement writes them set-based and the explanation is derived."""

    # Settlement inserts a million of these at once; each index and each deferred foreign-key check is paid per
    # row at commit. References that settlement copies from rows it has just read (the taps, the tap's line and
    # stops, the rules that priced it, the run) are not re-checked; the account is.
    account = models.ForeignKey(RideAccount, on_delete=models.PROTECT, related_name="trips", db_index=False)
    operator = models.ForeignKey("identity.Organization", on_delete=models.PROTECT, related_name="+",
                                 db_index=False, db_constraint=False)
    run = models.ForeignKey(SettlementRun, on_delete=models.PROTECT, related_name="trip_set", db_constraint=False)
    # Unique (a tap is in one trip: exactly once), not re-checked as foreign keys: the check takes a KEY SHARE lock
    # on every tap row at commit, which cost more than the trips' insert itself; settlement reads these taps in
    # the same statement, and taps are never deleted.
    first_tap = models.OneToOneField(Tap, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    second_tap = models.OneToOneField(Tap, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                      db_constraint=False)
    mode = models.CharField(max_length=8, choices=Line.Mode.choices)
    line = models.ForeignKey(Line, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               db_index=False, db_constraint=False)
    from_stop = models.ForeignKey(Stop, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    db_index=False, db_constraint=False)
    to_stop = models.ForeignKey(Stop, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                  db_index=False, db_constraint=False)
    start_s = models.BigIntegerField()
    end_s = models.BigIntegerField()
    service_date = models.DateField()
    service_week = models.DateField()
    distance_m = models.PositiveIntegerField(default=0)
    unmatched = models.BooleanField(default=False)
    leg_rule = models.ForeignKey(FareLegRule, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 db_index=False, db_constraint=False)
    base_fen = models.PositiveIntegerField()
    concession_percent = models.PositiveSmallIntegerField(default=100)
    fare_fen = models.PositiveIntegerField()
    transfer_rule = models.ForeignKey(FareTransferRule, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+", db_index=False, db_constraint=False)
    transfer_discount_fen = models.PositiveIntegerField(default=0)
    chain = models.PositiveSmallIntegerField(default=0)
    after_transfer_fen = models.PositiveIntegerField()
    daily_cap = models.ForeignKey(FareCap, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                  db_index=False, db_constraint=False)
    day_fen = models.PositiveIntegerField()
    weekly_cap = models.ForeignKey(FareCap, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   db_index=False, db_constraint=False)
    charged_fen = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("trip")
        verbose_name_plural = _("trips")
        indexes = [
            models.Index(fields=["account", "start_s"], name="transit_trip_account_start"),
            models.Index(fields=["operator", "service_date"], name="transit_trip_operator_day"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(charged_fen__lte=models.F("fare_fen")), name="transit_trip_charge_bounded",
                violation_error_code="charge_above_fare",
                violation_error_message=_("A trip is never charged more than its fare."),
            ),
        ]

    def __str__(self) -> str:
        return f"trip {self.pk}: {self.charged_fen} fen"


class LedgerEntry(models.Model):
    """Append-only money movements of a ride account: charges are negative, top-ups and payments positive. An
    account's balance is the sum of its entries (tests check it); a correction is a new entry, never an edit."""

    class Kind(models.TextChoices):
        CHARGE = "charge", _("Fare")
        TOP_UP = "topup", _("Top-up")
        PAYMENT = "payment", _("Debt payment")

    account = models.ForeignKey(RideAccount, on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    reference = models.CharField(_("reference"), max_length=80, unique=True)
    # Unique (one entry per trip), not re-checked per row: settlement writes it from the trip it just inserted.
    trip = models.OneToOneField(Trip, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entry",
                                db_constraint=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["account_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="charge", amount_fen__lte=0) | models.Q(kind__in=["topup", "payment"],
                                                                                 amount_fen__gt=0)),
                name="transit_ledger_sign", violation_error_code="ledger_sign",
                violation_error_message=_("A fare takes money from the account; a top-up or payment adds it."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_fen} fen ({self.reference})"
