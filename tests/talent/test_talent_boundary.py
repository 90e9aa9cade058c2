"""The talent plugin reaches core only through the plugin API."""

import ast
from pathlib import Path

TALENT = Path(__file__).resolve().parents[2] / "apps" / "talent"
ALLOWED = ("apps.codes.plugin_api", "apps.talent")


def package_of(path: Path) -> str:
    return "apps.talent" + "".join(f".{p}" for p in path.relative_to(TALENT).parent.parts)


def imported_modules(source: str, package: str) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative import: resolve against the file's package
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{module}" if module else base
            # Each imported name may be a submodule (`from apps.codes import services`), so judge module.name.
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
            "import_module", "__import__", "import_string",
        ):
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.append((node.lineno, arg.value))
    return found


def test_talent_imports_nothing_from_core_but_the_plugin_api():
    # Given every Python file of the talent plugin
    files = sorted(TALENT.rglob("*.py"))
    assert files
    # When their imports are read
    offending = [
        f"{path.relative_to(TALENT)}:{line} imports {module}"
        for path in files
        for line, module in imported_modules(path.read_text(encoding="utf-8"), package_of(path))
        if module.split(".")[0] in ("apps", "citycode", "tests")
        and not any(module == allowed or module.startswith(allowed + ".") for allowed in ALLOWED)
    ]
    # Then nothing outside apps.codes.plugin_api and apps.talent is imported
    assert offending == []


def test_the_checker_itself_catches_a_forbidden_import():
    source = "from apps.identity.models import Citizen\nfrom ..codes import services\nimport apps.consent\n"
    modules = [m for _line, m in imported_modules(source, "apps.talent")]
    assert "apps.identity.models.Citizen" in modules
    assert "apps.codes.services" in modules
    assert "apps.consent" in modules
