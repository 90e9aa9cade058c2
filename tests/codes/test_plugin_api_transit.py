"""Contract of what apps.transit needs from the plugin API (its section at the end of plugin_api.py)."""

import pytest
from rest_framework import status

from apps.codes import plugin_api
from apps.identity import credentials
from apps.identity.models import Organization
from citycode.error_codes import ErrorCodeEnum
from citycode.errors import DomainError


class _Codes(ErrorCodeEnum):
    SOMETHING = "something_transit_test", 409


def test_domain_error_is_core_s_domain_error_with_the_member_s_status():
    # Given a plugin's error-code member
    # When the plugin builds its error through the plugin API
    error = plugin_api.domain_error(_Codes.SOMETHING, "msg", fields={"x": []})
    # Then it is core's DomainError: the API answers with the member's code and status
    assert isinstance(error, DomainError)
    assert (error.code, error.status_code, error.message, error.fields) == (
        "something_transit_test", status.HTTP_409_CONFLICT, "msg", {"x": []})


def test_secrets_are_identity_s_fresh_256_bit_tokens_and_their_digest():
    first, second = plugin_api.secret_new(), plugin_api.secret_new()
    assert first != second and len(first) >= 43
    assert plugin_api.secret_digest(first) == credentials.digest(first) != plugin_api.secret_digest(second)


@pytest.mark.django_db
def test_organization_get_finds_by_slug_or_none(make_org):
    org = make_org("bus-co", kind=Organization.Kind.TRANSIT_OPERATOR)
    assert plugin_api.organization_get(slug="bus-co") == org
    assert plugin_api.organization_get(slug="nobody") is None


def test_the_transit_names_are_exported():
    assert {"ErrorCodeEnum", "domain_error", "secret_digest", "secret_new", "organization_get"} <= set(
        plugin_api.__all__)
