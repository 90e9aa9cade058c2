"""Identity's part of a citizen's data export."""

import json

import pytest

from apps.identity import selectors, services
from tests.conftest import valid_id_number

pytestmark = pytest.mark.django_db


def test_the_export_holds_the_profile_with_the_masked_number_and_the_memberships(make_citizen, make_org):
    # Given a citizen who is also staff of one organization and has a token
    number = valid_id_number(region="330106", birth="19900307", sequence="246")
    citizen = make_citizen(username="lin", name="林", id_number=number, phone="13955556666")
    services.membership_set(user=citizen, organization=make_org("city-library", kind="venue"), role="staff")
    _token, plain = services.auth_token_issue(user=citizen)

    # When identity's part of the export is built
    export = selectors.citizen_export(citizen=citizen)

    # Then it holds the profile with only the masked number, the memberships, and no API clients
    assert export["profile"]["username"] == "lin"
    assert export["profile"]["name"] == "林"
    assert export["profile"]["id_masked"] == "33" + "*" * 15 + number[-1:]
    assert export["profile"]["birth_date"] == "1990-03-07"
    assert export["profile"]["phone"] == "13955556666"
    assert export["profile"]["is_minor"] is False
    assert export["memberships"] == [
        {"organization": "city-library", "organization_name": "city-library", "role": "staff",
         "since": export["memberships"][0]["since"]}
    ]
    assert export["api_clients"] == []
    assert len(export["auth_tokens"]) == 1
    # And it is plain JSON carrying no secret: no full number, no keyed hash, no password or token hash
    text = json.dumps(export, ensure_ascii=False)
    for secret in (number[:17], citizen.id_hash, citizen.password, plain):
        assert secret not in text
    assert "key_hash" not in text and "id_hash" not in text


def test_a_citizen_with_nothing_else_exports_empty_lists(make_citizen):
    export = selectors.citizen_export(citizen=make_citizen())
    assert export["memberships"] == [] and export["api_clients"] == [] and export["auth_tokens"] == []
