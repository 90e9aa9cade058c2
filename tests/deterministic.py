"""Hypothesis settings for the property tests: the same examples on every run and every machine.

`derandomize=True` derives the examples from each test's source instead of a random seed, and no example
database is kept, so a property test never passes on one run and fails on the next; `max_examples` keeps
each test to a fraction of a second.
"""

from hypothesis import HealthCheck, settings

deterministic = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
