import pytest

from apps.identity.tasks import ping
from citycode.celery import app as celery_app

pytestmark = pytest.mark.integration


def test_a_task_round_trips_through_the_broker_and_a_real_worker(celery_worker):
    # Given a worker process listening on the broker, and tasks not run eagerly
    assert celery_app.conf.task_always_eager is False
    # When a task is sent
    result = ping.delay("hello")
    # Then the worker runs it and the result comes back through the result backend
    payload = result.get(timeout=30)
    assert payload["echo"] == "hello"
    assert payload["worker"]
    assert result.successful()
