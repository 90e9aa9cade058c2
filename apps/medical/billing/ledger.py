"""Posting to the double-entry ledger. Append-only: a correction is a reversal (``ledger_reverse``).

Chart of accounts, one set per hospital (a debit is a positive amount):

- ``patient_receivable``  what patients owe (debited when a bill is issued, credited as it is paid)
- ``revenue``             the hospital's income (credited when a bill is issued, debited by refunds)
- ``provider:<key>``      cash held by a payment provider for the hospital (``ref`` = ``trade:``/``refund:``)
- ``insurer_fund``        what the pooled fund owes the hospital (``ref`` = ``settlement:<id>``)
- ``insurer_account``     what the patients' personal accounts owe the hospital (same ``ref``)
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from ..models.ledger import LedgerAccount, LedgerEntry, LedgerTransaction

RECEIVABLE = "patient_receivable"
REVENUE = "revenue"
INSURER_FUND = "insurer_fund"
INSURER_ACCOUNT = "insurer_account"


def provider_account(key: str) -> str:
    return f"provider:{key}"


@dataclass(frozen=True)
class Leg:
    account: str
    amount: int  # fen; positive = debit, negative = credit
    ref: str = ""


def _accounts(hospital, codes: set[str]) -> dict[str, LedgerAccount]:
    """The hospital's accounts by code, in one read; a missing one is created (once, by the unique index)."""
    found = {a.code: a for a in LedgerAccount.objects.filter(hospital=hospital, code__in=codes)}
    for code in codes - set(found):
        found[code], _created = LedgerAccount.objects.get_or_create(hospital=hospital, code=code)
    return found


@transaction.atomic
def ledger_post(*, hospital, key: str, kind: str, legs: Sequence[Leg], bill_ref: str = "", memo: str = "",
                reverses: LedgerTransaction | None = None) -> LedgerTransaction:
    """Post a transaction once per ``key`` (a second call returns the first). Zero legs are dropped; the
    database refuses the rest unless they balance (see models/ledger.py)."""
    existing = LedgerTransaction.objects.filter(key=key).first()
    if existing is not None:
        return existing
    if not any(leg.amount for leg in legs):
        # A caller bug (nothing to post): refuse here with a clear message rather than at COMMIT.
        raise ValueError(f"ledger transaction {key!r} has no non-zero leg")
    txn_id = uuid.uuid4()
    accounts = _accounts(hospital, {leg.account for leg in legs if leg.amount != 0})
    # Entries first, then the header: the header's insert is where the database checks the balance.
    LedgerEntry.objects.bulk_create([
        LedgerEntry(transaction_id=txn_id, account=accounts[leg.account], amount_fen=leg.amount, ref=leg.ref)
        for leg in legs if leg.amount != 0
    ])
    now = timezone.now()
    return LedgerTransaction.objects.create(
        id=txn_id, hospital=hospital, key=key, kind=kind, bill_ref=bill_ref, memo=memo[:200], reverses=reverses,
        posted_at=now, day=timezone.localdate(now))


def ledger_reverse(*, original: LedgerTransaction, key: str, memo: str = "",
                   refs: dict[str, str] | None = None) -> LedgerTransaction:
    """Cancel ``original`` with its mirror image. ``refs`` renames entry refs (a reversed payment is matched to
    the provider's refund, not to the trade)."""
    refs = refs or {}
    legs = [Leg(e.account.code, -e.amount_fen, refs.get(e.ref, e.ref))
            for e in original.entries.select_related("account").order_by("pk")]
    return ledger_post(hospital=original.hospital, key=key, kind=LedgerTransaction.Kind.REVERSAL, legs=legs,
                       bill_ref=original.bill_ref, memo=memo or f"reversal of {original.key}", reverses=original)
