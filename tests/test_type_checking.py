"""The mypy configuration in pyproject.toml keeps the promise it makes: strict where it says strict, and only there.

mypy itself runs in `make lint` and .ci/run, not here (a cold run takes tens of seconds).
"""

import tomllib
from pathlib import Path

from mypy.main import define_options
from mypy.options import PER_MODULE_OPTIONS

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def _mypy_config() -> dict:
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["mypy"]


def _strict_override() -> dict:
    overrides = [o for o in _mypy_config().get("overrides", []) if "apps.codes.base45" in o["module"]]
    assert len(overrides) == 1, "pyproject.toml: one [[tool.mypy.overrides]] section lists the strict modules"
    return overrides[0]


def test_no_override_section_sets_strict():
    # given the per-module sections
    overrides = _mypy_config().get("overrides", [])

    # then none says `strict = true`: mypy's config parser applies it to every module, not the section's
    offending = [o["module"] for o in overrides if "strict" in o]
    assert not offending, (
        f"`strict` in an override section {offending} turns strict mode on for the whole project; "
        "spell out the flags instead (copy them from the strict section)"
    )


def test_strict_section_sets_every_flag_of_mypy_strict():
    # given what `mypy --strict` turns on, restricted to the flags a module section may set
    _, _, assignments = define_options()
    expected = {dest: value for dest, value in assignments if dest in PER_MODULE_OPTIONS}

    # when we read the strict modules' section
    section = {key: value for key, value in _strict_override().items() if key != "module"}

    # then it sets exactly those flags to the same values
    missing = {k: v for k, v in expected.items() if section.get(k) != v}
    assert not missing, (
        f"the strict section of [tool.mypy] in pyproject.toml lacks {missing} (mypy's --strict grew or the "
        "section lost a flag): add them so the strict modules stay strict"
    )
    extra = sorted(set(section) - set(expected))
    assert not extra, f"the strict section sets {extra}, which --strict does not; move them to another section"


def test_strict_modules_are_not_also_ignored():
    # given the modules whose errors are ignored for now
    ignored = {m for o in _mypy_config().get("overrides", []) if o.get("ignore_errors") for m in o["module"]}

    # then no strict module is among them: ignore_errors would silence strict checking altogether
    assert not ignored & set(_strict_override()["module"]), "a strict module must not be in an ignore_errors section"


# What other code and other cities build on (issue 8): the token format, the plugin API and the consent gate.
REQUIRED_STRICT = {"apps.codes.base45", "apps.codes.plugin_api", "apps.codes.tokens", "apps.consent.services.*"}


def test_the_modules_others_build_on_are_strict():
    # given the strict modules' section
    strict = set(_strict_override()["module"])

    # then it covers the token format, the plugin API and every module of the consent services
    missing = sorted(REQUIRED_STRICT - strict)
    assert not missing, (
        f"pyproject.toml: add {missing} to the strict [[tool.mypy.overrides]] section (the one listing "
        "apps.codes.base45) and fix what mypy then reports"
    )


def test_no_module_of_ours_has_its_errors_ignored():
    # given the per-module sections
    overrides = _mypy_config().get("overrides", [])

    # then none hides the errors of a module in apps/ or citycode/: mypy must be clean there, not silenced
    ignored = sorted(m for o in overrides if o.get("ignore_errors") for m in o["module"]
                     if m.startswith(("apps", "citycode")))
    assert not ignored, (
        f"pyproject.toml ignores the type errors of {ignored}: remove the ignore_errors section and fix the "
        "errors (an unavoidable one takes `# type: ignore[code]` with a comment saying why)"
    )
