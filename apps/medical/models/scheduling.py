"""Hospitals' schedules and the appointments booked into them.

A hospital is an ``identity.Organization`` of kind ``hospital``. Places in a session are claimed by one
conditional UPDATE of the session's counters (see ``services.booking``), and the database refuses anything
past capacity (``medical_session_booked_within_capacity``), two active bookings of one patient in one session,
and a place or queue number given twice.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    hospital = models.ForeignKey("identity.Organization", on_delete=models.CASCADE, related_name="medical_departments")
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["hospital_id", "name_zh"]
        constraints = [
            models.UniqueConstraint(
                fields=["hospital", "name_zh"], name="medical_department_unique_name",
                violation_error_code="department_exists",
                violation_error_message=_("This hospital already has a department with this name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name_zh


class Doctor(models.Model):
    hospital = models.ForeignKey("identity.Organization", on_delete=models.CASCADE, related_name="medical_doctors")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="doctors")
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("title"), max_length=100, blank=True)
    # The doctor's own login, when they have one (to see their own sessions); never required.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="medical_doctor_roles"
    )

    class Meta:
        verbose_name = _("doctor")
        verbose_name_plural = _("doctors")
        ordering = ["hospital_id", "name"]

    def __str__(self) -> str:
        return self.name


class RegistrationLevel(models.TextChoices):
    GENERAL = "general", _("General clinic")
    SPECIALIST = "specialist", _("Specialist clinic")
    EXPERT = "expert", _("Expert clinic")


class ClinicSession(models.Model):
    """One doctor's clinic on one day (a morning or an afternoon): ``capacity`` places at one fee."""

    hospital = models.ForeignKey("identity.Organization", on_delete=models.CASCADE, related_name="medical_sessions")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="sessions")
    doctor = models.ForeignKey(Doctor, on_delete=models.PROTECT, related_name="sessions")
    date = models.DateField(_("date"))
    starts_at = models.TimeField(_("starts at"))
    ends_at = models.TimeField(_("ends at"))
    capacity = models.PositiveIntegerField(_("capacity"))
    # Places held now (pending, booked, arrived, fulfilled): claimed and released by conditional UPDATEs only.
    booked = models.PositiveIntegerField(_("places taken"), default=0)
    # Place numbers ever handed out: a released place is never renumbered, so a place number never repeats.
    places_issued = models.PositiveIntegerField(default=0)
    # The last queue number given at check-in: the per-session sequence, advanced by one UPDATE each.
    queue_last = models.PositiveIntegerField(default=0)
    registration_level = models.CharField(
        _("registration level"), max_length=16, choices=RegistrationLevel.choices, default=RegistrationLevel.GENERAL
    )
    fee_fen = models.PositiveIntegerField(_("registration fee (fen)"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("clinic session")
        verbose_name_plural = _("clinic sessions")
        ordering = ["date", "starts_at", "id"]
        indexes = [models.Index(fields=["hospital", "date"], name="medical_session_hosp_date")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(capacity__gt=0), name="medical_session_capacity_positive",
                violation_error_code="capacity_not_positive",
                violation_error_message=_("A session needs at least one place."),
            ),
            models.CheckConstraint(
                condition=models.Q(booked__lte=models.F("capacity")), name="medical_session_booked_within_capacity",
                violation_error_code="session_full",
                violation_error_message=_("A session cannot hold more bookings than it has places."),
            ),
            models.CheckConstraint(
                condition=models.Q(places_issued__gte=models.F("booked")), name="medical_session_issued_covers_booked",
                violation_error_code="place_count_inconsistent",
                violation_error_message=_("More places are taken than were ever handed out."),
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="medical_session_ends_after_start",
                violation_error_code="ends_before_start",
                violation_error_message=_("A session must end after it starts."),
            ),
            models.CheckConstraint(
                condition=models.Q(registration_level__in=RegistrationLevel.values), name="medical_session_level_known",
                violation_error_code="unknown_registration_level",
                violation_error_message=_("The registration level must be general, specialist or expert."),
            ),
            models.UniqueConstraint(
                fields=["doctor", "date", "starts_at"], name="medical_session_one_per_doctor_slot",
                violation_error_code="session_exists",
                violation_error_message=_("This doctor already has a session starting at this time on this day."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.doctor} {self.date} {self.starts_at:%H:%M}"

    @property
    def places_left(self) -> int:
        return self.capacity - self.booked

    @property
    def fee_yuan(self) -> str:
        """The fee as yuan for display ("12.50"), from exact integer fen."""
        return f"{self.fee_fen // 100}.{self.fee_fen % 100:02d}"

    @property
    def start(self) -> dt.datetime:
        """When the session starts, in the city's time zone (the dates and times are local)."""
        return timezone.make_aware(dt.datetime.combine(self.date, self.starts_at))

    @property
    def end(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.date, self.ends_at))


class AppointmentStatus(models.TextChoices):
    """FHIR R4 Appointment.status values that citycode uses."""

    PENDING = "pending", _("Held, awaiting payment")
    BOOKED = "booked", _("Booked")
    ARRIVED = "arrived", _("Checked in")
    FULFILLED = "fulfilled", _("Seen")
    CANCELLED = "cancelled", _("Cancelled")
    NOSHOW = "noshow", _("Did not come")


# Statuses that hold a place in the session (and count in ClinicSession.booked).
ACTIVE_STATUSES = (
    AppointmentStatus.PENDING, AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED, AppointmentStatus.FULFILLED,
)


class Appointment(models.Model):
    session = models.ForeignKey(ClinicSession, on_delete=models.PROTECT, related_name="appointments")
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="medical_appointments")
    status = models.CharField(_("status"), max_length=16, choices=AppointmentStatus.choices)
    place_no = models.PositiveIntegerField(_("place number"))
    # An unpaid booking holds its place until then; past it, the release task frees the place.
    held_until = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    queue_no = models.PositiveIntegerField(_("queue number"), null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    fee_fen = models.PositiveIntegerField(_("registration fee (fen)"))
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=32, blank=True)
    # The client's key for this booking attempt: the same attempt sent twice books once.
    idempotency_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "held_until"], name="medical_appt_status_hold"),
            models.Index(fields=["patient", "-created_at"], name="medical_appt_patient"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "patient"], condition=models.Q(status__in=ACTIVE_STATUSES),
                name="medical_one_active_booking_per_session",
                violation_error_code="already_booked",
                violation_error_message=_("You already have a booking in this session."),
            ),
            models.UniqueConstraint(
                fields=["session", "place_no"], name="medical_place_unique_in_session",
                violation_error_code="place_taken",
                violation_error_message=_("This place in the session has already been given out."),
            ),
            models.UniqueConstraint(
                fields=["session", "queue_no"], condition=models.Q(queue_no__isnull=False),
                name="medical_queue_no_unique_in_session",
                violation_error_code="queue_no_taken",
                violation_error_message=_("This queue number has already been given in this session."),
            ),
            models.UniqueConstraint(
                fields=["patient", "idempotency_key"], condition=~models.Q(idempotency_key=""),
                name="medical_booking_idempotency_key_unique",
                violation_error_code="duplicate_request",
                violation_error_message=_("This booking request has already been made."),
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=AppointmentStatus.values), name="medical_appointment_status_known",
                violation_error_code="unknown_status",
                violation_error_message=_("The status must be a FHIR appointment status citycode uses."),
            ),
            models.CheckConstraint(
                condition=~models.Q(status=AppointmentStatus.PENDING) | models.Q(held_until__isnull=False),
                name="medical_pending_has_hold",
                violation_error_code="pending_without_hold",
                violation_error_message=_("A booking awaiting payment must say until when its place is held."),
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=[AppointmentStatus.ARRIVED, AppointmentStatus.FULFILLED])
                | models.Q(queue_no__isnull=False, checked_in_at__isnull=False),
                name="medical_arrived_has_queue_no",
                violation_error_code="arrived_without_queue_no",
                violation_error_message=_("A checked-in patient must have a queue number and a check-in time."),
            ),
            models.CheckConstraint(
                condition=models.Q(place_no__gt=0), name="medical_place_no_positive",
                violation_error_code="place_no_not_positive",
                violation_error_message=_("Place numbers start at 1."),
            ),
        ]

    def __str__(self) -> str:
        return f"appointment {self.pk} ({self.status})"
