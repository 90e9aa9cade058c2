"""Signed codes: issue and offline-verify rates against the raw signature of the same algorithm, token size,
and QR rendering against zxing-cpp's C++ writer — all measured in the same run.

    DEBUG=true .venv/bin/python benchmarks/codes.py            # a throw-away SQLite database
    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/citycode_bench .venv/bin/python benchmarks/codes.py

Targets (DESIGN.md, Performance): token issue >= 50% of raw sign; offline verify >= 70% of raw verify; city code
<= 200 characters; server SVG <= 20 ms, cached <= 1 ms. Exits 1 when a target is missed. Timed rounds of the
baseline and the measured operation alternate, so machine drift affects both alike. Bounded: ~25 s.
"""

import os
import statistics
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
ISSUE_TARGET = 0.50
VERIFY_TARGET = 0.70
MAX_CHARS = 200
SVG_MS = 20.0
SVG_CACHED_MS = 1.0


def paired(baseline, measured, *, seconds: float = MEASURE_SECONDS) -> tuple[float, float]:
    """Rates of two operations, interleaved in batches of BATCH calls so that load from other processes on
    the machine falls on both alike; each side's rate is its batches' total calls over their total time."""
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


def ms_per_call(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    import django

    django.setup()
    import datetime as dt

    import zxingcpp
    from django.conf import settings
    from django.core.management import call_command
    from pycose.messages import Sign1Message

    from apps.codes import qr, selectors, services, tokens
    from apps.identity.models import Citizen

    call_command("migrate", verbosity=0)
    citizen = Citizen.objects.filter(username="bench-codes").first() or Citizen.objects.create(
        username="bench-codes", name="bench")
    lifetime = dt.timedelta(minutes=5)
    first = services.token_issue(citizen=citizen, code_type="city", lifetime=lifetime)  # creates key + subject
    signer = services.issuer_key_active()
    alg = signer.alg

    # The exact bytes a token signs, for the raw baseline.
    message = Sign1Message.decode(tokens.b45decode(first.token[4:]))
    to_be_signed = message._create_sig_structure()
    private_key = signer.private_key
    public_key = private_key.public_key()
    if alg == tokens.ES256:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        ecdsa = ec.ECDSA(hashes.SHA256())
        der = private_key.sign(to_be_signed, ecdsa)

        def raw_sign():
            private_key.sign(to_be_signed, ecdsa)

        def raw_verify():
            public_key.verify(der, to_be_signed, ecdsa)
    else:
        raw = private_key.sign(to_be_signed)

        def raw_sign():
            private_key.sign(to_be_signed)

        def raw_verify():
            public_key.verify(raw, to_be_signed)

    def issue():
        services.token_issue(citizen=citizen, code_type="city", lifetime=lifetime)

    # What a reader holds: structures built from the published JSON, no database, no network.
    trust_list = tokens.TrustList.from_json(selectors.trust_list_payload_get())
    status_lists = selectors.live_status_lists_get()
    token = services.token_issue(citizen=citizen, code_type="city", lifetime=lifetime).token
    now = time.time()

    def verify():
        tokens.verify(token, trust_list=trust_list, status_lists=status_lists, now=now, expected_type="city")

    verify()
    sign_rate, issue_rate = paired(raw_sign, issue)
    verify_rate, offline_rate = paired(raw_verify, verify)

    # QR: our SVG (qrcode, pure Python) uncached and cached, beside zxing-cpp's C++ writer on the same text.
    svg_ms = ms_per_call(lambda: qr.render_svg.__wrapped__(token, error="M"), 15)
    qr.render_svg(token)
    svg_cached_ms = ms_per_call(lambda: qr.render_svg(token), 200)
    zxing_ms = ms_per_call(lambda: zxingcpp.write_barcode_to_svg(
        zxingcpp.create_barcode(token, zxingcpp.BarcodeFormat.QRCode, ec_level="M")), 50)
    png_ms = ms_per_call(lambda: qr.render_png.__wrapped__(token, error="M"), 10)

    issue_ratio = issue_rate / sign_rate
    verify_ratio = offline_rate / verify_rate
    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}; algorithm: {alg}")
    print(f"raw sign            {sign_rate:10.0f} /s")
    print(f"token issue         {issue_rate:10.0f} /s   {issue_ratio:6.1%} of raw sign   "
          f"(target >= {ISSUE_TARGET:.0%})")
    print(f"raw verify          {verify_rate:10.0f} /s")
    print(f"offline verify      {offline_rate:10.0f} /s   {verify_ratio:6.1%} of raw verify "
          f"(target >= {VERIFY_TARGET:.0%})")
    print(f"city code length    {len(token):10d} chars (target <= {MAX_CHARS}); "
          f"COSE {len(tokens.b45decode(token[4:]))} bytes")
    print(f"QR SVG (qrcode)     {svg_ms:10.2f} ms     (target <= {SVG_MS:.0f} ms)")
    print(f"QR SVG cached       {svg_cached_ms:10.4f} ms     (target <= {SVG_CACHED_MS:.0f} ms)")
    print(f"QR SVG (zxing-cpp)  {zxing_ms:10.3f} ms     ({svg_ms / zxing_ms:.0f}x faster than ours)")
    print(f"QR PNG (qrcode)     {png_ms:10.2f} ms")

    missed = []
    if issue_ratio < ISSUE_TARGET:
        missed.append("issue rate")
    if verify_ratio < VERIFY_TARGET:
        missed.append("offline verify rate")
    if len(token) > MAX_CHARS:
        missed.append("token length")
    if svg_ms > SVG_MS:
        missed.append("SVG render time")
    if svg_cached_ms > SVG_CACHED_MS:
        missed.append("cached SVG time")
    if missed:
        print("MISSED: " + ", ".join(missed))
        return 1
    print("all targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
