"""Two hospitals, each with its own desk staff, department, doctor and a session tomorrow; patients to book."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.identity import services as identity_services
from apps.identity.models import Citizen, Organization
from apps.medical import services

# The consent fixtures (bureau admins, grant) are shared with the consent tests.
from tests.consent.conftest import bureau_admin, grant, second_admin  # noqa: F401


def tomorrow() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=1)


@pytest.fixture
def hospital_a(make_org):
    return make_org("hospital-a", kind=Organization.Kind.HOSPITAL, name="甲医院")


@pytest.fixture
def hospital_b(make_org):
    return make_org("hospital-b", kind=Organization.Kind.HOSPITAL, name="乙医院")


def _staff(hospital, username):
    user = Citizen.objects.create(username=username, name="导医台")
    identity_services.membership_set(user=user, organization=hospital, role="staff")
    return user


@pytest.fixture
def staff_a(hospital_a):
    return _staff(hospital_a, "desk-a")


@pytest.fixture
def staff_b(hospital_b):
    return _staff(hospital_b, "desk-b")


@pytest.fixture
def make_session(staff_a, hospital_a):
    """A session of hospital A (or of another hospital with its staff), tomorrow morning by default."""
    cache: dict = {}

    def make(*, capacity=3, fee_fen=1000, date=None, starts_at=dt.time(8, 0), ends_at=dt.time(12, 0),
             hospital=None, by=None, doctor_name="王医生"):
        hospital, by = hospital or hospital_a, by or staff_a
        key = (hospital.pk, doctor_name)
        if key not in cache:
            department = services.department_create(by=by, hospital=hospital, name_zh=f"内科{len(cache)}",
                                                    name_en="Internal medicine")
            cache[key] = services.doctor_create(by=by, hospital=hospital, department=department, name=doctor_name,
                                                title="主任医师")
        return services.clinic_session_create(
            by=by, hospital=hospital, doctor=cache[key], date=date or tomorrow(), starts_at=starts_at,
            ends_at=ends_at, capacity=capacity, fee_fen=fee_fen,
        )

    return make


@pytest.fixture
def session(make_session):
    return make_session()


@pytest.fixture
def patients(make_citizen):
    return [make_citizen(name=n) for n in ("李一", "王二", "张三", "赵四", "钱五")]
