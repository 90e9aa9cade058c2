"""disclose() throughput on PostgreSQL against a plain primary-key read of the same citizen, in the same run.

    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/citycode_bench \
        .venv/bin/python benchmarks/consent_disclose.py

Creates the database (if missing), migrates it, and sets up a citizen, an organization, a grant and a consent.
Then it alternates timed rounds of both operations (so drift affects both alike) and prints ops/s and the ratio.
Target: disclose() reaches at least 25% of the primary-key read rate; exits 1 when missed. Bounded: ~20 s of
timing plus set-up.
"""

import os
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citycode.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/citycode_bench")

TARGET = 0.25
ROUNDS = 10
ROUND_SECONDS = 1.0


def ensure_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_world():
    from apps.consent import selectors
    from apps.consent import services as consent
    from apps.identity import idnumbers
    from apps.identity import services as identity
    from apps.identity.models import Citizen, Organization

    def org(slug, kind):
        return Organization.objects.filter(slug=slug).first() or identity.organization_create(
            slug=slug, name=slug, kind=kind
        )

    bureau = org("data-bureau", Organization.Kind.DEPARTMENT)
    venue = org("bench-venue", Organization.Kind.VENUE)
    admin = Citizen.objects.filter(username="bench-bureau").first()
    if admin is None:
        admin = Citizen.objects.create(username="bench-bureau", name="bench")
        identity.membership_set(user=admin, organization=bureau, role="admin")
    citizen = Citizen.objects.filter(username="bench-citizen").first()
    if citizen is None:
        first17 = "33010619900307" + "987"
        citizen = identity.citizen_register(
            username="bench-citizen", name="测试", id_number=first17 + idnumbers.check_character(first17),
            phone="13700000099", password="bench-password-123",
        )
    if not selectors.active_grant_get(organization=venue, purpose=selectors.purpose_get(code="venue.entry")):
        consent.access_grant_create(organization=venue, purpose="venue.entry", approved_by=admin)
    if not citizen.consents.filter(withdrawn_at__isnull=True, organization=venue).exists():
        consent.consent_give(citizen=citizen, purpose="venue.entry", categories=["identity.adult", "identity.name"],
                             organization=venue)
    return citizen, venue


def rate(fn, seconds: float) -> tuple[int, float]:
    n = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(20):
            fn()
        n += 20
        now = time.perf_counter()
        if now >= deadline:
            return n, now - start


def main() -> int:
    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
        print("This benchmark measures PostgreSQL: set DATABASE_URL=postgres://...", file=sys.stderr)
        return 2
    ensure_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)

    from apps.consent import services as consent
    from apps.identity.models import Citizen

    citizen, venue = setup_world()
    citizen_pk = citizen.pk

    def pk_read():
        Citizen.objects.get(pk=citizen_pk)

    def gate():
        consent.disclose(organization=venue, purpose="venue.entry", citizen=citizen, categories=["identity.adult"])

    for fn in (pk_read, gate):  # warm up caches and the connection
        rate(fn, 0.3)

    totals = {"pk_read": [0, 0.0], "disclose": [0, 0.0]}
    for _ in range(ROUNDS):
        for name, fn in (("pk_read", pk_read), ("disclose", gate)):
            n, secs = rate(fn, ROUND_SECONDS)
            totals[name][0] += n
            totals[name][1] += secs

    pk_rate = totals["pk_read"][0] / totals["pk_read"][1]
    gate_rate = totals["disclose"][0] / totals["disclose"][1]
    ratio = gate_rate / pk_rate
    print(f"PostgreSQL {connection.pg_version // 10000}, database {connection.settings_dict['NAME']}")
    print(f"primary-key read of the citizen : {pk_rate:10.0f} ops/s ({1e6 / pk_rate:7.1f} us/op)")
    print(f"disclose() incl. access-log row : {gate_rate:10.0f} ops/s ({1e6 / gate_rate:7.1f} us/op)")
    print(f"ratio disclose / pk read        : {ratio:10.1%}  (target >= {TARGET:.0%})")
    if ratio < TARGET:
        print("TARGET MISSED", file=sys.stderr)
        return 1
    print("target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
