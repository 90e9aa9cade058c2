"""Ride accounts: arrears block renewal and enter the deny list; paying restores both; every change is recorded."""

import pytest

from apps.transit import selectors, services
from apps.transit.models import AccountEvent, DenyListDelta, RideAccount
from citycode.errors import DomainError

from .conftest import jwk_of

pytestmark = pytest.mark.django_db


def _account(citizen) -> RideAccount:
    return RideAccount.objects.get(citizen=citizen)


def test_arrears_block_renewal_and_paying_restores_it(rider, operator, phone):
    from cryptography.hazmat.primitives.asymmetric import ec

    # Given a rider whose post-pay charge failed
    account = services.account_arrears_enter(account=_account(rider), reason="charge_failed",
                                             detail={"trip": 17, "amount_fen": 300})
    # When the wallet asks for a new certificate (renewal)
    key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(DomainError) as refused:
        services.certificate_issue(account=account, operator=operator, device_jwk=jwk_of(key))
    # Then it is refused, and no certificate row was written
    assert (refused.value.code, refused.value.status_code) == ("account_in_arrears", 403)
    assert selectors.certificate_list(account=account).count() == 1
    # And a server-signed code is refused just the same
    with pytest.raises(DomainError):
        services.server_code_issue(account=account, operator=operator)
    # When the debt is paid
    services.account_arrears_leave(account=account, detail={"paid_fen": 300})
    # Then a certificate is issued again
    issued = services.certificate_issue(account=account, operator=operator, device_jwk=jwk_of(key))
    assert issued.certificate.account_id == account.pk


def test_every_state_change_is_recorded_once_and_both_moves_are_idempotent(rider, phone):
    account = _account(rider)
    # When arrears are entered twice and left twice
    services.account_arrears_enter(account=account, reason="charge_failed", detail={"trip": 1})
    services.account_arrears_enter(account=account, reason="charge_failed", detail={"trip": 2})
    services.account_arrears_leave(account=account, detail={"paid_fen": 100})
    services.account_arrears_leave(account=account, detail={"paid_fen": 100})
    # Then each move is recorded once, with where it came from and why
    events = [(e.kind, e.from_status, e.to_status) for e in selectors.account_event_list(account=account)]
    assert events == [
        ("opened", "", "active"),
        ("arrears_entered", "active", "arrears"),
        ("arrears_left", "arrears", "active"),
    ]
    entered = AccountEvent.objects.get(account=account, kind="arrears_entered")
    assert entered.detail["reason"] == "charge_failed" and entered.detail["trip"] == 1
    assert len(entered.detail["denied_certificates"]) == 1
    # And the deny list got exactly one add and one remove, numbered without gaps
    deltas = list(DenyListDelta.objects.order_by("version").values_list("version", "action"))
    assert deltas == [(1, "add"), (2, "remove")]


def test_arrears_deny_only_this_rider_s_live_certificates(rider, operator, other_operator, issue_phone, phone,
                                                           make_citizen):
    # Given the rider holds certificates for two operators, and another rider holds one too
    issue_phone(rider, for_operator=other_operator)
    other = make_citizen(name="乘客丙")
    services.account_open(citizen=other, mode=RideAccount.Mode.POSTPAY, credit_limit_fen=5000)
    issue_phone(other)
    # When the rider falls into arrears
    services.account_arrears_enter(account=_account(rider), reason="charge_failed")
    # Then each operator's deny list names the rider's certificate for that operator, and nobody else's
    mine = set(selectors.certificate_list(account=_account(rider)).values_list("operator__slug", "pseudonym"))
    denied = set(DenyListDelta.objects.filter(action="add").values_list("operator__slug", "pseudonym"))
    assert denied == mine and len(mine) == 2
    assert not DenyListDelta.objects.filter(
        pseudonym__in=selectors.certificate_list(account=_account(other)).values("pseudonym")).exists()


def test_a_certificate_pseudonym_maps_back_only_for_its_operator(rider, operator, other_operator, phone):
    certificate = selectors.certificate_list(account=_account(rider)).get()
    assert selectors.account_for_pseudonym_get(pseudonym=certificate.pseudonym) == _account(rider)
    assert selectors.account_for_pseudonym_get(pseudonym=certificate.pseudonym, operator=operator) == _account(rider)
    # The metro operator cannot resolve the bus operator's pseudonym
    assert selectors.account_for_pseudonym_get(pseudonym=certificate.pseudonym, operator=other_operator) is None
    assert selectors.account_for_pseudonym_get(pseudonym="AAAAAAAAAAAAAAAA") is None


def test_a_second_account_is_refused_and_a_closed_account_gets_no_certificate(rider, operator, phone):
    with pytest.raises(DomainError) as twice:
        services.account_open(citizen=rider, mode=RideAccount.Mode.PREPAID)
    assert twice.value.code == "ride_account_exists"
    # When the account is closed, Then its live certificate is revoked and denied, and no new one is issued
    account = services.account_close(account=_account(rider), detail={"by": "rider"})
    assert DenyListDelta.objects.filter(action="add").count() == 1
    assert selectors.certificate_live_list(account=account).count() == 0
    with pytest.raises(DomainError) as closed:
        services.certificate_issue(account=account, operator=operator)
    assert closed.value.code == "account_closed"
    # And closing it again changes nothing (no second event)
    services.account_close(account=account)
    assert AccountEvent.objects.filter(account=account, kind="closed").count() == 1


def test_a_certificate_for_a_non_operator_or_a_bad_device_key_is_refused(rider, make_org):
    venue = make_org("city-library")
    with pytest.raises(DomainError) as wrong:
        services.certificate_issue(account=_account(rider), operator=venue)
    assert wrong.value.code == "unknown_operator"
    operator = make_org("bus-2", kind="transit_operator")
    # A point that is not on the curve, though each coordinate is 32 bytes
    bad = {"kty": "EC", "crv": "P-256", "x": "A" * 43, "y": "A" * 43}
    with pytest.raises(DomainError) as key:
        services.certificate_issue(account=_account(rider), operator=operator, device_jwk=bad)
    assert key.value.code == "bad_device_key"
    assert selectors.certificate_list(account=_account(rider)).count() == 0
