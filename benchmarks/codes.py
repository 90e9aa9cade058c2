"""Signed codes: issue and offline-verify rates against the raw signature of the same algorithm, token size,
and QR rendering against zxing-cpp's C++ writer — all measured in the same run.

    DEBUG=true .venv/bin/python benchmarks/codes.py            # a throw-away SQLite database
    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/citycode_bench .venv/bin/python benchmarks/codes.py

    DEBUG=true .venv/bin/python benchmarks/codes.py --runs 3   # three rounds in one process, with the spread

Targets (DESIGN.md, Performance): token issue >= 50% of raw sign; offline verify >= 70% of raw verify; city code
<= 200 characters; server SVG <= 20 ms, cached <= 1 ms. Issue 7 asks for margin, so that a slower machine of
the same kind still passes (the Python around the signature weighs more there): aim for >= 60% and >= 80%;
the aims are printed beside the targets but only the targets decide the exit status (1 when one is missed).

Fair baselines: the raw sign uses the issuing key object and the ECDSA/SHA-256 parameters the issuer uses; the
raw verify uses the very public-key object a reader builds from the published trust list (the one tokens.verify
checks against), a DER signature made once, and the exact bytes a token signs. So a ratio measures only what
the token format adds (handle, CBOR, COSE, Base45 and, for verify, parsing and the claim checks). Timed
rounds of the baseline and the measured operation alternate, so machine drift affects both alike.
Bounded: ~15 s a run (rate pairs of MEASURE_SECONDS each, plus the QR timings once).
"""

import argparse
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
BATCH = 10
ISSUE_TARGET = 0.50
VERIFY_TARGET = 0.70
ISSUE_AIM = 0.60  # issue 7: margin for slower machines
VERIFY_AIM = 0.80
MAX_CHARS = 200
SVG_MS = 20.0
SVG_CACHED_MS = 1.0


def paired(baseline, measured, *, seconds: float = MEASURE_SECONDS) -> tuple[float, float]:
    """Rates of two operations, interleaved in batches of BATCH calls so that load from other processes on
    the machine falls on both alike. Each side's rate is BATCH over its median batch time: a batch during which
    the process was preempted by another one (a shared machine) is an outlier on either side, and the median
    of thousands of batches ignores it where a total would not."""
    times: tuple[list[float], list[float]] = ([], [])
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for side, fn in enumerate((baseline, measured)):
            start = time.perf_counter()
            for _ in range(BATCH):
                fn()
            times[side].append(time.perf_counter() - start)
    return BATCH / statistics.median(times[0]), BATCH / statistics.median(times[1])


def ms_per_call(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def verdict(ratio: float, target: float, aim: float) -> str:
    if ratio >= aim:
        return f"meets target {target:.0%} and aim {aim:.0%}"
    if ratio >= target:
        return f"meets target {target:.0%}, below aim {aim:.0%}"
    return f"MISSES target {target:.0%}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1, help="rounds of the rate measurements (default 1; max 5)")
    runs = max(1, min(5, parser.parse_args().runs))
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

    # What a reader holds: structures built from the published JSON, no database, no network.
    trust_list = tokens.TrustList.from_json(selectors.trust_list_payload_get())
    status_lists = selectors.live_status_lists_get()

    # The exact bytes a token signs, for the raw baseline, and the key objects the token path itself uses.
    message = Sign1Message.decode(tokens.b45decode(first.token[4:]))
    to_be_signed = message._create_sig_structure()
    private_key = signer.private_key
    (reader_key,) = [key for key in trust_list.candidates(signer.kid.encode())
                     if key.issuer == settings.CITYCODE_ISSUER]
    public_key = reader_key.public_key
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

    token = services.token_issue(citizen=citizen, code_type="city", lifetime=lifetime).token
    now = time.time()

    def verify():
        tokens.verify(token, trust_list=trust_list, status_lists=status_lists, now=now, expected_type="city")

    verify()
    raw_verify()
    rounds = []
    for _ in range(runs):
        sign_rate, issue_rate = paired(raw_sign, issue)
        verify_rate, offline_rate = paired(raw_verify, verify)
        rounds.append((sign_rate, issue_rate, verify_rate, offline_rate))

    # QR: our SVG (qrcode, pure Python) uncached and cached, beside zxing-cpp's C++ writer on the same text.
    svg_ms = ms_per_call(lambda: qr.render_svg.__wrapped__(token, error="M"), 15)
    qr.render_svg(token)
    svg_cached_ms = ms_per_call(lambda: qr.render_svg(token), 200)
    zxing_ms = ms_per_call(lambda: zxingcpp.write_barcode_to_svg(
        zxingcpp.create_barcode(token, zxingcpp.BarcodeFormat.QRCode, ec_level="M")), 50)
    png_ms = ms_per_call(lambda: qr.render_png.__wrapped__(token, error="M"), 10)

    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}; algorithm: {alg}; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    for number, (sign_rate, issue_rate, verify_rate, offline_rate) in enumerate(rounds, 1):
        if runs > 1:
            print(f"-- run {number} of {runs}")
        print(f"raw sign            {sign_rate:10.0f} /s")
        print(f"token issue         {issue_rate:10.0f} /s   {issue_rate / sign_rate:6.1%} of raw sign   "
              f"({verdict(issue_rate / sign_rate, ISSUE_TARGET, ISSUE_AIM)})")
        print(f"raw verify          {verify_rate:10.0f} /s")
        print(f"offline verify      {offline_rate:10.0f} /s   {offline_rate / verify_rate:6.1%} of raw verify "
              f"({verdict(offline_rate / verify_rate, VERIFY_TARGET, VERIFY_AIM)})")
    issue_ratios = [issue / sign for sign, issue, _, _ in rounds]
    verify_ratios = [offline / raw for _, _, raw, offline in rounds]
    if runs > 1:
        print(f"-- spread over {runs} runs: issue {min(issue_ratios):.1%}-{max(issue_ratios):.1%} of raw sign, "
              f"offline verify {min(verify_ratios):.1%}-{max(verify_ratios):.1%} of raw verify; raw sign "
              f"{min(r[0] for r in rounds):.0f}-{max(r[0] for r in rounds):.0f}/s, raw verify "
              f"{min(r[2] for r in rounds):.0f}-{max(r[2] for r in rounds):.0f}/s")
    # The worst run decides: a target met only on average is not met.
    issue_ratio, verify_ratio = min(issue_ratios), min(verify_ratios)
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
