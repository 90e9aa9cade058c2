"""The transit pages without a browser: who may see what."""

import pytest
from django.test import Client

from apps.identity import services as identity_services
from apps.transit.models import RideAccount

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_staff_of_one_operator_see_its_readers_and_not_another_s(make_citizen, operator, other_operator, bus_reader):
    staff = make_citizen(name="司机甲")
    identity_services.membership_set(user=staff, organization=operator, role="staff")
    client = _client(staff)
    page = client.get("/transit/operators/city-bus/readers/")
    assert page.status_code == 200 and b"bus-1-front" in page.content
    # The other operator's readers: the same 404 as an operator that does not exist
    assert client.get("/transit/operators/metro-co/readers/").status_code == 404
    assert client.get("/transit/operators/nobody/readers/").status_code == 404
    # And someone who acts for no operator gets no reader page
    assert _client(make_citizen(name="路人")).get("/transit/reader/").status_code == 403


def test_opening_an_account_from_the_page_is_idempotent(make_citizen):
    citizen = make_citizen(name="新人")
    client = _client(citizen)
    assert client.post("/transit/ride-account/open").status_code == 302
    assert client.post("/transit/ride-account/open").status_code == 302
    assert RideAccount.objects.filter(citizen=citizen).count() == 1
    assert client.get("/transit/ride-account/open").status_code == 405


def test_the_pages_need_a_sign_in_and_the_service_worker_is_javascript(client):
    assert client.get("/transit/ride-code/").status_code == 302
    worker = client.get("/transit/sw.js")
    assert worker.status_code == 200 and worker["Content-Type"].startswith("application/javascript")
    assert b"/api/" in worker.content  # the API is never cached
