"""Selector names follow HackSoft's styleguide: `<entity>_get` (one object or None) or `<entity>_list` (many),
with what to filter by as keyword arguments (`consent_get(*, citizen, consent_id)`, `grant_list(*,
organization=None)`). Read with `ast`, like tests/test_conventions.py; a failure says what to do."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VERBS = ("get", "list", "count", "exists")
SELECTOR_NAME = re.compile(rf"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*_(?:{'|'.join(VERBS)})$")


def selector_modules() -> list[Path]:
    return sorted((ROOT / "apps").glob("*/selectors.py")) + sorted((ROOT / "apps").glob("*/selectors/*.py"))


def selector_name_violations(source: str, module: str) -> list[str]:
    """Public module-level functions whose name is not `<entity>_<verb>`."""
    return [
        f"{module}:{node.lineno} {node.name}() — name a selector <entity>_get or <entity>_list (or _count, "
        f"_exists), with the filters as keyword arguments (e.g. `consents_for(*, citizen)` → `consent_list(*, "
        f"citizen)`, `grant_by_id` → `grant_get`); a helper that is not a selector gets a leading underscore."
        for node in ast.parse(source).body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and not node.name.startswith("_") and not SELECTOR_NAME.match(node.name)
    ]


@pytest.mark.parametrize("path", selector_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_selector_is_named_entity_get_or_entity_list(path):
    assert selector_name_violations(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT))) == []


def test_the_selector_name_check_catches_every_old_shape():
    source = "\n".join(f"def {name}(*, x): ...\n" for name in (
        "purposes_list", "consents_for", "consent_of", "grant_by_id", "active_grant", "verify_live",
    ))
    source += "def _helper(): ...\ndef consent_get(*, citizen, consent_id): ...\n"
    source += "def purpose_list(*, active_only=True): ...\n"
    found = selector_name_violations(source, "m")
    # (purposes_list has the shape: the check judges the shape, the entity's spelling is left to review)
    assert [line.split(" ")[1] for line in found] == [
        "consents_for()", "consent_of()", "grant_by_id()", "active_grant()", "verify_live()",
    ]
    assert "name a selector <entity>_get or <entity>_list" in found[0]


def test_the_check_finds_every_app_s_selectors():
    assert {p.parent.name for p in selector_modules()} >= {"codes", "consent", "identity", "talent"}
