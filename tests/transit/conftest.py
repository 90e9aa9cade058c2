"""Fixtures of the ride code: operators with a reader each, a rider with a prepaid account and a phone key,
and helpers that make codes exactly as the wallet page does (a P-256 key signing certificate + time + counter)."""

import time
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from apps.codes.plugin_api import b64u
from apps.identity.models import Organization
from apps.transit import reader as reader_logic
from apps.transit import ride_code, selectors, services
from apps.transit.models import RideAccount


def jwk_of(private_key: Any) -> dict[str, str]:
    numbers = private_key.public_key().public_numbers()
    return {"kty": "EC", "crv": "P-256", "x": b64u(numbers.x.to_bytes(32, "big")),
            "y": b64u(numbers.y.to_bytes(32, "big"))}


@dataclass
class Phone:
    """A rider's phone: its private key and the certificate it holds."""

    key: Any
    certificate: bytes
    counter: int = 0

    def code(self, *, at: float | None = None) -> str:
        self.counter += 1
        return ride_code.code_encode_device(certificate=self.certificate, generated_at=int(at or time.time()),
                                            counter=self.counter, device_key=self.key)


@pytest.fixture
def operator(make_org):
    return make_org("city-bus", kind=Organization.Kind.TRANSIT_OPERATOR)


@pytest.fixture
def other_operator(make_org):
    return make_org("metro-co", kind=Organization.Kind.TRANSIT_OPERATOR)


@pytest.fixture
def bus_reader(operator):
    line = services.line_create(operator=operator, code="B1", name_zh="1路", name_en="Bus 1", mode="bus")
    reader, secret = services.reader_register(operator=operator, device_id="bus-1-front", kind="bus", line=line)
    reader.secret = secret
    return reader


@pytest.fixture
def rider(make_citizen):
    citizen = make_citizen(name="乘客甲")
    account = services.account_open(citizen=citizen, mode=RideAccount.Mode.PREPAID)
    RideAccount.objects.filter(pk=account.pk).update(balance_fen=5000)
    return citizen


@pytest.fixture
def issue_phone(operator):
    def issue(citizen, *, for_operator=None) -> Phone:
        key = ec.generate_private_key(ec.SECP256R1())
        account = selectors.ride_account_get(citizen=citizen)
        issued = services.certificate_issue(account=account, operator=for_operator or operator,
                                            device_jwk=jwk_of(key))
        return Phone(key=key, certificate=issued.encoded)

    return issue


@pytest.fixture
def phone(rider, issue_phone):
    return issue_phone(rider)


@pytest.fixture
def package_of():
    def package(reader, since: int = 0) -> reader_logic.ReaderPackage:
        return reader_logic.ReaderPackage.from_json(selectors.reader_package_get(reader=reader, since=since))

    return package
