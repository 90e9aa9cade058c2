"""The insurance split of a bill, as a pure function of integers (fen), and the insurer interface.

China's national insurance interface settles in steps: register → upload fee details → pre-settle → settle →
reverse on failure → daily reconciliation. The pre-settle result splits the bill into the pooled fund's share,
the personal account's share and cash. :func:`split` computes that result from the patient's coverage terms and
what the patient has already used this year; it never touches the database, so every rule below has worked
examples in ``tests/medical/test_insurance_split.py``.

Rules, applied line by line in the bill's order (so the result is reproducible and each line knows its shares,
which a refund of one line gives back):

1. A category with no ratio (or an uninsured patient) is fully self-paid.
2. The year's deductible is consumed first by covered amounts, until it is used up.
3. The fund pays ``ratio`` (basis points, 10000 = 100%) of the rest, rounded DOWN to the fen: the patient pays
   the rounding, never the fund (an insurer audits over-payment, not under-payment).
4. The fund never pays past the annual cap.
5. The patient's share (everything the fund does not pay) comes from the personal account while its balance
   lasts; the remainder is cash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

FULL_RATIO = 10_000


@dataclass(frozen=True)
class Terms:
    """A patient's coverage for one year, as the insurer states it (all money in fen, ratios in basis points)."""

    insured: bool
    deductible: int = 0
    annual_cap: int = 0
    ratios: Mapping[str, int] = field(default_factory=dict)
    account_balance: int = 0

    def __post_init__(self) -> None:
        if min(self.deductible, self.annual_cap, self.account_balance) < 0:
            raise ValueError("coverage amounts cannot be negative")
        if any(not 0 <= r <= FULL_RATIO for r in self.ratios.values()):
            raise ValueError("a ratio is between 0 and 10000 basis points")


@dataclass(frozen=True)
class Used:
    """What the patient has already used this year (settled, not reversed)."""

    deductible: int = 0
    fund: int = 0


@dataclass(frozen=True)
class LineSplit:
    amount: int
    category: str
    self_paid: int  # not covered at all (rule 1)
    deductible: int  # covered, but paid by the patient to meet the deductible (rule 2)
    ratio: int
    fund: int
    account: int
    cash: int

    @property
    def eligible(self) -> int:
        return self.amount - self.self_paid


@dataclass(frozen=True)
class Split:
    lines: tuple[LineSplit, ...]

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def fund(self) -> int:
        return sum(line.fund for line in self.lines)

    @property
    def account(self) -> int:
        return sum(line.account for line in self.lines)

    @property
    def cash(self) -> int:
        return sum(line.cash for line in self.lines)

    @property
    def deductible(self) -> int:
        return sum(line.deductible for line in self.lines)

    @property
    def self_paid(self) -> int:
        return sum(line.self_paid for line in self.lines)


def split(*, lines: Sequence[tuple[str, int]], terms: Terms, used: Used = Used()) -> Split:
    """Split ``lines`` (``(category, amount in fen)`` in the bill's order) into fund, account and cash shares.

    Every line satisfies ``fund + account + cash == amount`` exactly; nothing is ever a float.
    """
    if any(amount < 0 for _category, amount in lines):
        raise ValueError("a line amount cannot be negative")
    # An uninsured patient has no ratio (so neither deductible nor cap comes into play) and no account.
    deductible_left = max(0, terms.deductible - used.deductible)
    cap_left = max(0, terms.annual_cap - used.fund)
    account_left = terms.account_balance if terms.insured else 0
    result = []
    for category, amount in lines:
        ratio = terms.ratios.get(category, 0) if terms.insured else 0
        self_paid = amount if ratio == 0 else 0
        eligible = amount - self_paid
        deductible = min(eligible, deductible_left)
        deductible_left -= deductible
        fund = min((eligible - deductible) * ratio // FULL_RATIO, cap_left)
        cap_left -= fund
        account = min(amount - fund, account_left)
        account_left -= account
        result.append(LineSplit(amount=amount, category=category, self_paid=self_paid, deductible=deductible,
                                ratio=ratio, fund=fund, account=account, cash=amount - fund - account))
    return Split(lines=tuple(result))


class InsurerRefused(Exception):
    """The insurer refused to settle; ``reason`` is machine-readable (the settlement is then reversed)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SimulatedInsurer:
    """The insurer's settle step, as the national interface behaves: it re-checks the pre-settled shares against
    the patient's account and the fund's annual cap as they are NOW, and refuses a pre-settlement that no longer
    holds (another bill settled in between), so the caller must reverse and pre-settle again."""

    key = "simulated"

    def settle(self, *, fund: int, account: int, account_balance: int, cap_left: int, settlement_id: int) -> str:
        if account > account_balance:
            raise InsurerRefused("account_balance_changed")
        if fund > cap_left:
            raise InsurerRefused("annual_cap_reached")
        return f"SIMINS-{settlement_id:010d}"
