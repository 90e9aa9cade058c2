"""`make mutate`: mutmut over the core, one target at a time, each against its own tests; then the SQL mutants.

    DEBUG=true .venv/bin/python tools/mutation/mutate.py [TARGET ...] [--workers N] [--no-sql]

Each target runs in its own scratch directory `.mutation/<target>/` (links to the project, plus a
pyproject.toml whose [tool.mutmut] names the target's files and tests), so targets never share mutmut's
state and a re-run continues where the last one stopped. The report gives, per target, killed / total
and the score with the equivalent mutants listed in `equivalent.py` set aside; the run fails when a
target is below its threshold. mutmut does not mutate module-level strings, so gate_queries.py's SQL is
covered by the hand-written mutants of `sql_mutants.py` (run last, see run_sql_mutants.py).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tools.mutation.equivalent import EQUIVALENT  # noqa: E402


@dataclass(frozen=True)
class Target:
    name: str
    files: tuple[str, ...]
    tests: tuple[str, ...]
    threshold: float  # percent killed, equivalent mutants set aside


TARGETS = (
    Target("gate", ("apps/consent/services/gate.py", "apps/consent/gate_queries.py"), (
        "tests/consent/test_gate_mutants.py", "tests/consent/test_disclose.py",
        "tests/consent/test_access_log_chain.py"), 90.0),
    Target("consents", ("apps/consent/services/consents.py",), (
        "tests/consent/test_gate_mutants.py", "tests/consent/test_disclose.py", "tests/consent/test_receipts.py",
        "tests/consent/test_representation.py"), 80.0),
    Target("tokens", ("apps/codes/tokens.py", "apps/codes/base45.py"), (
        "tests/codes/test_tokens_mutants.py", "tests/codes/test_tokens.py", "tests/codes/test_verify.py",
        "tests/codes/test_base45_properties.py", "tests/codes/test_token_decoding_properties.py",
        "tests/codes/test_tokens_envelope.py"), 90.0),
    Target("idnumbers", ("apps/identity/idnumbers.py",), (
        "tests/identity/test_idnumbers_mutants.py", "tests/identity/test_idnumbers.py",
        "tests/identity/test_idnumbers_properties.py"), 90.0),
    Target("medical", ("apps/medical/services/booking.py", "apps/medical/services/checkin.py"), (
        "tests/medical/test_booking.py", "tests/medical/test_check_in.py", "tests/medical/test_api.py"), 80.0),
    # The medical insurance split (a pure function of integers) and the insurer's settle check.
    Target("insurance", ("apps/medical/billing/insurance.py",), (
        "tests/medical/billing/test_insurance_split.py",), 90.0),
)
# What the tests import besides the mutated package; linked into each scratch directory.
PROJECT = ("citycode", "templates", "locale", "locale_parts", "static", "manage.py", "tools")
SCRATCH = ROOT / ".mutation"


def toml_list(values) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def prepare(target: Target) -> Path:
    work = SCRATCH / target.name
    work.mkdir(parents=True, exist_ok=True)
    for name in ("apps", "tests", *PROJECT):
        link = work / name
        if (ROOT / name).exists() and not link.exists():
            link.symlink_to(ROOT / name)
    config = (ROOT / "pyproject.toml").read_text("utf-8") + f"""
[tool.mutmut]
source_paths = ["apps"]
only_mutate = {toml_list(target.files)}
also_copy = {toml_list(p for p in PROJECT if (ROOT / p).exists())}
pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:randomly", "-o", "addopts="]
pytest_add_cli_args_test_selection = {toml_list(target.tests)}
"""
    if not (work / "pyproject.toml").exists() or (work / "pyproject.toml").read_text("utf-8") != config:
        (work / "pyproject.toml").write_text(config, "utf-8")
        shutil.rmtree(work / "mutants", ignore_errors=True)  # another configuration: start afresh
    return work


def mutmut(work: Path, *args: str, capture: bool = False) -> subprocess.CompletedProcess:
    env = dict(os.environ, DEBUG="true")
    env.pop("DATABASE_URL", None)  # mutmut forks a test run per mutant: SQLite, in memory
    env.pop("CELERY_BROKER_URL", None)
    command = [str(Path(sys.executable).with_name("mutmut")), *args]
    return subprocess.run(command, cwd=work, env=env, text=True, capture_output=capture)  # noqa: S603


def score(target: Target, work: Path) -> tuple[bool, str]:
    listing = mutmut(work, "results", "--all", "true", capture=True).stdout
    statuses = {}
    for line in listing.splitlines():
        key, _, status = line.strip().rpartition(": ")
        if key:
            statuses[key] = status
    # set aside only the equivalent mutants of this run (with --only, the others are "not checked")
    equivalent = {k for k, s in statuses.items() if k in EQUIVALENT and s != "not checked"}
    # "no tests": code no selected test reaches on SQLite (the PostgreSQL-only append; see the SQL mutants)
    untested = sorted(k for k, s in statuses.items() if s == "no tests" and k not in equivalent)
    not_run = [k for k, s in statuses.items() if s == "not checked"]
    counted = {k: s for k, s in statuses.items()
               if k not in equivalent and s not in ("skipped", "no tests", "not checked")}
    killed = [k for k, s in counted.items() if s in ("killed", "timeout")]
    survivors = sorted(k for k, s in counted.items() if s not in ("killed", "timeout"))
    raw = 100.0 * len(killed) / len(statuses) if statuses else 0.0
    percent = 100.0 * len(killed) / len(counted) if counted else 0.0
    lines = [f"{target.name}: {len(killed)}/{len(counted)} killed = {percent:.1f}% "
             f"({len(equivalent)} equivalent and {len(untested)} without a test on SQLite set aside; "
             f"{raw:.1f}% of all {len(statuses)}), threshold {target.threshold:.0f}%"
             + (f"; {len(not_run)} not run (--only)" if not_run else "")]
    lines += [f"    {statuses[k]:<10} {k}" for k in survivors]
    if untested:
        lines.append(f"    no tests on SQLite: {', '.join(untested)}")
    return percent >= target.threshold and bool(counted), "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("targets", nargs="*", help=f"any of {', '.join(t.name for t in TARGETS)} (default: all)")
    parser.add_argument("--workers", type=int, default=2, help="mutmut --max-children (default 2)")
    parser.add_argument("--no-sql", action="store_true", help="skip the hand-written SQL mutants")
    parser.add_argument("--only", action="append", default=[], metavar="GLOB",
                        help="run only the mutants whose mutmut key matches, e.g. 'apps.codes.tokens.x_verify*'")
    args = parser.parse_args()
    chosen = [t for t in TARGETS if not args.targets or t.name in args.targets]
    unknown = set(args.targets) - {t.name for t in TARGETS}
    if unknown:
        parser.error(f"unknown targets: {', '.join(sorted(unknown))}")

    reports, passed = [], True
    for target in chosen:
        work = prepare(target)
        started = time.monotonic()
        print(f"== mutmut: {target.name} ({', '.join(target.files)})", flush=True)
        run = mutmut(work, "run", "--max-children", str(args.workers), *args.only)
        ok, report = score(target, work)
        report += (f"\n    ({time.monotonic() - started:.0f}s; inspect a survivor: "
                   f"cd .mutation/{target.name} && ../../.venv/bin/mutmut show KEY)")
        if run.returncode != 0:
            ok, report = False, report + f"\n    mutmut run exited {run.returncode}"
        passed &= ok
        reports.append(report)
    print("\n== mutation scores\n" + "\n".join(reports), flush=True)
    if not args.no_sql and (not args.targets or "gate" in args.targets):
        print("\n== hand-written SQL mutants", flush=True)
        sql = subprocess.run([sys.executable, str(ROOT / "tools/mutation/run_sql_mutants.py")], cwd=ROOT)  # noqa: S603
        passed &= sql.returncode == 0
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
