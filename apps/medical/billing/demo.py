"""Demo of the money side: alice is insured (employee scheme: deductible ¥100, exams 70%, medicine 80%, ¥50 in her
personal account); yesterday she saw 刘芳 at city-hospital, who ordered a CT and medicine: that bill waits on her
"My bills" page, where she pays it through the simulated provider. `cashier` is a second cashier of city-hospital,
so a refund `doctor` requests can be approved. Idempotent: seeding twice changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.codes.plugin_api import membership_set, organization_get

from .. import selectors, services
from ..models import Appointment, ClinicSession, Doctor, Order

CASHIER = ("cashier", "收费处收费员")
DEMO_PASSWORD = "citycode-demo"
ORDER = [
    {"code": "EX-CT-CHEST", "description": "胸部CT平扫", "category": "exam", "unit_price_fen": 30_000, "quantity": 1},
    {"code": "DR-AMOX-0.25", "description": "阿莫西林胶囊 0.25g", "category": "drug", "unit_price_fen": 1_250,
     "quantity": 4},
]


def _cashier(hospital: Any) -> Any:
    username, name = CASHIER
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        user = get_user_model()(username=username, name=name)
        user.set_password(DEMO_PASSWORD)
        user.save()
    membership_set(user=user, organization=hospital, role="staff")
    return user


def seed(*, stdout: Any) -> None:
    hospital = organization_get(slug="city-hospital")
    alice = get_user_model().objects.filter(username="alice").first()
    desk = get_user_model().objects.filter(username="doctor").first()
    if hospital is None or alice is None or desk is None:
        return
    _cashier(hospital)
    today = timezone.localdate()
    if selectors.coverage_get(citizen=alice, year=today.year) is None:
        services.coverage_set(citizen=alice, year=today.year, insured=True, scheme="城镇职工医保",
                              deductible_fen=10_000, annual_cap_fen=30_000_000, account_balance_fen=5_000,
                              ratios={"exam": 7_000, "lab": 7_000, "drug": 8_000, "treatment": 7_000})
    if Order.objects.filter(citizen=alice, hospital=hospital).exists():
        stdout.write("Medical billing: alice's order from yesterday is on her bills page (already seeded).")
        return
    # Yesterday's visit: a session of 刘芳 that has ended; booked the day before, fee paid, checked in, seen.
    doctor = Doctor.objects.filter(hospital=hospital, name="刘芳").first()
    if doctor is None:
        return
    yesterday = today - dt.timedelta(days=1)
    session = ClinicSession.objects.filter(doctor=doctor, date=yesterday, starts_at=dt.time(8, 0)).first() or \
        services.clinic_session_create(by=desk, hospital=hospital, doctor=doctor, date=yesterday,
                                       starts_at=dt.time(8, 0), ends_at=dt.time(12, 0), capacity=30, fee_fen=1_000)
    booked_at = session.start - dt.timedelta(days=1)
    appointment = services.appointment_book(patient=alice, session=session, idempotency_key="demo-yesterday",
                                            now=booked_at)
    fee = services.registration_bill_get_or_create(appointment=appointment, citizen=alice)
    # The fee comes out of her personal account in full (registration is not covered by the fund): no cash.
    services.bill_pay_start(bill=fee, citizen=alice, idempotency_key="demo-fee")
    appointment = Appointment.objects.get(pk=appointment.pk)
    if appointment.status == "booked":
        appointment = services.appointment_check_in(hospital=hospital, patient=alice,
                                                    now=session.start + dt.timedelta(minutes=20))
        services.appointment_fulfil(by=desk, appointment=appointment)
    bill = services.order_place(placed_by=desk, appointment=appointment, lines=ORDER, note="demo")
    stdout.write(f"Medical billing: alice is insured; her bill {bill.number} (CT and medicine, ¥350) waits at "
                 "/medical/bills/ — pay it there through the simulated provider. Cashiers: `doctor` and `cashier` "
                 "(/medical/cashier/: one requests a refund, the other approves).")
