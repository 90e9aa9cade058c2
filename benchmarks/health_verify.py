"""Offline colour verification of a health code (signature verify + decrypt the sealed colour with the purpose
key) as a share of the raw signature verify of the same bytes, measured in the same run. The second half of
issue 11's benchmark (benchmarks/health_recolour.py measures the recolouring; the lead joins the two).

    DEBUG=true .venv/bin/python benchmarks/health_verify.py            # a throw-away SQLite database
    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench .venv/bin/python benchmarks/health_verify.py

What a checkpoint does offline with a health code: decode Base45, parse COSE_Sign1, check the ES256 signature
against the trust list, check times, then open the colour claim (COSE_Encrypt0, AES-128-GCM) with the day's key
from its verifier package. Target (issue 11): >= 60% of the raw signature verify rate. Exits 1 when missed.
Timed rounds of the baseline and the measured operation alternate (see benchmarks/codes.py). Bounded: ~15 s.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citycode.settings")
os.environ.setdefault("DEBUG", "true")
_TMP = tempfile.TemporaryDirectory(prefix="citycode-bench-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_TMP.name}/bench.sqlite3")

MEASURE_SECONDS = 6.0
BATCH = 20
TARGET = 0.60


def paired(baseline, measured, *, seconds: float = MEASURE_SECONDS) -> tuple[float, float]:
    """Rates of two operations, interleaved in batches so that load from other processes falls on both alike."""
    spent = [0.0, 0.0]
    calls = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for side, fn in enumerate((baseline, measured)):
            start = time.perf_counter()
            for _ in range(BATCH):
                fn()
            spent[side] += time.perf_counter() - start
        calls += BATCH
    return calls / spent[0], calls / spent[1]


def main() -> int:
    import django

    django.setup()
    import datetime as dt
    import zlib

    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone
    from pycose.messages import Sign1Message

    from apps.codes import selectors, services, tokens
    from apps.health import purpose_keys, review_services
    from apps.identity.models import Citizen

    call_command("migrate", verbosity=0)
    citizen = Citizen.objects.filter(username="bench-health").first() or Citizen.objects.create(
        username="bench-health", name="bench")
    # Exactly what the health code type puts in a token during an emergency: the colour sealed under today's key.
    sealed = review_services.colour_seal(colour="red")
    issued = services.token_issue(citizen=citizen, code_type="health", claims={"c": sealed},
                                  lifetime=dt.timedelta(minutes=5))
    token = issued.token
    signer = services.issuer_key_active()

    # The raw baseline: the signature check of this very token's Sig_structure, with the same algorithm.
    raw = tokens.b45decode(token[4:])
    cose = zlib.decompress(raw) if token.startswith(tokens.PREFIX_ZLIB) else raw
    message = Sign1Message.decode(cose)
    to_be_signed = message._create_sig_structure()
    public_key = signer.private_key.public_key()
    if signer.alg == tokens.ES256:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

        ecdsa = ec.ECDSA(hashes.SHA256())
        sig = message.signature
        der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))

        def raw_verify():
            public_key.verify(der, to_be_signed, ecdsa)
    else:
        def raw_verify():
            public_key.verify(message.signature, to_be_signed)

    # What the checkpoint holds: the trust list and its verifier package, built from JSON; no database.
    trust_list = tokens.TrustList.from_json(selectors.trust_list_payload_get())
    day_key = review_services.purpose_key_material(key=review_services.purpose_key_ensure(day=timezone.localdate()))
    ring = purpose_keys.KeyRing.from_package({"keys": [day_key.to_jwk()]})
    now = time.time()

    def verify_colour():
        verified = tokens.verify(token, trust_list=trust_list, status_lists=None, now=now, expected_type="health")
        return ring.open(verified.claims["c"])

    def verify_only():
        tokens.verify(token, trust_list=trust_list, status_lists=None, now=now, expected_type="health")

    assert verify_colour() == "red"
    raw_rate, colour_rate = paired(raw_verify, verify_colour)
    raw_rate2, verify_rate = paired(raw_verify, verify_only, seconds=MEASURE_SECONDS / 2)
    ratio = colour_rate / raw_rate
    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}; algorithm: {signer.alg}")
    print(f"health code length        {len(token):8d} chars; COSE {len(cose)} bytes; sealed colour {len(sealed)} bytes")
    print(f"raw signature verify      {raw_rate:10.0f} /s")
    print(f"verify + decrypt colour   {colour_rate:10.0f} /s   {ratio:6.1%} of raw verify (target >= {TARGET:.0%})")
    print(f"verify only (no colour)   {verify_rate:10.0f} /s   {verify_rate / raw_rate2:6.1%} of raw verify "
          f"(the colour costs {1 / colour_rate * 1e6 - 1 / verify_rate * 1e6:.1f} us)")
    if ratio < TARGET:
        print("MISSED: offline colour verification rate")
        return 1
    print("all targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
