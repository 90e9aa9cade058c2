"""The SQL-mutant runner itself: it must refuse a mutant whose target text is gone, never skip it."""

import pytest

from tools.mutation import run_sql_mutants
from tools.mutation.sql_mutant_plugin import TargetNotFound, mutated
from tools.mutation.sql_mutants import MUTANTS, SqlMutant


def test_every_sql_mutant_still_finds_its_target_exactly_once():
    # When gate_queries.py's SQL changes, this names the mutants to re-target (the CI step refuses to run too)
    assert run_sql_mutants.check_targets(MUTANTS) == []


def test_names_are_unique_and_every_mutant_changes_its_statement():
    assert len({m.name for m in MUTANTS}) == len(MUTANTS)
    constants = run_sql_mutants.sql_constants()
    for mutant in MUTANTS:
        assert mutated(mutant, constants[mutant.constant]) != constants[mutant.constant], mutant.name


def test_a_target_that_is_gone_stops_the_run_with_the_mutants_name():
    # Given a mutant whose text no longer occurs in the SQL
    stale = SqlMutant("stale", "_DECISION", "g.organisation_id = %(org)s", "TRUE")
    # Then applying it fails, naming it, instead of running the tests against unmutated SQL
    with pytest.raises(TargetNotFound, match="stale"):
        mutated(stale, "SELECT 1 FROM consent_accessgrant g WHERE g.organization_id = %(org)s")
    assert run_sql_mutants.check_targets([stale])[0].startswith("SQL mutant 'stale'")
    # And a text found twice is ambiguous, so refused too
    twice = SqlMutant("twice", "_DECISION", "p.code = %(code)s", "TRUE")
    with pytest.raises(TargetNotFound, match="2 times"):
        mutated(twice, "p.code = %(code)s UNION p.code = %(code)s")
    assert run_sql_mutants.check_targets([SqlMutant("nowhere", "_NO_SUCH", "x", "y")]) != []
