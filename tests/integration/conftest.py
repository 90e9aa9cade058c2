"""A real Celery worker process against the configured broker and the test database."""

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from citycode.celery import app as celery_app
from tests.conftest import services_required

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{s['NAME']}"
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker):
    """Start `celery worker` on a private queue; yield the queue name; stop it at the end of the session."""
    if not settings.CELERY_BROKER_URL or connection.vendor == "sqlite":
        if services_required():
            pytest.fail("CITYCODE_REQUIRE_SERVICES is set but no broker/PostgreSQL is configured")
        pytest.skip("needs CELERY_BROKER_URL and PostgreSQL (set by .ci/run)")
    queue = f"citycode-test-{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "DEBUG": "true",
        }
    log = open(ROOT / ".pytest_cache" / "celery-worker.log", "w") if (ROOT / ".pytest_cache").exists() else None
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "citycode", "worker", "--pool=solo", "--concurrency=1",
         "-Q", queue, "--without-gossip", "--without-mingle", "--loglevel=INFO", "-n", f"{queue}@%h"],
        cwd=ROOT, env=env, stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    previous_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    celery_app.conf.task_always_eager = False
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"celery worker exited with {proc.returncode}")
            replies = celery_app.control.ping(timeout=1, destination=[f"{queue}@{socket.gethostname()}"])
            if replies:
                break
        else:
            pytest.fail("celery worker did not answer a ping within 60 s")
        yield queue
    finally:
        celery_app.conf.task_default_queue = previous_queue
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log:
            log.close()
