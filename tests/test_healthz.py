"""/healthz: 200 when the database and broker answer, 503 (with the failing check named) when either is down.

The "down" cases are real: a separate process configured with an unreachable PostgreSQL or Redis.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import services_required

ROOT = Path(__file__).resolve().parents[1]
UNREACHABLE_DB = "postgres://postgres@127.0.0.1:1/nope"
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"

_CLIENT_SCRIPT = """
import json, os
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citycode.settings")
django.setup()
from django.test import Client
response = Client().get("/healthz")
print(json.dumps({"status": response.status_code, "body": json.loads(response.content)}))
"""


def _env(tmp_path, **overrides) -> dict[str, str]:
    """A clean environment: nothing inherited from the test run's own configuration."""
    env = {key: value for key, value in os.environ.items()
           if key in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV", "SYSTEMROOT"}}
    env.update({"DEBUG": "true", "DATABASE_URL": f"sqlite:///{tmp_path / 'health.sqlite3'}", "LOG_LEVEL": "CRITICAL"})
    env.update(overrides)
    return env


def _healthz_in_a_process(env: dict[str, str]) -> tuple[int, dict]:
    done = subprocess.run([sys.executable, "-c", _CLIENT_SCRIPT], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["status"], result["body"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.django_db
def test_healthy_is_200_json(client):
    # Given the test database and (eager) Celery, When /healthz is asked
    response = client.get("/healthz")
    # Then it answers 200 with each check
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_only_answers_get(client):
    assert client.post("/healthz").status_code == 405


def test_database_down_is_503_from_a_real_gunicorn(tmp_path):
    # Given the production server started against an unreachable PostgreSQL
    port = _free_port()
    env = _env(tmp_path, DATABASE_URL=UNREACHABLE_DB, WEB_CONCURRENCY="1")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "citycode.wsgi", "--bind", f"127.0.0.1:{port}", "--timeout", "60"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        # When /healthz is asked over HTTP
        status, body = None, None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                pytest.fail(f"gunicorn exited: {server.stderr.read()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as response:
                    status, body = response.status, json.load(response)
            except urllib.error.HTTPError as error:
                status, body = error.code, json.load(error)
            except (ConnectionError, urllib.error.URLError):
                time.sleep(0.2)
                continue
            break
        # Then it is 503 and names the database as the failing check
        assert status == 503, body
        assert body["status"] == "unavailable"
        assert body["checks"]["database"]["ok"] is False
        assert body["checks"]["database"]["error"] == "OperationalError"
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_database_down_is_503(tmp_path):
    status, body = _healthz_in_a_process(_env(tmp_path, DATABASE_URL=UNREACHABLE_DB))
    assert status == 503
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["broker"]["ok"] is True


def test_broker_down_is_503(tmp_path):
    # Given a reachable database but an unreachable Redis broker
    status, body = _healthz_in_a_process(_env(tmp_path, CELERY_BROKER_URL=UNREACHABLE_BROKER))
    # Then /healthz is 503 and names the broker
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is False


def test_a_real_redis_broker_is_healthy(tmp_path):
    if not _redis_up():
        if services_required():
            pytest.fail("CITYCODE_REQUIRE_SERVICES is set but Redis is not running on 127.0.0.1:6379")
        pytest.skip("needs Redis on 127.0.0.1:6379")
    status, body = _healthz_in_a_process(_env(tmp_path, CELERY_BROKER_URL="redis://127.0.0.1:6379/0"))
    assert status == 200, body
    assert body["checks"]["broker"]["ok"] is True
    assert "mode" not in body["checks"]["broker"]  # a real connection, not eager mode
