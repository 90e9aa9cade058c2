"""The unified scan API under load: gunicorn + PostgreSQL, against a no-op DRF view on the same server.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/citycode_bench_scan .venv/bin/python benchmarks/scan_load.py

Target (DESIGN.md, Performance): POST /api/v1/scan reaches >= 40% of the throughput of a no-op DRF view on the
same server, with p99 < 50 ms, and no request answered with anything but 200. Exits 1 when missed, 2 when it
cannot run (no PostgreSQL, no wrk, the server does not start).

What it does, all on loopback and bounded (about a minute in all):

1. Drops and re-creates the database named in DATABASE_URL (a throw-away benchmark database: refuse to point it
   at anything you want to keep), then runs ``manage.py migrate``.
2. Seeds through the services: the data bureau and its admin, a venue with an API client and a grant for
   ``venue.entry``, CITIZENS registered citizens each consenting to ``venue.entry`` for the venue, and a fresh
   city code for each (valid 5 minutes: the whole run fits well inside it).
3. Counts the SQL queries of one baseline request and one scan through the full Django stack
   (CaptureQueriesContext), so a regression in the number of round trips shows up here.
4. Starts gunicorn on a free port of 127.0.0.1 with production settings (DEBUG=false, throw-away secrets, a
   shared Redis cache (SCAN_BENCH_REDIS_URL), CONN_MAX_AGE=60): WORKERS gthread workers x THREADS threads.
5. Warms both endpoints, then drives each for DURATION seconds with ``wrk`` (closed loop: CONNECTIONS keep-alive
   connections, one wrk thread). The baseline is GET /api/v1/clients/me: the same API-key authentication (one
   indexed query), then a five-field serializer of the client it already loaded - the cheapest authenticated DRF
   view there is, and what every scan pays before it starts. The scan cycles through the citizens' tokens
   (each connection from its own offset, so two connections rarely scan the same citizen at once).
6. Prints requests, req/s, p50/p95/p99, non-200 and socket errors for both, the ratio, wrk's own CPU use, and
   checks afterwards that every citizen's access-log chain still verifies and that the log holds at least one row
   per answered scan.

Tunable through the environment (defaults in brackets): SCAN_BENCH_WORKERS [2], SCAN_BENCH_THREADS [2],
SCAN_BENCH_CONNECTIONS [4], SCAN_BENCH_DURATION [12], SCAN_BENCH_CITIZENS [300],
SCAN_BENCH_REDIS_URL [redis://127.0.0.1:6379/3] (flushed: use a database of your own on a shared machine).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RATIO_TARGET = 0.40
P99_TARGET_MS = 50.0
# One worker process per core; two threads each overlap a request's database and Redis waits. Four connections
# (two per worker) saturate this: with eight, scan throughput was no higher and only the queue (latency) grew.
WORKERS = int(os.environ.get("SCAN_BENCH_WORKERS", "2"))
THREADS = int(os.environ.get("SCAN_BENCH_THREADS", "2"))
CONNECTIONS = int(os.environ.get("SCAN_BENCH_CONNECTIONS", "4"))
# The Redis database the server's cache uses; it is flushed, so give each person on a shared machine their own.
REDIS_URL = os.environ.get("SCAN_BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
DURATION = int(os.environ.get("SCAN_BENCH_DURATION", "12"))
WARMUP = 3
ROUNDS = 6
CITIZENS = int(os.environ.get("SCAN_BENCH_CITIZENS", "300"))
PURPOSE = "venue.entry"
VENUE = "bench-venue"
HOST = "127.0.0.1"
BASELINE_PATH = "/api/v1/clients/me"
SCAN_PATH = "/api/v1/scan"


def server_env(database_url: str) -> dict[str, str]:
    """Production-like settings with throw-away secrets, shared by migrate, seeding and gunicorn."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="citycode.settings",
        DATABASE_URL=database_url,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        CITYCODE_ID_HASH_KEY=secrets.token_urlsafe(32),
        CITYCODE_KEY_ENCRYPTION_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS=HOST,
        # a throw-away city with no registry to check real names against (production refuses to start otherwise)
        CITYCODE_REALNAME_NO_REGISTRY="true",
        SECURE_SSL_REDIRECT="false",
        CONN_MAX_AGE="60",
        CACHE_URL=REDIS_URL,
        LOG_LEVEL="WARNING",
    )
    env.pop("CELERY_BROKER_URL", None)  # nothing on the scan path enqueues; keep Celery eager
    return env


def recreate_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name.startswith(("citycode_bench", "test_")):
        raise SystemExit(f"Refusing to drop database {name!r}: use a throw-away name such as citycode_bench_scan.")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def flush_cache() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def seed() -> tuple[str, list[str], str]:
    """(API key of the venue's client, one city token per citizen, one spare token for the query count)."""
    from django.conf import settings

    # Only the seeding process: the bench citizens' passwords are never checked, and PBKDF2 for each of them
    # would dominate set-up time. The server under test keeps the production hashers.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    from apps.codes import wallet as codes
    from apps.consent import services as consent
    from apps.identity import idnumbers
    from apps.identity import services as identity
    from apps.identity.models import Organization

    def register(i: int, name: str):
        # A valid resident ID number per index: region 330106, a birth date in 1980-81, a sequence, a check.
        birth = (dt.date(1980, 1, 1) + dt.timedelta(days=i // 900)).strftime("%Y%m%d")
        first17 = f"330106{birth}{i % 900 + 100:03d}"
        return identity.citizen_register(
            username=f"bench-{i}", name=name, id_number=first17 + idnumbers.check_character(first17),
            phone=f"137{i:08d}", password="bench-password-123",
        )

    bureau = identity.organization_create(slug="data-bureau", name="数据局", kind=Organization.Kind.DEPARTMENT)
    admin = register(CITIZENS + 1, "管理员")
    identity.membership_set(user=admin, organization=bureau, role="admin")
    venue = identity.organization_create(slug=VENUE, name="测试场馆", kind=Organization.Kind.VENUE)
    _client, api_key = identity.api_client_create(organization=venue, name="bench-gate")
    consent.access_grant_create(organization=venue, purpose=PURPOSE, approved_by=admin)

    tokens = []
    for i in range(CITIZENS + 1):
        citizen = register(i, f"市民{i}")
        consent.consent_give(citizen=citizen, purpose=PURPOSE, categories=["identity.adult", "identity.name"],
                             organization=venue)
        tokens.append(codes.held_code_issue(citizen=citizen, code_type="city").issued.token)
    return api_key, tokens[:-1], tokens[-1]


def count_queries(api_key: str, token: str) -> tuple[int, int, list[str]]:
    """Statements of one baseline request and one scan through the whole Django stack (warm caches, as under
    load). Counted with an execute wrapper rather than CaptureQueriesContext: the consent gate's prepared
    statements run on a cursor of their own that the debug cursor never sees, but they do pass the wrappers."""
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST=HOST, HTTP_AUTHORIZATION=f"Api-Key {api_key}")
    body = json.dumps({"token": token, "purpose": PURPOSE})
    client.get(BASELINE_PATH)
    client.post(SCAN_PATH, body, content_type="application/json")  # warm the in-process caches

    def counted(into: list[str]):
        def wrapper(execute, sql, params, many, context):
            into.append(sql)
            return execute(sql, params, many, context)
        return wrapper

    base: list[str] = []
    scan: list[str] = []
    with connection.execute_wrapper(counted(base)):
        assert client.get(BASELINE_PATH).status_code == 200
    with connection.execute_wrapper(counted(scan)):
        response = client.post(SCAN_PATH, body, content_type="application/json")
        assert response.status_code == 200, response.content
    return len(base), len(scan), scan


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"), "citycode.wsgi:application",
        "--bind", f"{HOST}:{port}", "--worker-class", "gthread", "--workers", str(WORKERS),
        "--threads", str(THREADS), "--keep-alive", "30", "--timeout", "30", "--log-level", "warning",
    ]
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    process.log_file = log
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz within 30 s")


def stop_gunicorn(process: subprocess.Popen | None) -> None:
    if process is None:
        return
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # the arbiter and its workers: its own session, started above
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    process.log_file.close()


def lua_quote(text: str) -> str:
    return json.dumps(text)  # tokens and keys are ASCII: a JSON string is a valid Lua string literal


def write_lua(path: Path, *, api_key: str, tokens: list[str] | None) -> None:
    """A wrk script: pre-formatted requests (GET, or one POST per token), per-thread offsets, and a JSON summary
    in done() that counts every non-200 answer (wrk's own 'errors.status' counts only >= 400)."""
    headers = f'{{["Authorization"] = {lua_quote("Api-Key " + api_key)}, ["Content-Type"] = "application/json"}}'
    if tokens is None:
        build = f'reqs[1] = wrk.format("GET", {lua_quote(BASELINE_PATH)}, {headers})'
        token_table = "{}"
    else:
        token_table = "{" + ",".join(lua_quote(t) for t in tokens) + "}"
        build = (
            "for i, t in ipairs(tokens) do\n"
            f'    reqs[i] = wrk.format("POST", {lua_quote(SCAN_PATH)}, {headers}, '
            f'\'{{"purpose": "{PURPOSE}", "token": "\' .. t .. \'"}}\')\n'
            "  end"
        )
    path.write_text(f"""
local tokens = {token_table}
local reqs = {{}}
local n = 0
local threads = {{}}
non200 = 0
first_bad = ""

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end

function init(args)
  {build}
  n = (thread_no - 1) * 97
end

function request()
  n = n + 1
  return reqs[(n % #reqs) + 1]
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    if first_bad == "" then first_bad = status .. " " .. string.sub(body or "", 1, 300) end
  end
end

function done(summary, latency, requests)
  local bad, sample = 0, ""
  for _, t in ipairs(threads) do
    bad = bad + t:get("non200")
    if sample == "" then sample = t:get("first_bad") end
  end
  sample = string.gsub(string.gsub(sample, '[\\\\"]', "'"), "[^ -~]", " ")
  -- wrk's quantiles at every 0.1%, so rounds can be pooled in Python (this wrk cannot index its histogram).
  local q = {{}}
  if summary.requests > 0 then
    for i = 1, 999 do q[i] = latency:percentile(i / 10) end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK-RESULT {{"requests": %d, "duration_us": %d, "non200": %d, "socket_errors": %d, "first_bad": "%s", '
    .. '"max_us": %d, "quantiles_us": [%s]}}\\n',
    summary.requests, summary.duration, bad, e.connect + e.read + e.write + e.timeout, sample,
    summary.requests > 0 and latency.max or 0, table.concat(q, ",")))
end
""")


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


class ServerCpu:
    """CPU seconds spent by the server side during a run: gunicorn (arbiter and workers), this database's
    PostgreSQL backends and redis-server (shared with anything else using Redis on this machine)."""

    def __init__(self, gunicorn_pid: int, database: str, admin_url: str) -> None:
        self.gunicorn_pid, self.database, self.admin_url = gunicorn_pid, database, admin_url

    def pids(self) -> dict[str, list[int]]:
        import psycopg

        children = Path(f"/proc/{self.gunicorn_pid}/task/{self.gunicorn_pid}/children")
        workers = [int(x) for x in children.read_text().split()] if children.exists() else []
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            backends = [r[0] for r in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.database,)).fetchall()]
        redis = [int(x) for x in subprocess.run(["pidof", "redis-server"], capture_output=True,
                                                text=True).stdout.split()]
        return {"gunicorn": [self.gunicorn_pid, *workers], "postgres": backends, "redis": redis}

    def sample(self, pids: dict[str, list[int]]) -> dict[str, float]:
        return {name: sum(_cpu_of(pid) for pid in group) for name, group in pids.items()}


def run_wrk(url: str, script: Path, seconds: int, server: ServerCpu | None = None) -> dict:
    """Run wrk once; return its counts, its latency histogram {us: count} and its own CPU seconds (the kernel's
    accounting of that one child process)."""
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "5s", "-s", str(script), url]
    pids = server.pids() if server else {}
    before = server.sample(pids) if server else {}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    start = time.monotonic()
    output = process.stdout.read().decode()
    stderr = process.stderr.read().decode()
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - start
    line = next((x for x in output.splitlines() if x.startswith("WRK-RESULT ")), None)
    if process.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{output}\n{stderr}")
    result = json.loads(line.removeprefix("WRK-RESULT "))
    after = server.sample(pids) if server else {}
    result.update(cpu_s=usage.ru_utime + usage.ru_stime, wall_s=wall,
                  server_cpu={name: after[name] - before[name] for name in before})
    return result


def merged(runs: list[dict]) -> dict:
    """One figure set from several timed rounds of the same target: counts are summed, and latency percentiles
    come from pooling each round's 999 quantiles, each standing for a 1/999 share of that round's requests (exact
    to about 0.1% of rank; a single round's figures are wrk's own)."""
    pool = sorted((us, run["requests"] / len(run["quantiles_us"])) for run in runs for us in run["quantiles_us"])
    total = sum(weight for _us, weight in pool)

    def percentile(p: float) -> float:
        rank, seen = p / 100 * total, 0.0
        for us, weight in pool:
            seen += weight
            if seen >= rank - 1e-9:
                return us / 1000
        return 0.0

    out = {key: sum(run[key] for run in runs) for key in ("requests", "duration_us", "non200", "socket_errors",
                                                           "cpu_s", "wall_s")}
    out["server_cpu"] = {name: sum(run["server_cpu"].get(name, 0.0) for run in runs)
                         for name in runs[0]["server_cpu"]}
    out["first_bad"] = next((run["first_bad"] for run in runs if run["first_bad"]), "")
    out["rps"] = out["requests"] / (out["duration_us"] / 1e6)
    out["errors"] = out["non200"] + out["socket_errors"]
    out.update(p50=percentile(50), p95=percentile(95), p99=percentile(99))
    out["max"] = max(run["max_us"] for run in runs) / 1000
    return out


def report(label: str, r: dict) -> None:
    print(f"  {label:<30} {r['requests']:>6} req {r['rps']:>7.0f} req/s   p50 {r['p50']:6.2f} ms   p95 "
          f"{r['p95']:6.2f} ms   p99 {r['p99']:6.2f} ms   max {r['max']:6.1f} ms   errors {r['errors']} (non-200 "
          f"{r['non200']}, socket {r['socket_errors']})   wrk CPU {r['cpu_s'] / r['wall_s']:.0%} of a core")
    per_request = ", ".join(f"{name} {seconds / max(r['requests'], 1) * 1000:.2f}"
                            for name, seconds in r["server_cpu"].items())
    print(f"    CPU per request (ms): {per_request}; wrk {r['cpu_s'] / max(r['requests'], 1) * 1000:.2f}")
    if r["first_bad"]:
        print(f"    first non-200: {r['first_bad']}")


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("scan_load measures gunicorn on PostgreSQL; SQLite is not what production runs. Set e.g.\n"
              "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/citycode_bench_scan", file=sys.stderr)
        return 2
    if shutil.which("wrk") is None:
        print("scan_load needs wrk (Debian: apt-get install wrk).", file=sys.stderr)
        return 2
    env = server_env(url)
    started = time.monotonic()
    recreate_database(url)
    flush_cache()
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)

    os.environ.update(env)
    # This process serves no static files; whitenoise's note about the missing collectstatic directory is noise.
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()
    from django.db import connection, connections

    api_key, tokens, spare = seed()
    base_queries, scan_queries, scan_sql = count_queries(api_key, spare)
    pg_version = connection.pg_version
    connections.close_all()
    print(f"PostgreSQL {pg_version // 10000}, database {urlparse(url).path.lstrip('/')}; set-up "
          f"{time.monotonic() - started:.1f} s; {len(tokens)} citizens with consents and city tokens")
    print(f"queries per request (full Django stack, warm): baseline {base_queries}, scan {scan_queries}")
    for sql in scan_sql:
        print(f"    {' '.join(sql.split())[:150]}")

    tmp = Path(tempfile.mkdtemp(prefix="citycode-scan-load-"))
    gunicorn = None
    try:
        base_lua, scan_lua = tmp / "baseline.lua", tmp / "scan.lua"
        write_lua(base_lua, api_key=api_key, tokens=None)
        write_lua(scan_lua, api_key=api_key, tokens=tokens)
        port = free_port()
        gunicorn = start_gunicorn(env, port, tmp / "gunicorn.log")
        print(f"gunicorn on {HOST}:{port}: {WORKERS} gthread workers x {THREADS} threads, DEBUG=false, "
              f"CONN_MAX_AGE=60, Redis cache; machine has {os.cpu_count()} cores")
        print(f"load: wrk, 1 thread, {CONNECTIONS} keep-alive connections, closed loop, {DURATION} s per target in "
              f"{ROUNDS} alternating rounds, after {WARMUP} s warm-up each")
        base_url, scan_url = f"http://{HOST}:{port}{BASELINE_PATH}", f"http://{HOST}:{port}{SCAN_PATH}"
        run_wrk(base_url, base_lua, WARMUP)
        run_wrk(scan_url, scan_lua, WARMUP)
        parsed = urlparse(url)
        server = ServerCpu(gunicorn.pid, parsed.path.lstrip("/"), parsed._replace(path="/postgres").geturl())
        runs: dict[str, list[dict]] = {"baseline": [], "scan": []}
        for _round in range(ROUNDS):  # alternate, so load from elsewhere on the machine falls on both alike
            runs["baseline"].append(run_wrk(base_url, base_lua, DURATION // ROUNDS, server))
            runs["scan"].append(run_wrk(scan_url, scan_lua, DURATION // ROUNDS, server))
        baseline, scan = merged(runs["baseline"]), merged(runs["scan"])
    finally:
        stop_gunicorn(gunicorn)
        if gunicorn is not None and gunicorn.returncode not in (0, -signal.SIGTERM):
            print(f"gunicorn log:\n{(tmp / 'gunicorn.log').read_text()[-3000:]}", file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)

    report(f"baseline GET {BASELINE_PATH}", baseline)
    report(f"POST {SCAN_PATH}", scan)
    ratio = scan["rps"] / baseline["rps"]

    def server_ms(r: dict) -> float:
        return (r["server_cpu"]["gunicorn"] + r["server_cpu"]["postgres"]) / max(r["requests"], 1) * 1000

    # Not a target: the same comparison in server CPU per request, which other load on the machine disturbs less.
    print(f"  server CPU (gunicorn + PostgreSQL) per request: baseline {server_ms(baseline):.2f} ms, scan "
          f"{server_ms(scan):.2f} ms, ratio {server_ms(baseline) / max(server_ms(scan), 1e-9):.1%}")
    print(f"  ratio scan / baseline throughput: {ratio:.1%} (target >= {RATIO_TARGET:.0%}); "
          f"scan p99 {scan['p99']:.2f} ms (target < {P99_TARGET_MS:.0f} ms)")

    from apps.consent import chain
    from apps.consent.models import AccessLog

    logged = AccessLog.objects.count()
    chains, broken = chain.verify_all()
    # wrk stops counting at the deadline; scans still in flight then are logged but not counted, hence ">=".
    expected = scan["requests"] - scan["non200"]
    print(f"access log: {logged} rows (>= {expected} answered scans + warm-up), {chains} chains, "
          f"{len(broken)} broken")
    print(f"total run {time.monotonic() - started:.0f} s")

    failures = []
    if ratio < RATIO_TARGET:
        failures.append(f"throughput ratio {ratio:.1%} < {RATIO_TARGET:.0%}")
    if scan["p99"] >= P99_TARGET_MS:
        failures.append(f"scan p99 {scan['p99']:.1f} ms >= {P99_TARGET_MS:.0f} ms")
    if baseline["errors"] or scan["errors"]:
        failures.append(f"errors: baseline {baseline['errors']}, scan {scan['errors']}")
    if broken or logged < expected:
        failures.append(f"access log: {len(broken)} broken chains, {logged} rows for {expected} scans")
    if failures:
        print("TARGET MISSED: " + "; ".join(failures), file=sys.stderr)
        return 1
    print("targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
