"""The money pages in a real browser: a rider's balance, top-up, debt and trips with their explanations; the
operator's uploads and settlement. Mobile viewport (390×844), zh-Hans by default and English on request."""

import datetime as dt

import pytest

from apps.identity import services as identity
from apps.identity.models import Organization
from apps.transit import fare_services
from apps.transit.models import SettlementRun
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD
from tests.transit.fare_fixtures import CST, Network, tap, upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
YESTERDAY = (dt.datetime.now(CST) - dt.timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)


@pytest.fixture
def network(make_org):
    return Network(make_org("city-bus", kind=Organization.Kind.TRANSIT_OPERATOR))


def _ride_and_settle(network, cert):
    p = cert.pseudonym
    upload(network.readers["bus1"], "b", [tap("b1", YESTERDAY, p, "board")])
    upload(network.readers["gateA"], "a", [tap("a1", YESTERDAY + dt.timedelta(minutes=20), p, "in")])
    upload(network.readers["gateC"], "c", [tap("c1", YESTERDAY + dt.timedelta(minutes=45), p, "out")])
    run = SettlementRun.objects.create(operator=network.operator, cutoff_s=int(dt.datetime.now(CST).timestamp()))
    fare_services.settlement_execute(run_id=run.pk)


def test_a_rider_sees_each_fare_explained_and_tops_up(page, network, make_citizen):
    # Given alice rode a bus then the metro 8 km yesterday, settled (2 yuan, then 4 − 1 transfer)
    alice = make_citizen(username="alice-rider")
    _account, cert = network.rider(alice, balance_fen=1000)
    _ride_and_settle(network, cert)
    # When she opens her ride money page (Chinese by default)
    log_in(page, "alice-rider", PASSWORD)
    page.goto("/transit/money/")
    # Then her balance and both trips show, the metro trip with its distance rule and the transfer, in Chinese
    assert page.inner_text("[data-testid=balance]") == "¥5.00"
    trips = page.locator("[data-testid=trip]")
    assert trips.count() == 2
    metro = trips.nth(0)
    assert metro.get_attribute("data-charged-fen") == "300"
    steps = metro.inner_text()
    assert "8.0 公里" in steps and "换乘" in steps and "−¥1.00" in steps
    page.screenshot(path="/tmp/transit_money_zh.png", full_page=True)
    # When she tops up 20 yuan
    page.check("[data-testid=top-up-20]")
    page.click("[data-testid=top-up]")
    page.wait_for_selector(".notice")
    # Then the balance shows it, once
    assert page.inner_text("[data-testid=balance]") == "¥25.00"
    # And in English the same page explains the fares in English
    page.click("[data-testid=lang-switch]")
    page.wait_for_load_state()
    page.goto("/transit/money/")
    assert page.inner_text("[data-testid=money-title]") == "Ride money"
    assert "Transfer from Bus within 90 minutes" in page.locator("[data-testid=trip]").nth(0).inner_text()


def test_a_post_pay_rider_in_arrears_pays_the_debt_and_leaves_arrears(page, network, make_citizen):
    # Given bob (post-pay, credit 1 yuan) whose rides were settled beyond his credit
    bob = make_citizen(username="bob-rider")
    account, cert = network.rider(bob, mode="postpay", credit_limit_fen=100)
    _ride_and_settle(network, cert)
    account.refresh_from_db()
    assert account.status == "arrears"
    log_in(page, "bob-rider", PASSWORD)
    page.goto("/transit/money/")
    assert page.locator("[data-testid=arrears]").count() == 1
    # When he pays the debt
    page.click("[data-testid=pay-debt]")
    page.wait_for_selector(".notice")
    # Then nothing is owed and the arrears notice is gone
    assert page.inner_text("[data-testid=balance]") == "¥0.00"
    assert page.locator("[data-testid=arrears]").count() == 0
    account.refresh_from_db()
    assert account.status == "active"


def test_a_dispatcher_settles_and_sees_uploads_and_totals_and_another_operator_sees_nothing(
        page, network, make_citizen, make_org):
    # Given a rider's taps uploaded, a dispatcher of this operator and one of another
    _account, cert = network.rider(make_citizen(), balance_fen=1000)
    upload(network.readers["bus1"], "b", [tap("b1", YESTERDAY, cert.pseudonym, "board")])
    dispatcher, other = make_citizen(username="dispatcher1"), make_citizen(username="other1")
    identity.membership_set(user=dispatcher, organization=network.operator, role="staff")
    identity.membership_set(user=other, organization=make_org("other-bus", kind=Organization.Kind.TRANSIT_OPERATOR),
                            role="staff")
    # When the dispatcher opens the operator pages
    log_in(page, "dispatcher1", PASSWORD)
    page.goto("/transit/operator/")
    page.wait_for_selector("[data-testid=operator-title]")
    assert page.inner_text("[data-testid=pending]") == "1"
    assert page.locator("[data-testid=upload]").count() == 1
    # And settles: a run is queued for the worker (run here by the test, as the worker would)
    page.click("[data-testid=settle]")
    page.wait_for_selector("[data-testid=run]")
    run = SettlementRun.objects.get()
    fare_services.settlement_execute(run_id=run.pk)
    page.goto("/transit/operator/city-bus/money")
    # Then the run, its trips and the day's total show
    assert page.locator("[data-testid=run]").first.get_attribute("data-status") == "done"
    assert page.inner_text("[data-testid=run-charged]") == "¥2.00"
    assert page.locator("[data-testid=total]").count() == 1
    page.screenshot(path="/tmp/transit_operator.png", full_page=True)
    # And a dispatcher of another operator gets a 404 for this operator's page
    page.context.clear_cookies()
    log_in(page, "other1", PASSWORD)
    response = page.goto("/transit/operator/city-bus/money")
    assert response.status == 404
