"""Error codes: one enum per app (`apps/<app>/errors.py`, `citycode.errors.ErrorCode` for the cross-cutting
ones), each code with exactly one HTTP status, and no bare string code at a raise site under apps/.

The raise-site check reads the source with `ast` (like tests/test_conventions.py); each failure says what to do.
"""

import ast
import importlib
from pathlib import Path

import pytest
from rest_framework import exceptions as drf_exceptions

from apps.codes import tokens
from apps.codes.errors import CodesErrorCode
from citycode.errors import Conflict, DomainError, ErrorCode, ErrorCodeEnum, Forbidden, NotFound

ROOT = Path(__file__).resolve().parents[1]
APPS = ROOT / "apps"
RAISED = {cls.__name__: cls for cls in (DomainError, Conflict, Forbidden, NotFound)}


def error_enums() -> list[type[ErrorCodeEnum]]:
    """Every app's error-code enum, found by importing each `apps/<app>/errors.py`."""
    for path in sorted(APPS.glob("*/errors.py")):
        importlib.import_module(f"apps.{path.parent.name}.errors")
    found, pending = [], list(ErrorCodeEnum.__subclasses__())
    while pending:
        enum = pending.pop()
        found.append(enum)
        pending += enum.__subclasses__()
    # Only the declared modules' enums: the checkers' own tests define throwaway ones
    return sorted((e for e in found if e.__module__ == "citycode.error_codes" or e.__module__.endswith(".errors")),
                  key=lambda e: e.__qualname__)


def status_clashes(enums) -> list[str]:
    """Codes that more than one enum declares with different statuses."""
    seen: dict[str, tuple[int, str]] = {}
    clashes = []
    for enum in enums:
        for member in enum:
            first = seen.setdefault(member.value, (member.status, enum.__qualname__))
            if first[0] != member.status:
                clashes.append(
                    f"{member.value!r} is {first[0]} in {first[1]} but {member.status} in {enum.__qualname__}: "
                    f"one code, one status — pick one, or give the second meaning its own code."
                )
    return clashes


def test_every_app_with_domain_errors_has_an_errors_module():
    assert {e.__module__ for e in error_enums()} >= {
        "citycode.error_codes", "apps.consent.errors", "apps.codes.errors", "apps.identity.errors",
    }


def test_every_code_maps_to_exactly_one_status_in_every_enum():
    enums = error_enums()
    for enum in enums:
        for member in enum:
            # Given each member, its code is a machine-readable identifier and its status an error status
            assert member.value.isidentifier() and member.value == member.value.lower(), member
            assert isinstance(member.status, int) and 400 <= member.status <= 599, member
        # And no enum repeats a code (a repeated value would silently become an alias of the first)
        assert not enum._member_map_.keys() - {m.name for m in enum}, f"{enum.__qualname__} repeats a code"
    # Then no code means two statuses across apps
    assert status_clashes(enums) == []


def test_the_clash_check_catches_one_code_with_two_statuses():
    class A(ErrorCodeEnum):
        UNKNOWN = "unknown_thing", 404

    class B(ErrorCodeEnum):
        UNKNOWN = "unknown_thing", 400

    assert len(status_clashes([A, B])) == 1
    assert "one code, one status" in status_clashes([A, B])[0]


def test_drf_s_own_codes_are_the_cross_cutting_enum_s_with_the_same_status():
    # Every code the error handler passes through from DRF is declared, with DRF's status
    for exc in (drf_exceptions.ParseError, drf_exceptions.AuthenticationFailed, drf_exceptions.NotAuthenticated,
                drf_exceptions.PermissionDenied, drf_exceptions.NotFound, drf_exceptions.MethodNotAllowed,
                drf_exceptions.NotAcceptable, drf_exceptions.UnsupportedMediaType, drf_exceptions.Throttled):
        assert ErrorCode(exc.default_code).status == exc.status_code, exc


def test_every_token_refusal_reason_is_a_codes_error_code():
    # A refused token answers with its reason as the code, so each reason needs its one status
    assert set(tokens.REFUSAL_MESSAGES) <= {m.value for m in CodesErrorCode}


def test_a_member_decides_the_status_and_the_client_sees_its_plain_code():
    error = DomainError(CodesErrorCode.NO_SIGNING_KEY, "no key")
    assert (error.code, type(error.code), error.status_code) == ("no_signing_key", str, 503)


# -- raise sites ----------------------------------------------------------------------------------------------


def _enum_member(node: ast.expr) -> tuple[str, str] | None:
    """(enum name, member name) for `SomeErrorCode.MEMBER`; None for anything else."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id.endswith("ErrorCode"):
        return node.value.id, node.attr
    return None


def raise_site_violations(source: str, module: str, enums: dict[str, type[ErrorCodeEnum]]) -> list[str]:
    """DomainError/NotFound/Forbidden/Conflict built with anything but an error-code enum member (or
    `SomeErrorCode.of(reason)` for a reason computed at run time), or a member whose status is not the class's."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in RAISED):
            continue
        name = getattr(node.func, "id", getattr(node.func, "attr", ""))
        code = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "code"), None)
        member = _enum_member(code) if code is not None else None
        # SomeErrorCode.of(reason): a member looked up by a code computed at run time
        lookup = (isinstance(code, ast.Call) and isinstance(code.func, ast.Attribute) and code.func.attr == "of"
                  and isinstance(code.func.value, ast.Name) and code.func.value.id.endswith("ErrorCode"))
        if member is None and not lookup:
            found.append(
                f"{module}:{node.lineno} raises {name}(...) without an error-code member — add the code to the "
                f"app's errors.py enum (with its one HTTP status) and raise {name}(<App>ErrorCode.<CODE>, ...)."
            )
            continue
        if member and name != "DomainError":
            enum = enums.get(member[0])
            status = getattr(getattr(enum, member[1], None), "status", None)
            if status is None:
                found.append(f"{module}:{node.lineno} names {member[0]}.{member[1]}, which no errors.py defines.")
            elif status != RAISED[name].status_code:
                found.append(
                    f"{module}:{node.lineno} raises {name} ({RAISED[name].status_code}) with {member[0]}.{member[1]}"
                    f" ({status}) — raise DomainError({member[0]}.{member[1]}, ...): the member decides the status."
                )
    return found


def app_modules() -> list[Path]:
    return sorted(p for p in APPS.rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("path", app_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_domain_error_under_apps_is_raised_with_a_bare_string_code(path):
    enums = {e.__name__: e for e in error_enums()}
    assert raise_site_violations(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)), enums) == []


def test_the_raise_site_check_catches_bare_codes_and_status_mismatches():
    enums = {"CodesErrorCode": CodesErrorCode}
    source = (
        'raise NotFound("code_not_held", "x")\n'
        'raise errors.DomainError(code=f"{reason}")\n'
        "raise DomainError(exc.reason)\n"
        "raise Conflict(CodesErrorCode.CODE_NOT_HELD)\n"
        "raise NotFound(CodesErrorCode.NO_SUCH_MEMBER)\n"
    )
    found = raise_site_violations(source, "m", enums)
    assert [line.split(" ")[0] for line in found] == ["m:1", "m:2", "m:3", "m:4", "m:5"]
    assert "add the code to the app's errors.py enum" in found[0]
    assert "the member decides the status" in found[3]
    # And the accepted forms pass
    ok = ("raise NotFound(CodesErrorCode.CODE_NOT_HELD, 'x')\nraise DomainError(CodesErrorCode.of(exc.reason))\n"
          "raise DomainError(CodesErrorCode.ALREADY_USED)\n")
    assert raise_site_violations(ok, "m", enums) == []
