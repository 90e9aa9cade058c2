"""Shared fixtures. Unit tests run Celery eagerly; tests marked `integration` use the real broker and worker."""

import os

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.identity import idnumbers, services
from apps.identity.models import Organization
from citycode.celery import app as celery_app

PASSWORD = "correct-horse-battery"


def services_required() -> bool:
    """In CI a missing browser or service fails the test instead of skipping it."""
    return os.environ.get("CITYCODE_REQUIRE_SERVICES", "").lower() == "true"


def valid_id_number(region: str = "330106", birth: str = "19900307", sequence: str = "123") -> str:
    first17 = f"{region}{birth}{sequence}"
    return first17 + idnumbers.check_character(first17)


@pytest.fixture(autouse=True)
def _isolate(request, settings):
    # Password hashing is deliberately slow; the suite tests logic, not PBKDF2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    if request.node.get_closest_marker("integration") is None:
        previous = celery_app.conf.task_always_eager
        celery_app.conf.task_always_eager = True
        yield
        celery_app.conf.task_always_eager = previous
    else:
        yield


@pytest.fixture
def api():
    return APIClient()


_counter = {"n": 0}


@pytest.fixture
def make_citizen(db):
    def make(*, username: str | None = None, name: str = "张三", birth: str = "19900307", **extra):
        _counter["n"] += 1
        n = _counter["n"]
        return services.citizen_register(
            username=username or f"citizen{n}",
            name=name,
            id_number=extra.pop("id_number", None) or valid_id_number(birth=birth, sequence=f"{n % 1000:03d}"),
            phone=extra.pop("phone", None) or f"139{n:08d}",
            password=PASSWORD,
        )

    return make


@pytest.fixture
def make_org(db):
    def make(slug: str, kind: str = Organization.Kind.DEPARTMENT, name: str | None = None):
        return services.organization_create(slug=slug, name=name or slug, kind=kind)

    return make


@pytest.fixture
def citizen_api(api, make_citizen):
    """An API client signed in as a fresh citizen; the citizen is `citizen_api.citizen`."""
    citizen = make_citizen()
    _token, plain = services.auth_token_issue(user=citizen)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    api.citizen = citizen
    return api
