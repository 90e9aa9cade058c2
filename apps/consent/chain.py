"""The per-citizen hash chain of the access log: how a row is digested, linked and verified.

Deletion and the chain (retention): a row that outlived its purpose's retention is first *redacted* — its
content is blanked but its `content_digest`, `prev_hash` and `hash` stay — so a chain with interleaved
purposes of different retention still verifies link by link. Once the oldest rows of a chain are all
redacted they are deleted and the last deleted row's (seq, hash) becomes the chain's anchor in
`ChainHead`; verification then starts at the anchor instead of the genesis hash.
"""

import hashlib
import json
from dataclasses import dataclass

from .models import GENESIS_HASH, LOG_ROW, AccessLog, ChainHead


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_of(row: AccessLog) -> dict:
    """The row's hashed content: every column of `LOG_ROW` that the row's chain format hashes."""
    return {
        column.hashed_as: column.hashed_value(row)
        for column in LOG_ROW
        if column.hashed_as is not None and column.since <= row.chain_format
    }


def digest_content(row: AccessLog) -> str:
    return hashlib.sha256(canonical_json(content_of(row)).encode()).hexdigest()


def link_hash(prev_hash: str, seq: int, content_digest: str) -> str:
    return hashlib.sha256(f"{prev_hash}:{seq}:{content_digest}".encode()).hexdigest()


def seal(row: AccessLog, *, prev_hash: str) -> None:
    """Fill the row's hashes; `row.seq` and `row.content_digest` must be set."""
    row.prev_hash = prev_hash
    row.hash = link_hash(prev_hash, row.seq, row.content_digest)


@dataclass(frozen=True)
class BrokenLink:
    citizen_id: int
    seq: int | None
    problem: str

    def __str__(self) -> str:
        where = f"row #{self.seq}" if self.seq is not None else "chain head"
        return f"citizen {self.citizen_id}: {where}: {self.problem}"


def verify_chain(*, head: ChainHead | None, rows, citizen_id: int) -> BrokenLink | None:
    """Walk one citizen's rows (ordered by seq) from the anchor; return the first broken link, or None."""
    expected_seq = (head.anchor_seq if head else 0) + 1
    prev = head.anchor_hash if head else GENESIS_HASH
    for row in rows:
        if row.seq != expected_seq:
            return BrokenLink(citizen_id, row.seq, f"expected row #{expected_seq} (a row is missing)")
        if row.prev_hash != prev:
            return BrokenLink(citizen_id, row.seq, "prev_hash does not match the previous row's hash")
        if row.redacted_at is None and digest_content(row) != row.content_digest:
            return BrokenLink(citizen_id, row.seq, "content does not match its digest (row altered)")
        if link_hash(row.prev_hash, row.seq, row.content_digest) != row.hash:
            return BrokenLink(citizen_id, row.seq, "hash does not match (row altered)")
        prev = row.hash
        expected_seq += 1
    last_seq = expected_seq - 1
    if head is None:
        return BrokenLink(citizen_id, None, "rows exist but the chain head is missing") if last_seq else None
    if last_seq != head.seq or prev != head.last_hash:
        return BrokenLink(citizen_id, None, f"chain ends at #{last_seq} but its head records #{head.seq}")
    return None


def verify_all() -> tuple[int, list[BrokenLink]]:
    """Verify every chain (streaming rows in order); return (chains checked, first broken link of each)."""
    from itertools import groupby

    heads = {h.citizen_id: h for h in ChainHead.objects.all()}
    broken: list[BrokenLink] = []
    seen: set[int] = set()
    rows = AccessLog.objects.order_by("citizen_id", "seq").iterator(chunk_size=2000)
    for citizen_id, group in groupby(rows, key=lambda r: r.citizen_id):
        seen.add(citizen_id)
        link = verify_chain(head=heads.get(citizen_id), rows=group, citizen_id=citizen_id)
        if link is not None:
            broken.append(link)
    for citizen_id, head in heads.items():
        if citizen_id not in seen:
            link = verify_chain(head=head, rows=[], citizen_id=citizen_id)
            if link is not None:
                broken.append(link)
    return len(seen | set(heads)), broken
