"""Review finding: a reader with no grant learns nothing from a single-use refusal (it gets the generic
refusal, and the citizen's log shows the attempt), where before it was told `already_used`."""

import pytest

from apps.consent.models import AccessLog
from apps.identity.models import Organization
from tests.codes.test_single_use import _client, _log, _scan, _token, setting  # noqa: F401 (fixture)


@pytest.mark.django_db
def test_a_reader_without_a_grant_is_not_told_that_a_collected_code_was_used_to_board(setting, make_org):  # noqa: F811
    # Given alice's city code, used once to board a bus
    alice, token = setting["alice"], _token(setting["alice"])
    assert _scan(_client(setting["bus"]), token, "transit.boarding").status_code == 200
    # When a shop that collects codes, with no grant for boarding, scans the same code for boarding
    shop = _client(make_org("shop", kind=Organization.Kind.VENUE))
    rows = len(_log(alice))
    response = _scan(shop, token, "transit.boarding")
    # Then it gets the one generic refusal, never `already_used` (which says she rode),
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_disclosed"
    # and alice's log shows the shop's attempt as a denial
    assert len(_log(alice)) == rows + 1
    assert AccessLog.objects.filter(citizen=alice, organization_slug="shop", outcome="denied").exists()
