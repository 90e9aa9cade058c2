"""The appeal escalation runs in a real Celery worker (tests/integration's fixture): an overdue appeal escalates
there, once, and raises the alert the commission and the data bureau see."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.health import services, tasks
from apps.health.models import Alert, Appeal
from tests.integration.conftest import celery_worker  # noqa: F401 - the real worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_an_overdue_appeal_escalates_in_a_real_worker(celery_worker, citizen, officer):  # noqa: F811
    # given an appeal whose 48 hours are over (filed 49 hours ago)
    services.colour_set(citizen=citizen, to_colour="red", cause="manual", reason_code="close_contact",
                        legal_reference="law", decided_by=officer)
    filed = timezone.now() - dt.timedelta(hours=49)
    appeal = Appeal.objects.create(citizen=citizen, colour="red", grounds="not_there", statement="x",
                                   filed_at=filed, due_at=filed + dt.timedelta(hours=48))
    # when the beat task is sent to the worker, twice
    first = tasks.appeals_escalate.delay().get(timeout=60)
    second = tasks.appeals_escalate.delay().get(timeout=60)
    # then the worker escalated it once, with one alert
    assert (first, second) == (1, 0)
    appeal.refresh_from_db()
    assert appeal.state == "escalated" and appeal.escalated_at is not None
    assert Alert.objects.filter(kind="appeal_overdue", subject=f"appeal:{appeal.pk}").count() == 1
