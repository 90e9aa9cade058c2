"""The trust-list pin comes only from the operator, never from the document; lists travel over https or as files.

A wrapper file could carry its own "pin": an attacker who can hand the bureau a file (or answer a plain-http
fetch) would then pin their own key and have our readers trust every code they sign.
"""

import json
import urllib.request

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.codes import services
from apps.codes.models import PeerKey
from citycode.errors import DomainError
from tests.codes.test_trust import PeerCity

pytestmark = pytest.mark.django_db


def test_a_pin_inside_the_document_is_never_used(tmp_path):
    # Given an impostor's list wrapped with the impostor's own key as its "pin"
    impostor = PeerCity(issuer="SZ")
    path = tmp_path / "sz.json"
    path.write_text(json.dumps({"trust_list": impostor.trust_list(), "pin": {"jwk": impostor.jwk}}))
    # When the bureau imports it without pinning a key itself
    with pytest.raises(CommandError, match="trust_list_invalid"):
        call_command("import_trust_list", str(path))
    # Then nothing was imported
    assert not PeerKey.objects.exists()
    # And the service refuses the same document's pin too
    with pytest.raises(DomainError) as refused:
        services.trust_list_import(document={"trust_list": impostor.trust_list(), "pin": {"jwk": impostor.jwk}})
    assert refused.value.code == "trust_list_invalid"


def test_the_operators_pin_decides_even_when_the_wrapper_names_another(tmp_path):
    # Given the real peer's list in a wrapper whose pin names an impostor's key
    peer, impostor = PeerCity(issuer="SZ"), PeerCity(issuer="SZ")
    path = tmp_path / "sz.json"
    path.write_text(json.dumps({"trust_list": peer.trust_list(), "pin": {"jwk": impostor.jwk}}))
    # When the operator pins the real peer's key, the list imports
    call_command("import_trust_list", str(path), f"--pin-thumbprint={peer.thumbprint}")
    assert list(PeerKey.objects.values_list("kid", flat=True)) == [peer.signer.kid]
    # And when the impostor's list comes wrapped with the real peer's pin, the operator's pin refuses it
    path.write_text(json.dumps({"trust_list": impostor.trust_list(), "pin": {"jwk": peer.jwk}}))
    with pytest.raises(CommandError, match="trust_list_invalid"):
        call_command("import_trust_list", str(path), f"--pin-thumbprint={peer.thumbprint}")
    assert list(PeerKey.objects.values_list("kid", flat=True)) == [peer.signer.kid]


def test_plain_http_is_refused_before_any_request(monkeypatch):
    # Given a trust list offered over plain http
    def no_network(*args, **kwargs):
        raise AssertionError("no request may be made for an http:// trust list")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    peer = PeerCity(issuer="SZ")
    # When the bureau tries to import it, it is refused with a reason, and nothing is fetched or stored
    with pytest.raises(CommandError, match="https"):
        call_command("import_trust_list", "http://peer.example/api/v1/trust-list",
                     f"--pin-thumbprint={peer.thumbprint}")
    assert not PeerKey.objects.exists()
