"""pytest plugin: apply the SQL mutant named by $CITYCODE_SQL_MUTANT to apps.consent.gate_queries in memory.

Loaded by run_sql_mutants.py as `-p tools.mutation.sql_mutant_plugin`; without the variable it does nothing.
"""

from __future__ import annotations

import os

import pytest

from tools.mutation.sql_mutants import MUTANTS, SqlMutant


class TargetNotFound(Exception):
    pass


def mutated(mutant: SqlMutant, source: str) -> str:
    """The constant's text with the mutant applied; TargetNotFound unless the target occurs exactly once."""
    count = source.count(mutant.old)
    if count != 1:
        raise TargetNotFound(
            f"SQL mutant {mutant.name!r}: target text found {count} times in gate_queries.{mutant.constant} "
            f"(expected once); the SQL changed, re-target the mutant in tools/mutation/sql_mutants.py:\n"
            f"  {mutant.old!r}")
    return source.replace(mutant.old, mutant.new)


def by_name(name: str) -> SqlMutant:
    for mutant in MUTANTS:
        if mutant.name == name:
            return mutant
    raise TargetNotFound(f"no SQL mutant named {name!r}")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    name = os.environ.get("CITYCODE_SQL_MUTANT")
    if not name:
        return
    from apps.consent import gate_queries  # after pytest-django has set Django up

    mutant = by_name(name)
    source = getattr(gate_queries, mutant.constant, None)
    if not isinstance(source, str):
        raise TargetNotFound(f"SQL mutant {name!r}: gate_queries has no SQL constant {mutant.constant}")
    setattr(gate_queries, mutant.constant, mutated(mutant, source))
