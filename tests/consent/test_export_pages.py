"""The export as a page the citizen reads and a file they download; and as JSON through the API."""

import json

import pytest
from django.test import Client

from apps.talent import services as talent_services
from tests.conftest import PASSWORD
from tests.consent.conftest import later

pytestmark = pytest.mark.django_db


def test_the_citizen_reads_and_downloads_their_export(make_citizen):
    # Given alice holds a talent certification
    alice = make_citizen(username="alice", name="李爱丽")
    talent_services.certification_issue(citizen=alice, level="B", issued_by="市人才服务中心",
                                        valid_until=later(days=400).date())
    client = Client()
    client.login(username="alice", password=PASSWORD)
    # When she opens the export page
    page = client.get("/consents/export/")
    # Then every section is on it, the talent code's included, with its certification
    assert page.status_code == 200
    html = page.content.decode()
    for name in ("profile", "consents", "representations", "access_log", "staff_memberships", "sign_in_tokens",
                 "code_status_entries", "code_types-talent"):
        assert f'data-testid="export-section-{name}"' in html
    assert "市人才服务中心" in html and "人才码" in html
    # And the download is the same JSON the API serves, as a file
    download = client.get("/consents/export.json")
    assert download["Content-Disposition"] == 'attachment; filename="citycode-export.json"'
    data = json.loads(download.content)
    assert data["code_types"]["talent"]["certifications"][0]["issued_by"] == "市人才服务中心"


def test_the_export_is_only_ever_ones_own(make_citizen):
    assert Client().get("/consents/export/").status_code == 302  # to the log-in page
    assert Client().get("/consents/export.json").status_code == 302


def test_the_api_export_carries_the_plugin_section(citizen_api):
    talent_services.certification_issue(citizen=citizen_api.citizen, level="C", issued_by="office",
                                        valid_until=later(days=10).date())
    data = citizen_api.get("/api/v1/me/export").json()
    assert data["code_types"]["talent"]["certifications"][0]["level"] == "C"
