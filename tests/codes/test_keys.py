"""Issuer keys: encrypted at rest, lazy creation, rotation active -> retiring -> retired, JWKS."""

import datetime as dt

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from apps.codes import caches, keys, selectors, services, tokens
from apps.codes.models import IssuerKey
from apps.codes.tokens import VerificationFailed

pytestmark = pytest.mark.django_db

FIVE_MINUTES = dt.timedelta(minutes=5)


def test_migrate_creates_the_first_key_and_the_jwks_is_never_empty(api):
    # Given a freshly migrated city (the test database was made by migrate)
    # Then one active key exists and is published before any code was issued
    key = IssuerKey.objects.get()
    assert key.status == IssuerKey.Status.ACTIVE
    assert [entry["kid"] for entry in api.get("/.well-known/jwks.json").json()["keys"]] == [key.kid]


def test_reading_public_documents_never_creates_a_key(api):
    # Given a city whose keys are all gone (an operator deleted them)
    IssuerKey.objects.all().delete()
    caches.forget_process_caches()
    # When the public documents are read
    assert api.get("/.well-known/jwks.json").json() == {"keys": []}
    for url in ("/api/v1/trust-list", "/api/v1/status-lists/city"):
        response = api.get(url)
        assert response.status_code in (404, 503), (url, response.status_code)  # never a 500
    # Then no read created one: creating is a service's job (migrate, seed_demo, rotation, issuing)
    assert not IssuerKey.objects.exists()


def test_first_issue_creates_one_active_key_lazily(make_citizen):
    # Given no key at all
    IssuerKey.objects.all().delete()
    caches.forget_process_caches()
    assert not IssuerKey.objects.exists()
    # When two tokens are issued
    first = services.token_issue(citizen=make_citizen(), code_type="city", lifetime=FIVE_MINUTES)
    second = services.token_issue(citizen=make_citizen(), code_type="city", lifetime=FIVE_MINUTES)
    # Then exactly one active key signed both
    key = IssuerKey.objects.get()
    assert key.status == IssuerKey.Status.ACTIVE
    assert first.kid == second.kid == key.kid == keys.kid_for(key.public_jwk)
    assert key.issuer == settings.CITYCODE_ISSUER


def test_private_key_is_encrypted_at_rest():
    # Given a new key
    key = services.issuer_key_create()
    blob = bytes(IssuerKey.objects.get(pk=key.pk).private_key_encrypted)
    private = keys.decrypt_private_key(blob, kid=key.kid)
    der = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    # Then neither the DER nor the private scalar appear in the stored bytes
    assert der not in blob
    assert private.private_numbers().private_value.to_bytes(32, "big") not in blob
    # And the blob is bound to its kid and to the encryption key from settings
    with pytest.raises(InvalidTag):
        keys.decrypt_private_key(blob, kid="other000")
    with override_settings(CITYCODE_KEY_ENCRYPTION_KEY="another-secret"), pytest.raises(InvalidTag):
        keys.decrypt_private_key(blob, kid=key.kid)


def test_rotation_keeps_retiring_tokens_valid_until_expiry_then_retired_keys_fail(api, make_citizen):
    # Given a token signed by the first key
    citizen = make_citizen()
    old = services.token_issue(citizen=citizen, code_type="city", lifetime=FIVE_MINUTES)
    # When the keys rotate
    result = services.issuer_keys_rotate(force=True)
    # Then the old key is retiring, a new key signs, and both are published
    assert result.retiring == [old.kid] and len(result.created) == 1
    new = services.token_issue(citizen=citizen, code_type="city", lifetime=FIVE_MINUTES)
    assert new.kid == result.created[0] != old.kid
    published = {jwk["kid"] for jwk in api.get("/.well-known/jwks.json").json()["keys"]}
    assert published == {old.kid, new.kid}
    # And the old token still verifies until it expires
    assert selectors.verified_token_get(token=old.token).kid == old.kid
    with pytest.raises(VerificationFailed) as failure:
        selectors.verified_token_get(token=old.token, now=old.expires_at)
    assert failure.value.reason == "expired"

    # When the retiring key passes its validity and rotation runs again
    result = services.issuer_keys_rotate(now=IssuerKey.objects.get(kid=old.kid).not_after)
    # Then it is retired, unpublished, its private key wiped, and its tokens fail
    assert result.retired == [old.kid]
    row = IssuerKey.objects.get(kid=old.kid)
    assert row.status == IssuerKey.Status.RETIRED and bytes(row.private_key_encrypted) == b""
    assert old.kid not in {jwk["kid"] for jwk in api.get("/.well-known/jwks.json").json()["keys"]}
    with pytest.raises(VerificationFailed) as failure:
        selectors.verified_token_get(token=old.token, now=old.issued_at)
    assert failure.value.reason == "unknown_kid"
    assert selectors.verified_token_get(token=new.token).kid == new.kid  # created later, so still valid


def test_rotation_is_idempotent_and_due_by_date():
    # Given an active key not yet due
    key = services.issuer_key_create()
    # When rotation runs before and after its rotation date
    assert services.issuer_keys_rotate() == services.RotationResult()
    due = services.issuer_keys_rotate(now=key.rotate_after)
    # Then it rotates once, and a second run changes nothing
    assert due.retiring == [key.kid] and len(due.created) == 1
    assert services.issuer_keys_rotate(now=key.rotate_after) == services.RotationResult()
    assert IssuerKey.objects.filter(status=IssuerKey.Status.ACTIVE).count() == 1


def test_rotate_command_and_beat_schedule():
    # When the command runs with --force on an empty database
    call_command("rotate_issuer_keys")
    call_command("rotate_issuer_keys", "--force")
    # Then one key is active and one retiring
    assert sorted(IssuerKey.objects.values_list("status", flat=True)) == ["active", "retiring"]
    # And beat runs the task
    entry = settings.CELERY_BEAT_SCHEDULE["codes-rotate-issuer-keys"]
    assert entry["task"] == "codes.rotate_issuer_keys"
    from apps.codes.tasks import rotate_issuer_keys

    assert rotate_issuer_keys.delay().get() == {"created": [], "retiring": [], "retired": []}


def test_jwks_endpoint_headers_and_content(api, make_citizen):
    # Given an issued token
    issued = services.token_issue(citizen=make_citizen(), code_type="city", lifetime=FIVE_MINUTES)
    # When the JWKS is fetched without credentials
    response = api.get("/.well-known/jwks.json")
    # Then it is public, cacheable, cross-origin, and holds only public members
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "max-age" in response["Cache-Control"] and "public" in response["Cache-Control"]
    (jwk,) = response.json()["keys"]
    assert jwk["kid"] == issued.kid and jwk["alg"] == "ES256" and jwk["use"] == "sig"
    assert jwk["kty"] == "EC" and jwk["crv"] == "P-256" and set(jwk) == {"kty", "crv", "x", "y", "kid", "alg", "use"}
    assert tokens.public_key_from_jwk(jwk)
