"""Every API operation, fed generated input (valid and invalid), answers with a 2xx/3xx or a clean 4xx.

DESIGN.md, "Reliability and security rules": bad input gets a clear error (HTTP 4xx with a machine-readable
code), never a 500. Schemathesis reads the OpenAPI schema drf-spectacular builds from the views, generates
requests for every operation (schema-conforming and schema-violating ones) and sends them through the real
WSGI application, three ways: without credentials, as a citizen (Bearer token) and as an organization's API
client holding the data bureau's scope (`consent.admin`).

Bounded on purpose: a fixed seed, deterministic generation and a small number of examples per operation, so
the run is the same every time and fits in the normal `make test`.
"""

import json

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from apps.consent.services import ADMIN_SCOPE
from apps.identity import services as identity_services
from apps.identity.models import Organization
from citycode.wsgi import application

MAX_EXAMPLES = 15
SEED = 20200211  # the day Hangzhou's health code launched

_raw_schema = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))

schema = schemathesis.openapi.from_dict(
    _raw_schema,
    config=SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "generation": {
                "mode": "all",  # schema-conforming and schema-violating input
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            # Examples: the schema's own; fuzzing: generated; coverage: boundary values and wrong types,
            # derived deterministically from the schema. Stateful runs (links between operations) are out.
            "phases": {"stateful": {"enabled": False}},
        }
    ),
)
schema.app = application

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI handler closes the database connection after each request; on PostgreSQL that would end the test's
    transaction. Django's own test Client switches this off the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=["anonymous", "citizen", "api_key"])
def auth_headers(request, make_citizen):
    """Credentials sent with every generated request (they replace any generated Authorization header)."""
    if request.param == "anonymous":
        return {}
    if request.param == "citizen":
        _token, plain = identity_services.auth_token_issue(user=make_citizen())
        return {"Authorization": f"Bearer {plain}"}
    bureau = identity_services.organization_create(
        slug="robustness-bureau", name="robustness bureau", kind=Organization.Kind.DEPARTMENT
    )
    _client, key = identity_services.api_client_create(organization=bureau, name="fuzzer", scopes=[ADMIN_SCOPE])
    return {"Authorization": f"Api-Key {key}"}


def assert_error_shape(response) -> None:
    """A 4xx body is exactly {"error": {"code": <non-empty str>, "message": <str>, ...}}."""
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"{response.status_code} body is not JSON: {response.content[:300]!r}") from None
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error, dict), body
    assert isinstance(error.get("code"), str) and error["code"], body
    assert isinstance(error.get("message"), str), body


@schema.parametrize()
# The credentials fixture is deliberately shared by all of an operation's examples; no per-example deadline
# (the suite asserts behaviour, never timing).
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
def test_generated_requests_never_fail_the_server(case, auth_headers):
    # Given a generated request for one operation (valid or not), with this test's credentials
    headers = {**(case.headers or {}), **auth_headers} if auth_headers else None

    # When it is sent through the WSGI application (rate limits reset: they would mask everything after the
    # first few examples, and tests/identity covers them)
    cache.clear()
    response = case.call(headers=headers)

    # Then the server never fails, and every client error carries the one error shape
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}\n"
        f"query={case.query!r} body={case.body!r}\n{response.content[:1000]!r}"
    )
    if 400 <= response.status_code < 500:
        assert_error_shape(response)
