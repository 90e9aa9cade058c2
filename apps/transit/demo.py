"""Transit's part of the demo city. (The fares part lives in fare_demo.py; the ride code's part, when it has one,
goes here too.)"""

from typing import Any

from . import fare_demo


def seed(*, stdout: Any) -> None:
    fare_demo.seed(stdout=stdout)
