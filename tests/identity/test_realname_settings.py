"""Finding 3: production refuses a checksum-only real-name check unless the city says it has no registry."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from apps.identity import idnumbers
from apps.identity.models import Citizen, ResidentRecord
from tests.conftest import PASSWORD, valid_id_number

ROOT = Path(__file__).resolve().parents[2]


def _check(**overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TMPDIR"}}
    env.update({"DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50), "CITYCODE_ID_HASH_KEY": "k",
                "CITYCODE_KEY_ENCRYPTION_KEY": "k", "ALLOWED_HOSTS": "citycode.example",
                "DATABASE_URL": "postgres://citycode@127.0.0.1:1/citycode"})
    env.update(overrides)
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_production_refuses_to_start_with_a_checksum_only_verifier():
    # Given DEBUG=false, the local verifier, not strict, and no statement that the city has no registry
    done = _check()
    # Then start-up refuses, naming the settings that fix it
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and "CITYCODE_REALNAME_NO_REGISTRY" in done.stderr


@pytest.mark.parametrize("overrides", [{"CITYCODE_REALNAME_REGISTRY_STRICT": "true"},
                                       {"CITYCODE_REALNAME_NO_REGISTRY": "true"}])
def test_production_starts_with_a_registry_or_an_explicit_no_registry(overrides):
    done = _check(**overrides)
    assert done.returncode == 0, done.stderr


def _register(api, number: str, name: str = "张三"):
    return api.post("/api/v1/citizens", {"name": name, "id_number": number, "phone": "13911112222",
                                         "username": "zhangsan", "password": PASSWORD}, format="json")


@pytest.mark.django_db
def test_a_checksum_only_registration_is_not_shown_as_real_name_verified(api, client):
    # Given a city without a registry entry for the number (checksum only)
    _register(api, valid_id_number())
    citizen = Citizen.objects.get(username="zhangsan")
    assert citizen.real_name_method == "checksum"

    # When the citizen looks at their profile in the API and on the home page
    client.force_login(citizen)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    api.force_authenticate(citizen)
    me = api.get("/api/v1/me").json()

    # Then both say "not verified against a registry", never "real-name verified"
    assert me["real_name_verified"] is False
    assert me["real_name_status"] == "not_registry_verified"
    assert "Not verified against a registry" in page or "未经户籍库核验" in page
    assert "Real name verified" not in page and "已实名认证" not in page


@pytest.mark.django_db
def test_a_registry_checked_registration_is_real_name_verified(api):
    # Given a number the registry knows under that name
    number = valid_id_number()
    ResidentRecord.objects.create(id_hash=idnumbers.keyed_hash(number), name="张三")
    # When its owner registers
    _register(api, number)
    citizen = Citizen.objects.get(username="zhangsan")
    api.force_authenticate(citizen)
    me = api.get("/api/v1/me").json()
    # Then they are real-name verified
    assert me["real_name_verified"] is True and me["real_name_status"] == "verified"
