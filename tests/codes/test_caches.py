"""Process caches (issue 8 point 3) and revocation visible to every process within a stated bound
(issue 7, finding 12)."""

import ast
import datetime as dt
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db.models import F

from apps.codes import caches, selectors, services, statuslists
from apps.codes.models import StatusList
from apps.codes.tokens import VerificationFailed

CODES = Path(__file__).resolve().parents[2] / "apps" / "codes"


def _revoke_as_another_process(issued):
    """What another process's status_set leaves behind for this one: the row changed, and (with a shared cache)
    the shared entry dropped, but this process's own memo untouched."""
    StatusList.objects.filter(code_type="city").update(
        bits=statuslists.with_bit(bytes(StatusList.objects.get(code_type="city").bits), issued.status_index, True),
        version=F("version") + 1)
    if caches.shared():
        cache.delete(caches.STATUS_KEY)


def _later(monkeypatch, seconds):
    now = caches.clock()
    monkeypatch.setattr(caches, "clock", lambda: now + seconds)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("shared", [False, True], ids=["per-process cache", "shared cache"])
def test_a_revocation_made_in_another_process_is_seen_within_the_bound(make_citizen, monkeypatch, shared):
    # Given a document that verified in this process (so its status list is memoised here)
    monkeypatch.setattr(caches, "shared", lambda: shared)
    issued = services.token_issue(citizen=make_citizen(), code_type="city", lifetime=dt.timedelta(minutes=5),
                                  with_status=True)
    selectors.verified_token_get(token=issued.token)
    # When another process revokes it
    _revoke_as_another_process(issued)
    # Then once this process's layer has aged out (PROCESS_SECONDS, the stated bound), the token is refused
    _later(monkeypatch, caches.PROCESS_SECONDS + 0.01)
    with pytest.raises(VerificationFailed) as failure:
        selectors.verified_token_get(token=issued.token)
    assert failure.value.reason == "revoked"


@pytest.mark.django_db
def test_a_revocation_in_this_process_is_seen_at_once(make_citizen):
    issued = services.token_issue(citizen=make_citizen(), code_type="city", lifetime=dt.timedelta(minutes=5),
                                  with_status=True)
    selectors.verified_token_get(token=issued.token)
    services.status_set(code_type="city", index=issued.status_index)
    with pytest.raises(VerificationFailed):
        selectors.verified_token_get(token=issued.token)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = ("." * node.level) + (node.module or "")
            found |= {f"{base}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_selectors_never_import_services():
    imported = _imports(CODES / "selectors.py")
    offending = {name for name in imported if name.endswith("services") and "consent" not in name}
    assert not offending, (
        "apps/codes/selectors.py imports the codes services; reads must not depend on writes. Move what the "
        f"selector needs (a cache key, issuer()) into apps/codes/caches.py. Found: {sorted(offending)}")


def test_process_level_caches_live_in_the_cache_module():
    # A module-level dict or list that some function fills is a process cache: it belongs in caches.py, which
    # says how stale it may be. (Pure-function memos with lru_cache are listed there too.)
    for path in CODES.glob("*.py"):
        if path.name == "caches.py":
            continue
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.AnnAssign | ast.Assign):
                value = node.value
                if isinstance(value, ast.Dict | ast.List) and not (value.keys if isinstance(value, ast.Dict)
                                                                   else value.elts):
                    target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
                    name = getattr(target, "id", "?")
                    if name in (CODES / "caches.py").read_text():
                        continue  # a pure memo, listed (with why it is never stale) in caches.py
                    raise AssertionError(f"{path.name}: module-level `{name}` looks like a process cache; "
                                         "move it into apps/codes/caches.py with a sentence on its staleness.")
        lru = [node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
               and any("lru_cache" in ast.unparse(decorator) for decorator in node.decorator_list)]
        for name in lru:
            assert name in (CODES / "caches.py").read_text(), (
                f"{path.name}: {name} is memoised; list it in apps/codes/caches.py and clear it there.")
