"""The registration rush: 5,000 booking attempts from many concurrent clients for 300 places, through the HTTP API
under gunicorn on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/citycode_bench_medical .venv/bin/python benchmarks/medical_rush.py

Target (DESIGN.md, Performance; issue 10): exactly CAPACITY bookings, 0 double bookings (no place number twice, no
patient twice, the session's counter equal to the rows holding a place), 0 server errors, every other attempt
refused with 409 session_full. Prints bookings per second and p50/p99 latency for the rush, and the same figures for
a baseline measured in the same run: a trivial authenticated GET (GET /api/v1/medical/hospitals: bearer-token
authentication and one small query) with the same clients and the same number of requests. Exits 1 when the
target is missed, 2 when it cannot run (no PostgreSQL, the server does not start).

What it does, all on loopback and bounded (two to four minutes on a busy two-core machine):

1. Drops and re-creates the throw-away database named in DATABASE_URL (its name must start with citycode_bench),
   migrates, and seeds a hospital with one session of CAPACITY places tomorrow and ATTEMPTS patients, each with a
   bearer token (rows written in bulk: the patients' registration is not what is measured).
   The benchmark reaches into identity's tables to seed; it is a script, not a code-type plugin.
2. Starts gunicorn on 127.0.0.1:PORT (8103) with production settings: WORKERS gthread workers x THREADS threads.
3. CLIENTS threads, each with its own keep-alive connection, start together and send the baseline GETs, then (after
   a pause) the ATTEMPTS booking POSTs, one per patient, in a shuffled order; each request is timed on the client.
4. Checks the database afterwards.

Tunable (defaults in brackets): MEDICAL_RUSH_ATTEMPTS [5000], MEDICAL_RUSH_CAPACITY [300], MEDICAL_RUSH_CLIENTS
[64], MEDICAL_RUSH_WORKERS [2], MEDICAL_RUSH_THREADS [4], MEDICAL_RUSH_PORT [8103],
MEDICAL_RUSH_REDIS_URL [redis://127.0.0.1:6379/10] (the server's cache; flushed).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import warnings
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from scan_load import recreate_database, server_env, stop_gunicorn  # noqa: E402 - the same production settings

ATTEMPTS = int(os.environ.get("MEDICAL_RUSH_ATTEMPTS", "5000"))
CAPACITY = int(os.environ.get("MEDICAL_RUSH_CAPACITY", "300"))
CLIENTS = int(os.environ.get("MEDICAL_RUSH_CLIENTS", "64"))
WORKERS = int(os.environ.get("MEDICAL_RUSH_WORKERS", "2"))
THREADS = int(os.environ.get("MEDICAL_RUSH_THREADS", "4"))
PORT = int(os.environ.get("MEDICAL_RUSH_PORT", "8103"))
REDIS_URL = os.environ.get("MEDICAL_RUSH_REDIS_URL", "redis://127.0.0.1:6379/10")
HOST = "127.0.0.1"
BASELINE_PATH = "/api/v1/medical/hospitals"
BOOK_PATH = "/api/v1/medical/appointments"
REQUEST_TIMEOUT = 30


def seed() -> tuple[int, list[str]]:
    """(the session's id, one bearer token per patient)."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from apps.identity import credentials
    from apps.identity import services as identity
    from apps.identity.models import AuthToken, Organization
    from apps.medical import services as medical

    hospital = identity.organization_create(slug="bench-hospital", name="压测医院", kind=Organization.Kind.HOSPITAL)
    citizen = get_user_model()
    desk = citizen.objects.create(username="bench-desk", name="挂号员")
    identity.membership_set(user=desk, organization=hospital, role="staff")
    department = medical.department_create(by=desk, hospital=hospital, name_zh="内科", name_en="Internal medicine")
    doctor = medical.doctor_create(by=desk, hospital=hospital, department=department, name="张医生", title="主任医师")
    session = medical.clinic_session_create(
        by=desk, hospital=hospital, doctor=doctor, date=timezone.localdate() + dt.timedelta(days=1),
        starts_at=dt.time(8, 0), ends_at=dt.time(12, 0), capacity=CAPACITY, fee_fen=1000)
    patients = citizen.objects.bulk_create(
        [citizen(username=f"rush-{i}", name="患者", password="!") for i in range(ATTEMPTS)], batch_size=1000)
    # Sign-ins written in bulk with identity's own token functions (one per patient through auth_token_issue took
    # ~100 s on a busy machine). last_used_at is now, so no request of either run pays the "last used" write.
    now = timezone.now()
    tokens = [credentials.new_token() for _ in patients]
    AuthToken.objects.bulk_create([
        AuthToken(user=p, key_hash=credentials.digest(t), expires_at=now + dt.timedelta(hours=1), last_used_at=now)
        for p, t in zip(patients, tokens, strict=True)], batch_size=1000)
    return session.pk, tokens


def start_gunicorn(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"), "citycode.wsgi:application", "--bind", f"{HOST}:{PORT}",
        "--worker-class", "gthread", "--workers", str(WORKERS), "--threads", str(THREADS), "--backlog", "2048",
        "--keep-alive", "30", "--timeout", "60", "--log-level", "warning",
    ]
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process by stop_gunicorn
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    process.log_file = log  # type: ignore[attr-defined]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{PORT}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz on port {PORT} within 30 s")


def drive(requests: list[tuple[str, str, str | None]]) -> dict:
    """Send (method, path, body) with the bearer token each carries, from CLIENTS threads started together, each on
    its own keep-alive connection. Returns wall time, per-request latencies and the statuses/codes seen."""
    latencies: list[float] = []
    finished: list[tuple[float, int]] = []  # (when, status) of each answer, for the time to fill the session
    outcomes: Counter = Counter()
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS + 1)

    def client(mine):
        conn = http.client.HTTPConnection(HOST, PORT, timeout=REQUEST_TIMEOUT)
        start.wait()
        for method, path, token, body in mine:
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Host": HOST}
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection(HOST, PORT, timeout=REQUEST_TIMEOUT)
                status, payload = 0, type(exc).__name__.encode()
            elapsed = time.perf_counter() - t0
            code = ""
            if status >= 400:
                try:
                    code = json.loads(payload)["error"]["code"]
                except (ValueError, KeyError, TypeError):
                    code = payload[:80].decode(errors="replace")
            with lock:
                latencies.append(elapsed)
                finished.append((time.perf_counter(), status))
                outcomes[(status, code)] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(requests[i::CLIENTS],)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    return {"wall": time.perf_counter() - began, "latencies": sorted(latencies), "outcomes": outcomes,
            "finished": sorted((at - began, status) for at, status in finished)}


def quantile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))] * 1000


def report(label: str, run: dict, *, ok_status: int) -> None:
    lat, done = run["latencies"], sum(run["outcomes"].values())
    ok = sum(n for (status, _code), n in run["outcomes"].items() if status == ok_status)
    print(f"  {label:<34} {done:>5} requests in {run['wall']:5.2f} s = {done / run['wall']:7.1f} req/s   "
          f"{ok:>5} x {ok_status} = {ok / run['wall']:7.1f}/s   p50 {quantile(lat, .50):7.1f} ms   "
          f"p99 {quantile(lat, .99):7.1f} ms   mean {statistics.fmean(lat) * 1000:6.1f} ms")
    print("    answers: " + ", ".join(f"{status} {code or ''}".strip() + f" x{n}"
                                      for (status, code), n in sorted(run["outcomes"].items())))


def check_database(session_id: int) -> list[str]:
    from django.db.models import Count

    from apps.medical.models import ACTIVE_STATUSES, Appointment, ClinicSession

    problems = []
    session = ClinicSession.objects.get(pk=session_id)
    active = Appointment.objects.filter(session=session, status__in=ACTIVE_STATUSES)
    rows = active.count()
    if rows != CAPACITY:
        problems.append(f"{rows} bookings hold places, not exactly {CAPACITY}")
    if session.booked != rows:
        problems.append(f"the session counts {session.booked} places taken but {rows} bookings hold one")
    doubled_places = Appointment.objects.filter(session=session).values("place_no").annotate(n=Count("id")).filter(
        n__gt=1).count()
    doubled_patients = active.values("patient").annotate(n=Count("id")).filter(n__gt=1).count()
    if doubled_places or doubled_patients:
        problems.append(f"double bookings: {doubled_places} place numbers and {doubled_patients} patients twice")
    if sorted(active.values_list("place_no", flat=True)) != list(range(1, CAPACITY + 1)):
        problems.append("the place numbers are not exactly 1..capacity")
    print(f"  database: {rows} bookings hold places (capacity {CAPACITY}), counter {session.booked}, "
          f"{doubled_places} place numbers given twice, {doubled_patients} patients booked twice")
    return problems


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("medical_rush measures gunicorn on PostgreSQL. Set e.g.\n"
              "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/citycode_bench_medical", file=sys.stderr)
        return 2
    env = server_env(url)
    env.update(CACHE_URL=REDIS_URL, MEDICAL_HOLD_SECONDS="3600")
    started = time.monotonic()
    recreate_database(url)
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connections

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    session_id, tokens = seed()
    connections.close_all()
    print(f"database {urlparse(url).path.lstrip('/')}; set-up {time.monotonic() - started:.1f} s; {ATTEMPTS} "
          f"patients, one session of {CAPACITY} places; {CLIENTS} concurrent clients; gunicorn {WORKERS} workers x "
          f"{THREADS} threads on {HOST}:{PORT}")

    rng = random.Random(10)  # noqa: S311 - a reproducible order, not a secret
    baseline = [("GET", BASELINE_PATH, token, None) for token in tokens]
    book_body = json.dumps({"session": session_id})
    rush = [("POST", BOOK_PATH, token, book_body) for token in tokens]
    rng.shuffle(baseline)
    rng.shuffle(rush)
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"medical-rush-gunicorn-{os.getpid()}.log"
    gunicorn = None
    try:
        try:
            gunicorn = start_gunicorn(env, log_path)
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return 2
        drive([("GET", BASELINE_PATH, tokens[0], None)] * CLIENTS)  # warm-up: connections, imports, caches
        base = drive(baseline)
        time.sleep(1)
        booked = drive(rush)
    finally:
        stop_gunicorn(gunicorn)
    print("results:")
    report("baseline GET /medical/hospitals", base, ok_status=200)
    report("rush POST /medical/appointments", booked, ok_status=201)
    ratio = (sum(booked["outcomes"].values()) / booked["wall"]) / (sum(base["outcomes"].values()) / base["wall"])
    print(f"  booking attempts per second / baseline requests per second: {ratio:.0%}")
    filled = [at for at, status in booked["finished"] if status == 201]
    if filled:
        print(f"  the {len(filled)} places were filled {filled[-1]:.2f} s into the rush: "
              f"{len(filled) / filled[-1]:.1f} bookings per second while places were left")
    problems = check_database(session_id)
    created = sum(n for (status, _c), n in booked["outcomes"].items() if status == 201)
    server_errors = sum(n for (status, _c), n in (booked["outcomes"] + base["outcomes"]).items()
                        if status >= 500 or status == 0)
    refused_full = booked["outcomes"].get((409, "session_full"), 0)
    if created != CAPACITY:
        problems.append(f"{created} bookings answered 201, not exactly {CAPACITY}")
    if server_errors:
        problems.append(f"{server_errors} server errors or broken connections")
    if refused_full != ATTEMPTS - CAPACITY:
        problems.append(f"{refused_full} attempts refused as session_full, expected {ATTEMPTS - CAPACITY}")
    if problems:
        print("FAILED: " + "; ".join(problems))
        if log_path.exists():
            print(log_path.read_text()[-2000:])
        return 1
    print(f"OK: exactly {CAPACITY} booked of {ATTEMPTS} attempts, 0 double bookings, 0 server errors")
    log_path.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
