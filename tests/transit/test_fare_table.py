"""The fare table as data: what the reader package carries, what the engine reads, and each reader's dearest fare."""

import pytest

from apps.identity.models import Organization
from apps.transit import fare_services, fares, selectors
from tests.transit.fare_fixtures import Network
from tests.transit.test_fares import TABLE


@pytest.fixture
def network(make_org):
    return Network(make_org("city-bus", kind=Organization.Kind.TRANSIT_OPERATOR))


def test_the_exported_table_is_the_engine_s_table_for_every_concession(network):
    # Given the worked examples' fares stored as rows
    data = selectors.fare_table_get(operator=network.operator)
    # When the engine reads them back for an ordinary rider and a student
    plain, student = fares.table_from(data, concession="none"), fares.table_from(data, concession="student")
    # Then they price like the worked examples' table (rule ids differ; amounts, bands, limits and caps do not)
    assert sorted((r.mode, r.amount_fen, r.min_distance_m, r.max_distance_m, r.timeframe, r.priority)
                  for r in plain.leg_rules) == sorted(
        (r.mode, r.amount_fen, r.min_distance_m, r.max_distance_m, r.timeframe, r.priority) for r in TABLE.leg_rules)
    assert sorted((t.from_mode, t.to_mode, t.discount_fen, t.duration_limit_s, t.transfer_count)
                  for t in plain.transfer_rules) == sorted(
        (t.from_mode, t.to_mode, t.discount_fen, t.duration_limit_s, t.transfer_count) for t in TABLE.transfer_rules)
    assert (plain.daily_cap_fen, plain.weekly_cap_fen, plain.concession_percent) == (1200, 5000, 100)
    assert student.concession_percent == 50
    assert sorted(data["stop_positions_m"].values()) == [0, 5000, 8000, 20000]


def test_the_reader_package_carries_the_fares_and_the_dearest_fare_at_that_reader(network):
    # Given a default fare below the dearest metro fare
    fare_services.fare_network_set(operator=network.operator, default_fare_fen=100, unmatched_timeout_s=3 * 3600)
    bus = selectors.reader_package_get(reader=network.readers["bus1"])
    gate = selectors.reader_package_get(reader=network.readers["gateA"])
    # Then the bus validator's limit is the bus fare, the gate's the dearest metro band
    assert (bus["fare_fen"], gate["fare_fen"]) == (200, 500)
    # And both carry the same fare table, at its current version, and nothing about any rider
    assert bus["fares"] == gate["fares"] == selectors.fare_table_get(operator=network.operator)
    assert "pseudonym" not in str(bus["fares"])


def test_every_change_of_fare_data_bumps_the_version_and_a_repeat_does_not(network):
    version = selectors.fare_table_get(operator=network.operator)["version"]
    fare_services.cap_set(network=network.net, period="day", amount_fen=1200)  # unchanged
    assert selectors.fare_table_get(operator=network.operator)["version"] == version
    fare_services.cap_set(network=network.net, period="day", amount_fen=1500)
    assert selectors.fare_table_get(operator=network.operator)["version"] == version + 1


def test_an_operator_without_fares_exports_none_and_readers_check_no_extra_limit(make_org):
    operator = make_org("new-bus", kind=Organization.Kind.TRANSIT_OPERATOR)
    assert selectors.fare_table_get(operator=operator) is None
