"""The project's conventions (shared/DESIGN.md, "Layout") as tests. Each failure says what to do.

They read the source with `ast`, so they judge what the code imports and defines, not what a run happens to
touch. The checkers are tested too, on small sources that break each rule.
"""

import ast
import importlib.util
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
APPS = ROOT / "apps"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def imported_modules(source: str, module: str, *, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, dotted name) of everything the source imports; `from a import b` yields `a.b`, since b may be a
    module. Relative imports are resolved against `module`; import_module("...") with a literal counts too."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
            "import_module", "__import__", "import_string",
        ):
            found += [(node.lineno, arg.value) for arg in node.args
                      if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
    return found


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


# -- 1. A code type reaches core only through the plugin API ---------------------------------------------------


def plugin_violations(package: str, files: dict[str, str]) -> list[str]:
    """Imports from core (apps.*, citycode.*, tests.*) other than apps.codes.plugin_api or the plugin itself."""
    found = []
    for name, source in files.items():
        for line, module in imported_modules(source, name, is_package=name.endswith("__init__")):
            if module.split(".")[0] in ("apps", "citycode", "tests") and not (
                within(module, "apps.codes.plugin_api") or within(module, package)
            ):
                found.append(
                    f"{name}:{line} imports {module} — a code type may use core only through "
                    f"apps.codes.plugin_api: add what {package} needs to the plugin API (and its contract tests) "
                    f"instead of importing core modules."
                )
    return found


def plugin_sources(package: str) -> dict[str, str]:
    spec = importlib.util.find_spec(package)
    assert spec and spec.submodule_search_locations, f"{package} in CITYCODE_CODE_TYPES is not a package"
    folder = Path(next(iter(spec.submodule_search_locations)))
    return {module_name(p): p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.py"))}


@pytest.mark.parametrize("package", settings.CITYCODE_CODE_TYPES)
def test_every_code_type_imports_only_the_plugin_api_from_core(package):
    assert plugin_violations(package, plugin_sources(package)) == []


def test_the_plugin_check_catches_core_imports_in_any_form():
    files = {
        "apps.parking.models": "from apps.consent.models import Consent\nfrom ..codes import services\n",
        "apps.parking.code_type": "import citycode.errors\nfrom apps.codes.plugin_api import CodeType\n",
        "apps.parking.__init__": "from . import code_type\n",
    }
    found = plugin_violations("apps.parking", files)
    assert [f.split(" ")[2] for f in found] == [
        "apps.consent.models.Consent", "apps.codes.services", "citycode.errors"]
    assert "through apps.codes.plugin_api" in found[0]


# -- 2. Selectors read; they never import services -------------------------------------------------------------


def selector_modules() -> list[Path]:
    return sorted([*APPS.rglob("selectors.py"), *APPS.rglob("selectors/*.py")])


def selector_violations(source: str, module: str) -> list[str]:
    return [
        f"{module}:{line} imports {imported} — selectors only read: move what the selector needs out of services "
        f"(into the selector, the models or a module named by its purpose), or have the caller pass it in."
        for line, imported in imported_modules(source, module)
        if imported.split(".")[0] == "apps" and "services" in imported.split(".")
    ]


@pytest.mark.parametrize("path", selector_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_selectors_never_import_services(path):
    assert selector_violations(path.read_text(encoding="utf-8"), module_name(path)) == []


def test_the_selector_check_catches_a_services_import():
    source = "from . import services\nfrom apps.identity.services import citizen_register\nfrom . import models\n"
    found = selector_violations(source, "apps.consent.selectors")
    assert [f.split(" ")[2] for f in found] == ["apps.consent.services", "apps.identity.services.citizen_register"]
    assert "selectors only read" in found[0]


# -- 3. Only identity/permissions.py talks to django-guardian ---------------------------------------------------

GUARDIAN_ALLOWED = {
    "apps/identity/permissions.py": "the one place object permissions are granted and checked",
    # The admin's object-permission screens are guardian's UI class; it checks nothing on its own.
    "apps/identity/admin.py": "GuardedModelAdmin (admin UI only)",
}


def guardian_violations(source: str, module: str) -> list[str]:
    return [
        f"{module}:{line} imports {imported} — only apps/identity/permissions.py may use django-guardian: call "
        f"apps.identity.permissions (user_can, ...) instead, adding the function you need there."
        for line, imported in imported_modules(source, module)
        if within(imported, "guardian")
    ]


def test_only_identity_permissions_imports_guardian():
    files = [p for folder in (APPS, ROOT / "citycode") for p in sorted(folder.rglob("*.py"))
             if "migrations" not in p.parts and str(p.relative_to(ROOT)) not in GUARDIAN_ALLOWED]
    assert [v for p in files for v in guardian_violations(p.read_text(encoding="utf-8"), module_name(p))] == []


def test_the_guardian_check_catches_any_guardian_import():
    source = "from guardian.shortcuts import assign_perm\nimport guardian\nfrom apps.identity import permissions\n"
    found = guardian_violations(source, "apps.medical.services")
    assert [f.split(" ")[2] for f in found] == ["guardian.shortcuts.assign_perm", "guardian"]


# -- 4. One API view per operation ------------------------------------------------------------------------------


def view_modules() -> list[Path]:
    return sorted(p for p in APPS.rglob("*.py") if p.parent.name == "api" and "views" in p.stem)


def operation_violations(source: str, module: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            handlers = [f.name for f in node.body if isinstance(f, ast.FunctionDef) and f.name in HTTP_METHODS]
            if len(handlers) > 1:
                found.append(
                    f"{module}:{node.lineno} {node.name} handles {', '.join(m.upper() for m in handlers)} — give each "
                    f"operation its own view class (its own serializers and @extend_schema); serve one URL with "
                    f"several through citycode.routing.operations(route, name=..., get=..., post=...)."
                )
    return found


@pytest.mark.parametrize("path", view_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_api_view_handles_one_operation(path):
    assert operation_violations(path.read_text(encoding="utf-8"), module_name(path)) == []


def test_the_operation_check_catches_a_view_with_two_handlers():
    source = "class ThingsApi(APIView):\n    def get(self, r): ...\n    def post(self, r): ...\n\n" \
             "class ThingApi(APIView):\n    def get(self, r): ...\n    def helper(self): ...\n"
    [found] = operation_violations(source, "apps.x.api.views")
    assert found.startswith("apps.x.api.views:1 ThingsApi handles GET, POST — give each operation its own view class")


def test_the_checks_find_the_modules_they_judge():
    # A check that finds no files passes vacuously; make sure each one looks at something.
    assert len(selector_modules()) >= 3
    assert len(view_modules()) >= 3
    assert settings.CITYCODE_CODE_TYPES


# -- 5. Test-only packages stay out of the runtime ---------------------------------------------------------------

# The import name of each package of the dev extra, where it differs from the distribution name.
IMPORT_NAMES = {"pytest-django": "pytest_django", "pytest-xdist": "xdist"}


def dev_only_imports() -> dict[str, str]:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {d.split("==")[0].split("[")[0].lower() for d in project["dependencies"]}
    dev = {d.split("==")[0].split("[")[0].lower() for d in project["optional-dependencies"]["dev"]}
    return {IMPORT_NAMES.get(name, name.replace("-", "_")): name for name in dev - runtime}


def test_runtime_code_imports_no_dev_only_package():
    dev_only = dev_only_imports()
    assert "base45" in dev_only and "pytest" in dev_only
    offending = [
        f"{module_name(p)}:{line} imports {imported} — {dev_only[imported.split('.')[0]]} is installed only with "
        f"the dev extra: move it to [project] dependencies in pyproject.toml, or keep it out of the runtime."
        for folder in (APPS, ROOT / "citycode") for p in sorted(folder.rglob("*.py"))
        for line, imported in imported_modules(p.read_text(encoding="utf-8"), module_name(p))
        if imported.split(".")[0] in dev_only
    ]
    assert offending == []
