"""The built-in city code passes the same contract as every plugged-in code type, plus its own rules."""

import datetime as dt

import pytest

from apps.codes.plugin_api import registry
from tests.codes.contract import CodeTypeContract


class TestCityCodeContract(CodeTypeContract):
    code_type_key = "city"
    everyone_holds = True
    max_token_chars = 200  # DESIGN.md: the city code is at most 200 characters

    @pytest.fixture
    def holder(self, make_citizen):
        return make_citizen(name="李爱丽", birth="19900307")


@pytest.mark.django_db
def test_the_city_code_lives_at_most_five_minutes_and_carries_no_claims(make_citizen):
    city = registry.get("city")
    assert city.lifetime <= dt.timedelta(minutes=5)
    assert city.claims_for(make_citizen()) == {}


@pytest.mark.django_db
def test_the_city_code_provides_the_identity_categories(make_citizen):
    # Given an adult and a child
    adult = make_citizen(name="李爱丽", birth="19900307")
    child = make_citizen(name="陈可乐", birth="20150901")
    city = registry.get("city")
    # When each identity category is asked for
    everything = ["identity.name", "identity.id_masked", "identity.phone", "identity.adult"]
    values = city.provide(citizen=adult, categories=everything)
    # Then the values come from the citizen's record; the ID number only masked
    assert values == {"identity.name": "李爱丽", "identity.id_masked": adult.id_masked,
                      "identity.phone": adult.phone, "identity.adult": True}
    assert "*" in values["identity.id_masked"]
    assert city.provide(citizen=child, categories=["identity.adult"]) == {"identity.adult": False}


@pytest.mark.django_db
def test_an_account_without_a_verified_real_name_holds_no_city_code():
    from apps.identity.models import Citizen

    staff = Citizen.objects.create(username="staff-only")
    assert registry.get("city").claims_for(staff) is None


@pytest.mark.django_db
def test_the_city_code_delegates_other_categories_to_their_provider(make_citizen):
    # Given a citizen certified by the talent office (a plugged-in code type)
    from apps.talent import services as talent_services

    citizen = make_citizen()
    talent_services.certification_issue(citizen=citizen, level="A", issued_by="人才中心",
                                        valid_until=dt.date.today() + dt.timedelta(days=30))
    # When the city code presents identity and talent categories
    values = registry.get("city").present(verified=None, citizen=citizen,
                                          categories=["identity.name", "talent.certification", "health.colour"])
    # Then identity comes from the city code, talent from the talent code, and nobody's category reads None
    assert values["identity.name"] == citizen.name
    assert values["talent.certification"]["level"] == "A"
    assert values["health.colour"] is None
