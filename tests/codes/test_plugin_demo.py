"""The demo city scans out of the box: alice's city code passes for venue.entry and is refused for transit."""

import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from apps.consent import selectors as consent_selectors
from apps.identity.models import Citizen

pytestmark = pytest.mark.django_db


def test_seeding_gives_the_library_a_key_that_scans_alice_for_venue_entry_only(settings, tmp_path):
    # Given the demo city, seeded twice (idempotent), with its key file in a scratch directory
    settings.BASE_DIR = tmp_path
    first, second = io.StringIO(), io.StringIO()
    call_command("seed_demo", stdout=first)
    call_command("seed_demo", stdout=second)
    key = (tmp_path / ".demo-api-key").read_text().strip()
    assert key in first.getvalue() and key not in second.getvalue()
    # And alice's city code, fetched as alice would
    citizen_api = APIClient()
    token = citizen_api.post("/api/v1/auth/token", {"username": "alice", "password": "citycode-demo"},
                             format="json").json()["token"]
    citizen_api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    codes = {c["type"]: c["token"] for c in citizen_api.get("/api/v1/me/codes").json()["codes"]}
    # (the demo's emergency covers epidemic control, so she holds a health code too)
    assert {"city", "talent", "library_card", "medical", "transit", "licence", "health"} <= set(codes)
    gate = APIClient()
    gate.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    # When the library's gate scans it for venue.entry and for transit.boarding
    allowed = gate.post("/api/v1/scan", {"token": codes["city"], "purpose": "venue.entry"}, format="json")
    refused = gate.post("/api/v1/scan", {"token": codes["city"], "purpose": "transit.boarding"}, format="json")
    # Then the first passes with alice's consented data and the second is refused
    assert allowed.status_code == 200, allowed.json()
    assert allowed.json()["data"]["identity.adult"] is True
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_disclosed"
    # And both are in alice's access log
    alice = Citizen.objects.get(username="alice")
    assert [row.outcome for row in consent_selectors.access_log_list(citizen=alice)][:2] == ["denied", "allowed"]


def test_a_lost_key_file_gets_a_new_key_and_the_old_one_stops_working(settings, tmp_path):
    settings.BASE_DIR = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    old = (tmp_path / ".demo-api-key").read_text().strip()
    (tmp_path / ".demo-api-key").unlink()
    call_command("seed_demo", stdout=io.StringIO())
    new = (tmp_path / ".demo-api-key").read_text().strip()
    assert new != old
    gate = APIClient()
    gate.credentials(HTTP_AUTHORIZATION=f"Api-Key {old}")
    assert gate.post("/api/v1/scan", {"token": "CC1:X", "purpose": "venue.entry"}, format="json").status_code in (
        401, 403)
