"""Apply each hand-written SQL mutant of the consent gate and expect the consent tests to kill it.

    DEBUG=true .venv/bin/python tools/mutation/run_sql_mutants.py [--only NAME ...] [pytest paths ...]

The backend follows DATABASE_URL (PostgreSQL when it names one, SQLite otherwise); mutants of statements
that do not run there are skipped. First the tests must pass unmutated; then one pytest run per mutant
(`-x`: the first failing test is a kill). Exit status 0 only when every mutant was killed; 1 when one
survived; 2 when a mutant's target text is no longer in gate_queries.py (re-target it) or a run errored.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tools.mutation.sql_mutant_plugin import TargetNotFound, mutated  # noqa: E402
from tools.mutation.sql_mutants import MUTANTS  # noqa: E402

GATE_QUERIES = ROOT / "apps" / "consent" / "gate_queries.py"
DEFAULT_TESTS = [
    "tests/consent/test_gate_mutants.py",
    "tests/consent/test_disclose.py",
    "tests/consent/test_access_log_chain.py",
]


def sql_constants() -> dict[str, str]:
    """The module-level SQL strings of gate_queries as the running code sees them.

    Imported rather than parsed: some statements are built at import from models.LOG_ROW (an f-string), so
    their text exists only at run time, which is also where the pytest plugin applies the mutant.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citycode.settings")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from apps.consent import gate_queries

    return {name: value for name, value in vars(gate_queries).items()
            if isinstance(value, str) and name.lstrip("_").isupper()}


def check_targets(mutants) -> list[str]:
    constants = sql_constants()
    problems = []
    for mutant in mutants:
        if mutant.constant not in constants:
            problems.append(f"SQL mutant {mutant.name!r}: gate_queries.py has no constant {mutant.constant}")
            continue
        try:
            mutated(mutant, constants[mutant.constant])
        except TargetNotFound as exc:
            problems.append(str(exc))
    return problems


def pytest_run(paths: list[str], mutant: str | None, *, create_db: bool = False) -> tuple[int, str]:
    env = dict(os.environ, DEBUG=os.environ.get("DEBUG", "true"))
    env.pop("CITYCODE_SQL_MUTANT", None)
    if mutant:
        env["CITYCODE_SQL_MUTANT"] = mutant
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-p", "no:randomly",
               "-p", "tools.mutation.sql_mutant_plugin", "-o", "addopts=",
               # the unmutated run builds the test database, every mutant reuses it (migrations cost most of a run)
               "--reuse-db", *(["--create-db"] if create_db else []), *paths]
    # our own interpreter and fixed arguments, no shell
    completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)  # noqa: S603
    return completed.returncode, "\n".join((completed.stdout + completed.stderr).splitlines()[-30:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", default=[], help="run only this mutant (repeatable)")
    parser.add_argument("paths", nargs="*", default=DEFAULT_TESTS, help="test files to run against each mutant")
    args = parser.parse_args()

    backend = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    unknown = set(args.only) - {m.name for m in MUTANTS}
    if unknown:
        print(f"unknown SQL mutants: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    problems = check_targets(MUTANTS)  # every mutant, even the ones not run here: a stale one is stale everywhere
    if problems:
        print("SQL MUTANTS OUT OF DATE — gate_queries.py changed; re-target them:", file=sys.stderr)
        for problem in problems:
            print("  " + problem, file=sys.stderr)
        return 2
    selected = [m for m in MUTANTS if (not args.only or m.name in args.only)]
    runnable = [m for m in selected if backend in m.backends]

    started = time.monotonic()
    code, tail = pytest_run(args.paths, None, create_db=True)
    if code != 0:
        print(f"{tail}\nthe tests fail without any mutant ({' '.join(args.paths)}); fix them first", file=sys.stderr)
        return 2
    print(f"SQL mutants of gate_queries.py on {backend}: {len(runnable)} to run, "
          f"{len(selected) - len(runnable)} for the other backend")
    survived, errored = [], []
    for mutant in runnable:
        began = time.monotonic()
        code, tail = pytest_run(args.paths, mutant.name)
        verdict = {0: "SURVIVED", 1: "killed"}.get(code, f"ERROR (pytest exit {code})")
        print(f"  {verdict:<9} {mutant.name:<36} {time.monotonic() - began:5.1f}s"
              + (f"  — {mutant.why}" if code == 0 else ""), flush=True)
        if code not in (0, 1):
            print(tail, flush=True)
        (survived if code == 0 else errored if code != 1 else []).append(mutant.name)
    print(f"{len(runnable) - len(survived) - len(errored)}/{len(runnable)} killed in "
          f"{time.monotonic() - started:.0f}s")
    if errored:
        return 2
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
