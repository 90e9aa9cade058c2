import io

import pytest
from django.apps import apps
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_seeding_the_demo_city_twice_changes_nothing(settings, tmp_path):
    # Given a seeded demo city (its API-key file in a scratch directory)
    settings.BASE_DIR = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    before = snapshot()
    key_file = (tmp_path / ".demo-api-key").read_text()
    # When it is seeded again
    call_command("seed_demo", stdout=io.StringIO())
    # Then no table gained or lost a row, and the verifier keeps its key
    assert snapshot() == before
    assert (tmp_path / ".demo-api-key").read_text() == key_file
    assert before["identity.Citizen"] >= 2 and before["identity.Organization"] >= 4
