"""A visit to pay for: alice (insured) booked today at hospital A, paid her fee, checked in, and the doctor
ordered an examination and medicines. Two cashiers of A (refunds take two people) and one of B."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.identity import services as identity_services
from apps.identity.models import Citizen
from apps.medical import services
from apps.medical.billing.provider import simulated
from apps.medical.models import Payment

ORDER_LINES = [
    {"code": "EX-CT", "description": "胸部CT", "category": "exam", "unit_price_fen": 30_000, "quantity": 1},
    {"code": "DR-AMX", "description": "阿莫西林胶囊", "category": "drug", "unit_price_fen": 1_250, "quantity": 4},
]


def _staff(hospital, username):
    user = Citizen.objects.create(username=username, name="收费员")
    identity_services.membership_set(user=user, organization=hospital, role="staff")
    return user


@pytest.fixture
def cashier_a(hospital_a):
    return _staff(hospital_a, "cashier-a")


@pytest.fixture
def cashier_a2(hospital_a):
    return _staff(hospital_a, "cashier-a2")


@pytest.fixture
def cashier_b(hospital_b):
    return _staff(hospital_b, "cashier-b")


@pytest.fixture
def today_session(make_session):
    return make_session(date=timezone.localdate(), starts_at=dt.time(0, 0), ends_at=dt.time(23, 59), fee_fen=1_000)


@pytest.fixture
def alice(make_citizen):
    return make_citizen(name="艾丽")


@pytest.fixture
def alice_covered(alice):
    """Employee insurance: ¥100 deductible, exams 70%, drugs 80%, registration not covered, ¥50 in the account."""
    services.coverage_set(citizen=alice, year=timezone.localdate().year, insured=True, deductible_fen=10_000,
                          annual_cap_fen=5_000_000, account_balance_fen=5_000, ratios={"exam": 7_000, "drug": 8_000},
                          scheme="urban-employee")
    return alice


def pay(bill, citizen, *, key="k1", deliver=True):
    """The patient pays at the simulated cashier; the provider's notifications arrive (twice) when deliver."""
    payment = services.bill_pay_start(bill=bill, citizen=citizen, idempotency_key=key)
    if payment is not None:
        simulated().confirm(out_trade_no=payment.out_trade_no, deliver=deliver)
    return payment


@pytest.fixture
def arrived(alice_covered, today_session, hospital_a):
    """alice's appointment today: fee paid (cash), checked in."""
    appointment = book(alice_covered, today_session)
    bill = services.registration_bill_get_or_create(appointment=appointment, citizen=alice_covered)
    with_on_commit(lambda: pay(bill, alice_covered, key="reg"))
    return services.appointment_check_in(hospital=hospital_a, patient=alice_covered)


def book(patient, session):
    """Book today's session (open all day) as if booked yesterday: booking closes when a session starts."""
    return services.appointment_book(patient=patient, session=session, now=session.start - dt.timedelta(hours=12))


def with_on_commit(fn):
    """Run ``fn`` and then the on-commit callbacks it registered (the provider's deliveries), as a commit would."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        return fn()


@pytest.fixture
def order_bill(arrived, staff_a):
    """The doctor's order after the visit: one CT (¥300) and 4 × ¥12.50 of medicine."""
    return services.order_place(placed_by=staff_a, appointment=arrived, lines=ORDER_LINES)


def payment_of(bill) -> Payment:
    return Payment.objects.get(bill=bill, status__in=["pending", "succeeded", "reversed"])
