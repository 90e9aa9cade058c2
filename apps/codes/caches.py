"""Every process-level cache of apps/codes in one place: its key, how it is dropped, and how stale it may be.

Two layers serve the scan path. The Django cache (``settings.CACHES``) holds the published documents; in
production it is Redis and shared, so a change's invalidation (on commit) reaches every process at once.
Locally it is a per-process LocMemCache that another process's invalidation never reaches. In front of it each
process memoises what a scan needs for :data:`PROCESS_SECONDS`, which saves a cache round trip per scan.

What may be stale, and for how long:

- status lists (revocation): at most :data:`PROCESS_SECONDS` after the commit in every process. Without a
  shared cache the status rows skip the Django cache (it would not hear other processes' invalidations) and
  are re-read from the database when the process memo ages out: the same bound.
- the trust list (keys of this city and its peers): :data:`PROCESS_SECONDS` with a shared cache; without one,
  up to :data:`DOCUMENT_SECONDS` in another process (an imported or dropped peer key).
- the active signing key: :data:`SIGNER_SECONDS` per process after a rotation; meanwhile the process signs with
  the retiring key, which stays published and valid, so nothing breaks.
- decrypted private keys by kid, parsed trust lists by ETag, parsed status lists by version: keyed by
  content, never stale; dropped when a key retires or by size.
- memos of pure functions, keyed by their whole input and so never stale, stay beside their function as
  ``functools.lru_cache``: ``tokens._protected_header`` (a handful of header bytes -> alg, kid),
  ``tokens._plain_head`` (payload heads per issuer and code type), ``keys._wrapping_key`` and
  ``keys._handle_key`` (per secret and code type), ``services.valid_code_type``, ``qr.render_svg`` and
  ``qr.render_png`` (per token text, bounded), ``selectors._citizen_by_pk_sql`` (one SQL string); and the bit
  masks per group count in ``base45._b45_masks``/``base45._b45_decode_masks`` (constants).
  :func:`forget_process_caches` clears them too.
- the single-use purposes: :data:`PURPOSE_SECONDS` per process after the data bureau changes the flag.
- department-defined code types (``defined.defined_type_map``): :data:`PROCESS_SECONDS` per process after a
  version is published; they live in the process memo, so no restart is needed.

Outside apps/codes (apps lower in the import order cannot use this module), three more, none of which can be
stale: the consent gate's category bound per purpose (``consent.services.gate._bound_cache``, keyed by the
purpose's ``updated_at``, which every change to the bound moves), the real-name verifier class named by a
setting (``identity.realname._verifier_class``) and the constraint-to-field map built from the models
(``citycode.errors._constraint_fields``). Staff permissions are not cached: ``identity.permissions.user_can``
asks guardian's rows each time, so a removed role ends at once.

Process caches learn only outside transactions (:func:`committed_state`): a row read or written inside one
may still roll back, and a process-wide cache must never hand out a key or a list that does not exist.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

DOCUMENT_SECONDS = 60
PROCESS_SECONDS = 2
SIGNER_SECONDS = 30
PURPOSE_SECONDS = 30

TRUST_KEY = "codes:trust-list"
STATUS_KEY = "codes:status-lists"


def issuer() -> str:
    return settings.CITYCODE_ISSUER


def clock() -> float:
    """Monotonic seconds (a function, so a test can move time without sleeping)."""
    return time.monotonic()


def active_key_key(issuer_name: str) -> str:
    return f"codes:active-key:{issuer_name}"


def status_document_key(list_id: str, version: int, kid: str) -> str:
    return f"codes:status-doc:{list_id}:{version}:{kid}"


def shared() -> bool:
    """Whether the Django cache is one for every process (Redis, memcached, database) or per process."""
    backend = settings.CACHES["default"]["BACKEND"]
    return not backend.endswith(("LocMemCache", "DummyCache"))


def committed_state() -> bool:
    return not connection.in_atomic_block


# -- the per-process layer ------------------------------------------------------------------------------

# Django cache key -> (value, clock() when learnt); see PROCESS_SECONDS.
_memo: dict[str, tuple[Any, float]] = {}
# kid -> decrypted tokens.Signer; a kid's key material never changes.
signers: dict[str, Any] = {}
# issuer -> (tokens.Signer of the active key, clock() when learnt); see SIGNER_SECONDS.
active_signers: dict[str, tuple[Any, float]] = {}
# trust-list ETag -> tokens.TrustList; status-list versions -> tokens.StatusLists. Content-keyed.
trust_lists: dict[str, Any] = {}
status_sets: dict[tuple, Any] = {}
# (secret, code type) -> unused (cti, keystream) pairs for keys.fresh_handle: random, each handed out once,
# never stale; emptied in a forked child (below) so no two processes share one.
handle_pools: dict[tuple[str, str], list[tuple[bytes, int]]] = {}
# (frozenset of single-use purpose codes, clock() when learnt); see PURPOSE_SECONDS.
_single_use: list[tuple[frozenset[str], float]] = []
_PARSED_MAX = 16


os.register_at_fork(after_in_child=handle_pools.clear)


def memo_get(key: str) -> Any | None:
    held = _memo.get(key)
    if held is not None and clock() - held[1] < PROCESS_SECONDS:
        return held[0]
    return None


def memo_set(key: str, value: Any) -> None:
    if committed_state():
        _memo[key] = (value, clock())


def remember_parsed(store: dict, key: Any, value: Any) -> Any:
    if len(store) >= _PARSED_MAX:
        store.clear()
    store[key] = value
    return value


def single_use_purposes(load: Callable[[], frozenset[str]]) -> frozenset[str]:
    if _single_use and clock() - _single_use[0][1] < PURPOSE_SECONDS:
        return _single_use[0][0]
    codes = load()
    if committed_state():
        _single_use[:] = [(codes, clock())]
    return codes


# -- invalidation ---------------------------------------------------------------------------------------


def invalidate_trust() -> None:
    """Forget every cached key and trust-list document (after a rotation or an import)."""
    active_signers.clear()
    _memo.pop(TRUST_KEY, None)
    cache.delete_many([TRUST_KEY, active_key_key(issuer())])


def invalidate_status() -> None:
    _memo.pop(STATUS_KEY, None)
    cache.delete(STATUS_KEY)


def invalidate_on_commit(invalidator: Callable[[], None]) -> None:
    # Now, so this transaction reads its own change; and after commit, in case a concurrent reader cached
    # the old state in between.
    invalidator()
    transaction.on_commit(invalidator)


def forget_memo(key: str) -> None:
    _memo.pop(key, None)


def forget_signer(kid: str) -> None:
    signers.pop(kid, None)


def forget_process_caches(**_signal_kwargs: Any) -> None:
    """Drop every per-process cache (post_migrate, which also follows a test database flush)."""
    _memo.clear()
    signers.clear()
    active_signers.clear()
    trust_lists.clear()
    status_sets.clear()
    _single_use.clear()
    handle_pools.clear()
    from . import keys, qr, selectors, services, tokens  # the pure-function memos listed above

    for memo in (tokens._protected_header, keys._wrapping_key, keys._handle_key, qr.render_svg, qr.render_png,
                 selectors._citizen_by_pk_sql, services.valid_code_type, tokens._plain_head):
        memo.cache_clear()
