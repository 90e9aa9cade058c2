"""Demo: city-hospital publishes departments, doctors and sessions for today and the next days; the demo `doctor`
user (its desk staff) manages them; alice holds a paid booking today, so the desk can check her in by code.
Every step is get-or-create: seeding twice changes nothing."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.codes.plugin_api import organization_ensure

from . import selectors, services
from .models import AppointmentStatus, ClinicSession, Department, Doctor

HOSPITAL = ("city-hospital", "市第一人民医院", "City No.1 People's Hospital")
DESK_USER = "doctor"
DEPARTMENTS = [("内科", "Internal medicine"), ("儿科", "Paediatrics"), ("眼科", "Ophthalmology")]
DOCTORS = [
    # name, title, department, registration level, fee (fen)
    ("张明", "主任医师", "内科", "expert", 5000),
    ("刘芳", "主治医师", "内科", "general", 1000),
    ("陈静", "副主任医师", "儿科", "specialist", 2500),
    ("王磊", "主治医师", "眼科", "general", 1000),
]
# Morning and afternoon clinics on the next days, and an all-day clinic today (so check-in works at any hour).
SLOTS = [(dt.time(8, 0), dt.time(12, 0), 30), (dt.time(13, 30), dt.time(17, 0), 20)]
TODAY_SLOT = (dt.time(0, 0), dt.time(23, 59), 40)
DAYS_AHEAD = 5


def seed(*, stdout) -> None:
    slug, name, name_en = HOSPITAL
    hospital = organization_ensure(slug=slug, name=name, name_en=name_en, kind="hospital")
    desk = get_user_model().objects.filter(username=DESK_USER).first()
    if desk is None:  # identity's demo makes it (staff of city-hospital); without it there is no one to publish
        return
    departments = {}
    for zh, en in DEPARTMENTS:
        departments[zh] = Department.objects.filter(hospital=hospital, name_zh=zh).first() or \
            services.department_create(by=desk, hospital=hospital, name_zh=zh, name_en=en)
    today = timezone.localdate()
    for doctor_name, title, department, level, fee in DOCTORS:
        doctor = Doctor.objects.filter(hospital=hospital, name=doctor_name).first() or services.doctor_create(
            by=desk, hospital=hospital, department=departments[department], name=doctor_name, title=title)
        plan = [(today, *TODAY_SLOT)] + [
            (today + dt.timedelta(days=d), *slot) for d in range(1, DAYS_AHEAD + 1) for slot in SLOTS]
        for day, starts_at, ends_at, capacity in plan:
            if not ClinicSession.objects.filter(doctor=doctor, date=day, starts_at=starts_at).exists():
                services.clinic_session_create(
                    by=desk, hospital=hospital, doctor=doctor, date=day, starts_at=starts_at, ends_at=ends_at,
                    capacity=capacity, fee_fen=fee, registration_level=level)

    alice = get_user_model().objects.filter(username="alice").first()
    if alice is not None:
        today_session = ClinicSession.objects.filter(hospital=hospital, date=today, doctor__name="刘芳").first()
        if today_session is not None and today_session.end > timezone.now() and not selectors.appointment_list(
                patient=alice, session=today_session).exists():
            appointment = services.appointment_book(patient=alice, session=today_session, idempotency_key="demo")
            # Paid at the desk for the demo (payment by code is the payments part's page).
            if appointment.status == AppointmentStatus.PENDING:
                services.appointment_mark_paid(appointment=appointment, at=timezone.now())
    stdout.write(f"Medical: {name} has {len(DEPARTMENTS)} departments, {len(DOCTORS)} doctors and sessions for "
                 f"today and the next {DAYS_AHEAD} days; `{DESK_USER}` runs its desk (/medical/desk/); alice has a "
                 "paid booking today with 刘芳 — check her in by code after she consents to medical.registration.")

    # The money side (coverage, a bill to pay, a second cashier): its own module.
    from .billing import demo as billing_demo

    billing_demo.seed(stdout=stdout)
