import datetime as dt

import pytest
from django.utils import timezone

from apps.health import reference_rules, services
from apps.identity import services as identity_services
from apps.identity.models import Organization
from tests.conftest import valid_id_number

NOW = dt.datetime(2022, 6, 15, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def commission(db):
    return identity_services.organization_create(slug="health-commission", name="市卫生健康委员会",
                                                 kind=Organization.Kind.DEPARTMENT)


@pytest.fixture
def officer(commission, make_citizen):
    person = make_citizen(username="officer")
    identity_services.membership_set(user=person, organization=commission, role="staff")
    return person


@pytest.fixture
def regions(officer):
    """Both reference regions with their 1.0.0 rules in force since 2022-06-01 (published with notice)."""
    made = {}
    for code, name_zh, name_en, prefix, default, title_zh, title_en, rules, tests in reference_rules.REGIONS:
        region = services.region_upsert(code=code, name_zh=name_zh, name_en=name_en, id_prefix=prefix,
                                        is_default=default)
        draft = services.rule_set_draft_save(
            user=officer, region=region, version="1.0.0", title_zh=title_zh, title_en=title_en, rules_=rules,
            test_cases=tests, valid_from=dt.datetime(2022, 6, 1, tzinfo=dt.UTC))
        services.rule_set_publish(user=officer, version=draft, now=dt.datetime(2022, 5, 20, tzinfo=dt.UTC))
        made[code] = region
    services.rule_sets_activate(now=dt.datetime(2022, 6, 1, tzinfo=dt.UTC))
    return made


_seq = {"n": 0}


@pytest.fixture
def resident(make_citizen):
    """A citizen registered in a region ('33' Hangzhou-like, '42' Hubei-like); returns (citizen, id number)."""

    def make(prefix: str = "33"):
        _seq["n"] += 1
        number = valid_id_number(region=f"{prefix}0102", birth="19800101", sequence=f"{_seq['n'] % 1000:03d}")
        return make_citizen(id_number=number), number

    return make


@pytest.fixture
def frozen_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW
