"""The talent office certifies and revokes; the talent code follows the certification in force."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.codes.plugin_api import registry
from apps.talent import selectors, services

pytestmark = pytest.mark.django_db


def in_days(days):
    return timezone.localdate() + dt.timedelta(days=days)


def test_a_new_certification_supersedes_the_one_in_force(make_citizen):
    # Given a citizen certified at level C
    citizen = make_citizen()
    first = services.certification_issue(citizen=citizen, level="C", issued_by="人才中心", valid_until=in_days(90))
    # When the office certifies them at level A
    second = services.certification_issue(citizen=citizen, level="A", issued_by="人才中心", valid_until=in_days(90))
    # Then only the new one is in force and the talent code shows level A
    first.refresh_from_db()
    assert first.revoked and first.revoked_at is not None
    assert selectors.certification_in_force_get(citizen=citizen) == second
    assert registry.get("talent").claims_for(citizen)["lvl"] == "A"


def test_revoking_is_idempotent_and_ends_the_talent_code(make_citizen):
    citizen = make_citizen()
    certification = services.certification_issue(citizen=citizen, level="B", issued_by="人才中心",
                                                 valid_until=in_days(30))
    services.certification_revoke(certification=certification)
    revoked_at = certification.revoked_at
    services.certification_revoke(certification=certification)
    assert certification.revoked_at == revoked_at
    assert registry.get("talent").claims_for(citizen) is None
    assert registry.get("talent").provide(citizen=citizen, categories=["talent.certification"]) == {
        "talent.certification": {"certified": False}}


def test_an_expired_certification_holds_no_code(make_citizen):
    citizen = make_citizen()
    services.certification_issue(citizen=citizen, level="B", issued_by="人才中心", valid_until=in_days(1))
    assert selectors.certification_in_force_get(citizen=citizen, today=in_days(2)) is None


@pytest.mark.parametrize("level, valid_until, field", [("Z", 30, "level"), ("A", -1, "valid_until")])
def test_bad_input_is_refused_without_a_write(make_citizen, level, valid_until, field):
    citizen = make_citizen()
    with pytest.raises(ValidationError) as refused:
        services.certification_issue(citizen=citizen, level=level, issued_by="人才中心",
                                     valid_until=in_days(valid_until))
    assert field in refused.value.message_dict
    assert refused.value.error_dict[field][0].code == {"level": "invalid_choice", "valid_until": "past"}[field]
    assert not selectors.certification_list(citizen=citizen).exists()
