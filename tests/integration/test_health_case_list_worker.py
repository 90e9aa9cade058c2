"""A case list travels through the broker to a real Celery worker, which matches and recolours against PostgreSQL."""

import datetime as dt
import time

import pytest
from django.utils import timezone

from apps.health import reference_rules, selectors, services
from apps.health.models import CaseListImport
from apps.identity import services as identity_services
from apps.identity.models import Organization
from citycode.celery import app as celery_app
from tests.conftest import valid_id_number

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_applies_a_case_list_and_a_second_upload_changes_nothing(celery_worker, make_citizen):
    assert celery_app.conf.task_always_eager is False
    # Given the commission, its officer, Hangzhou's rules in force and a registered citizen of that region
    commission = identity_services.organization_create(slug="health-commission", name="卫健委",
                                                       kind=Organization.Kind.DEPARTMENT)
    officer = make_citizen(username="worker-officer")
    identity_services.membership_set(user=officer, organization=commission, role="staff")
    code, name_zh, name_en, prefix, default, title_zh, title_en, rules, tests = reference_rules.REGIONS[0]
    region = services.region_upsert(code=code, name_zh=name_zh, name_en=name_en, id_prefix=prefix, is_default=True)
    now = timezone.now()
    draft = services.rule_set_draft_save(user=officer, region=region, version="1.0.0", title_zh=title_zh,
                                         title_en=title_en, rules_=rules, test_cases=tests,
                                         valid_from=now - dt.timedelta(days=1))
    services.rule_set_publish(user=officer, version=draft, now=now - dt.timedelta(days=3))
    number = valid_id_number(region="330108", birth="19750505", sequence="321")
    citizen = make_citizen(id_number=number)
    content = f"id_number,kind,since\n{number},confirmed,{timezone.localdate() - dt.timedelta(days=1)}\n".encode()
    # When the officer uploads a list naming them (the upload commits, then the task goes to the broker)
    case_list, created = services.case_list_upload(user=officer, content=content, file_format="csv")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        case_list.refresh_from_db()
        if case_list.state not in (CaseListImport.State.QUEUED, CaseListImport.State.RUNNING):
            break
        time.sleep(0.2)
    # Then the worker matched and recoloured them, and the progress says so
    assert created and (case_list.state, case_list.matched, case_list.recoloured) == ("done", 1, 1)
    assert selectors.colour_get(citizen=citizen).colour == "red"
    # And the same file again is the same import, with nothing queued or changed
    again, created_again = services.case_list_upload(user=officer, content=content, file_format="csv")
    assert (created_again, again.pk) == (False, case_list.pk)
    assert selectors.transition_list(citizen=citizen).count() == 1
