"""Settings come from the environment, strictly: production settings pass `check --deploy`, typos fail loudly."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from citycode import envvars

ROOT = Path(__file__).resolve().parents[1]


def _production_env(**overrides) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG", "TMPDIR"}}
    env.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "CITYCODE_ID_HASH_KEY": secrets.token_urlsafe(32),
            "CITYCODE_KEY_ENCRYPTION_KEY": secrets.token_urlsafe(32),
            "ALLOWED_HOSTS": "citycode.example,www.citycode.example",
            "DATABASE_URL": "postgres://citycode@127.0.0.1:1/citycode",  # never touched by `check`
            "CITYCODE_REALNAME_REGISTRY_STRICT": "true",
        }
    )
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_check_deploy_is_clean_with_production_settings():
    # Given production-like settings from the environment
    # When Django's deployment checks run, failing on any warning
    done = _manage(_production_env(), "check", "--deploy", "--fail-level", "WARNING")
    # Then there is nothing to report
    assert done.returncode == 0, done.stderr + done.stdout
    assert "no issues" in done.stdout


def test_check_deploy_catches_a_weak_secret_key_and_missing_hosts():
    # Given the same settings with a short secret key and no ALLOWED_HOSTS, Then the checks fail
    done = _manage(_production_env(SECRET_KEY="short", ALLOWED_HOSTS=None), "check", "--deploy",
                   "--fail-level", "WARNING")
    assert done.returncode != 0
    assert "security.W009" in done.stderr + done.stdout
    assert "security.W020" in done.stderr + done.stdout


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG must be true or false, not 'maybe'"),
        ({"SECRET_KEY": None}, "SECRET_KEY is required"),
        ({"SECRET_KEY": ""}, "SECRET_KEY is required"),
        ({"CITYCODE_ID_HASH_KEY": None}, "CITYCODE_ID_HASH_KEY is required"),
        ({"CITYCODE_KEY_ENCRYPTION_KEY": None}, "CITYCODE_KEY_ENCRYPTION_KEY is required"),
        ({"CONN_MAX_AGE": "forever"}, "CONN_MAX_AGE must be an integer"),
        ({"SECURE_SSL_REDIRECT": "sometimes"}, "SECURE_SSL_REDIRECT must be true or false"),
    ],
)
def test_a_bad_or_missing_setting_stops_start_up(overrides, message):
    done = _manage(_production_env(**overrides), "check")
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert message in done.stderr


def test_debug_true_needs_no_secrets():
    env = _production_env(DEBUG="true", SECRET_KEY=None, CITYCODE_ID_HASH_KEY=None, CITYCODE_KEY_ENCRYPTION_KEY=None)
    done = _manage(env, "check")
    assert done.returncode == 0, done.stderr


# --- the strict readers themselves -------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "value"), [("true", True), ("1", True), ("YES", True), (" on ", True),
                                            ("false", False), ("0", False), ("No", False), ("off", False)])
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, value):
    monkeypatch.setenv("CITYCODE_TEST_FLAG", raw)
    assert envvars.env_bool("CITYCODE_TEST_FLAG") is value


@pytest.mark.parametrize("raw", ["maybe", "tru", "2", "y es"])
def test_env_bool_refuses_anything_else(monkeypatch, raw):
    monkeypatch.setenv("CITYCODE_TEST_FLAG", raw)
    with pytest.raises(ImproperlyConfigured):
        envvars.env_bool("CITYCODE_TEST_FLAG")


def test_unset_or_empty_variables_take_the_default(monkeypatch):
    monkeypatch.delenv("CITYCODE_TEST_VALUE", raising=False)
    assert envvars.env_bool("CITYCODE_TEST_VALUE", default=True) is True
    assert envvars.env_int("CITYCODE_TEST_VALUE", 7) == 7
    assert envvars.env_str("CITYCODE_TEST_VALUE", "x") == "x"
    assert envvars.env_list("CITYCODE_TEST_VALUE", ["a"]) == ["a"]
    monkeypatch.setenv("CITYCODE_TEST_VALUE", "")
    assert envvars.env_str("CITYCODE_TEST_VALUE", "x") == "x"
    with pytest.raises(ImproperlyConfigured):
        envvars.env_str("CITYCODE_TEST_VALUE", required=True)


def test_env_int_and_env_list(monkeypatch):
    monkeypatch.setenv("CITYCODE_TEST_VALUE", "42")
    assert envvars.env_int("CITYCODE_TEST_VALUE", 0) == 42
    monkeypatch.setenv("CITYCODE_TEST_VALUE", "4.2")
    with pytest.raises(ImproperlyConfigured):
        envvars.env_int("CITYCODE_TEST_VALUE", 0)
    monkeypatch.setenv("CITYCODE_TEST_VALUE", " a.example , ,b.example,")
    assert envvars.env_list("CITYCODE_TEST_VALUE", []) == ["a.example", "b.example"]


def test_every_variable_the_settings_read_is_documented_in_env_example():
    # Given every variable name the settings read through the strict readers
    import re

    source = (ROOT / "citycode" / "settings.py").read_text()
    read = set(re.findall(r"env_(?:str|bool|int|list)\(\s*\"([A-Z0-9_]+)\"", source))
    documented = set(re.findall(r"^#?\s*([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    # Then .env.example lists each one
    assert read, "no env reads found"
    assert read - documented == set()


def test_debug_defaults_to_true_only_inside_pytest():
    # Inside this pytest run DEBUG needs no variable; any other process (server, worker, manage.py) defaults to false
    assert envvars.running_under_pytest() is True
    env = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME"}}
    done = subprocess.run([sys.executable, "-c", "from citycode import envvars; print(envvars.running_under_pytest())"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr
    done = _manage(_production_env(SECRET_KEY=None, DEBUG=None), "check")
    assert done.returncode != 0 and "SECRET_KEY is required" in done.stderr


# --- deployment files (Docker cannot run here: check what can be checked without it) ------------------------


def test_compose_file_defines_the_stack_with_healthchecks():
    import yaml

    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker", "beat"}
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    for name in ("postgres", "redis", "web", "worker", "beat"):
        assert services[name]["healthcheck"]["test"], name
    assert services["worker"]["command"][:4] == ["celery", "-A", "citycode", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "citycode", "beat"]
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["env_file"] == "../.env"
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://citycode:")


def test_dockerfile_runs_gunicorn_as_a_non_root_user():
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    assert dockerfile.startswith("# ") and "FROM python:3.11-slim" in dockerfile
    assert "RUN pip install ." in dockerfile and "collectstatic --noinput" in dockerfile
    user_line = next(line for line in dockerfile.splitlines() if line.startswith("USER "))
    assert user_line.split()[1] not in {"root", "0"}
    assert dockerfile.index("USER citycode") > dockerfile.index("collectstatic")
    assert "gunicorn citycode.wsgi:application" in dockerfile and "${WEB_CONCURRENCY}" in dockerfile


@pytest.mark.parametrize(
    ("allowed", "host"),
    [("citycode.example,b", "citycode.example"), (".city.example", "city.example"),
     ("*", "localhost"), ("", "localhost")],
)
def test_the_container_healthcheck_names_an_allowed_host(monkeypatch, allowed, host):
    import importlib.util

    spec = importlib.util.spec_from_file_location("docker_healthcheck", ROOT / "docker" / "healthcheck.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setenv("ALLOWED_HOSTS", allowed)
    assert module.host() == host
