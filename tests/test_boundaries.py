"""The layering DESIGN.md promises: services/ is a plain library."""

import ast
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import tui_app

FORBIDDEN_IN_SERVICES = ("textual", "rich", "tui_app.sandbox", "tui_app.app", "tui_app.screens")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _package_dir(name: str) -> Path:
    return Path(tui_app.__file__).parent / name


def test_services_source_never_imports_the_ui_or_the_sandbox():
    offenders = {
        f"{path.name}: {name}"
        for path in _package_dir("services").glob("*.py")
        for name in _imports(path)
        if name.startswith(FORBIDDEN_IN_SERVICES)
    }
    assert offenders == set()


def test_importing_every_service_module_loads_no_ui_or_sandbox():
    # httpx imports rich for its own command line when rich is installed, so
    # rather than inspecting sys.modules, forbidden imports are made to fail:
    # httpx copes with that, and any service module that needs them breaks.
    modules = sorted(p.stem for p in _package_dir("services").glob("*.py") if p.stem != "__init__")
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('textual', 'rich') or name.startswith("
        "'tui_app.sandbox'):\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        + "".join(f"import tui_app.services.{m}\n" for m in modules)
        + "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_sandbox_uses_only_the_models_of_services():
    offenders = {
        f"{path.name}: {name}"
        for path in _package_dir("sandbox").glob("*.py")
        for name in _imports(path)
        if name.startswith(("tui_app.services", "textual", "rich", "tui_app.app"))
        and name != "tui_app.services.models"
    }
    assert offenders == set()


def test_the_installed_package_carries_its_data_files():
    spec = files("tui_app") / "data" / "partner-checkout.openapi.json"
    assert spec.is_file()
    assert (files("tui_app") / "sandbox" / "catalogue.json").is_file()


def test_the_built_in_themes_ship_with_the_package():
    # In a wheel they sit inside the package; in a source checkout, beside it.
    inside = files("tui_app") / "themes"
    beside = Path(tui_app.__file__).parent.parent / "themes"
    folder = inside if inside.is_dir() else beside
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".toml"))
    assert {"basket-dark.toml", "basket-light.toml", "high-contrast.toml", "limio.toml"} <= set(
        names
    )
