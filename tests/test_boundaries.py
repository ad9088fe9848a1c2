"""The layering DESIGN.md promises: services/ is a plain library in rooms, each
importing only what its ``__init__`` docstring allows, and the sandbox shares
nothing with the client but the contract's models."""

import ast
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest

import tui_app

PACKAGE = Path(tui_app.__file__).parent
UI_LIBRARIES = ("textual", "rich")

# What each room may import of tui_app, besides itself and tui_app.__version__.
ROOM_MAY_IMPORT: dict[str, tuple[str, ...]] = {
    "services/api": (),
    "services/store": ("tui_app.services.api.models", "tui_app.services.api.fast_json"),
    "services/scenarios": ("tui_app.services.api", "tui_app.services.store"),
    "services/exports": ("tui_app.services.api", "tui_app.services.store"),
    "sandbox": ("tui_app.services.api.models",),
}


def _imports(path: Path) -> set[str]:
    """Every dotted name a module imports; ``from a import b`` counts as ``a.b``
    so importing a sibling module through its package is seen for what it is."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                names.add("<relative import>")
            elif node.module:
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _is_within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def _sources(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


@pytest.mark.parametrize("room", sorted(ROOM_MAY_IMPORT))
def test_each_room_imports_only_what_it_may(room):
    own = "tui_app." + room.replace("/", ".")
    allowed = (own, "tui_app.__version__", *ROOM_MAY_IMPORT[room])
    offenders = {
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in _sources(room)
        for name in _imports(path)
        if name == "<relative import>"
        or (_is_within(name, ("tui_app",)) and not _is_within(name, allowed))
        or _is_within(name, UI_LIBRARIES)
    }
    assert offenders == set()


def test_every_room_says_what_it_is_for_and_what_it_may_import():
    for room in ROOM_MAY_IMPORT:
        doc = ast.get_docstring(ast.parse((PACKAGE / room / "__init__.py").read_text("utf-8")))
        assert doc and "import" in doc, f"{room}/__init__.py must say what it may import"


def test_services_never_import_the_ui_or_the_sandbox():
    offenders = {
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in _sources("services")
        for name in _imports(path)
        if _is_within(
            name,
            (*UI_LIBRARIES, "tui_app.sandbox", "tui_app.app", "tui_app.screens", "tui_app.widgets"),
        )
    }
    assert offenders == set()


def test_the_rules_cover_every_folder_of_services():
    rooms = {p.name for p in (PACKAGE / "services").iterdir() if (p / "__init__.py").is_file()}
    assert {f"services/{room}" for room in rooms} <= set(ROOM_MAY_IMPORT)


def test_importing_every_service_and_sandbox_module_loads_no_ui():
    # httpx imports rich for its own command line when rich is installed, so
    # rather than inspecting sys.modules, forbidden imports are made to fail:
    # httpx copes with that, and any module that needs them breaks.
    modules = sorted(
        ".".join(("tui_app", *path.relative_to(PACKAGE).with_suffix("").parts))
        for folder in ("services", "sandbox")
        for path in _sources(folder)
        if path.stem != "__init__"
    )
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('textual', 'rich') or (\n"
        "            name.startswith('tui_app.sandbox') and 'services' in sys.argv[1:]):\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import importlib\n"
        "for name in sys.argv[2:]:\n"
        "    importlib.import_module(name)\n"
        "print('ok')\n"
    )
    services = [m for m in modules if m.startswith("tui_app.services")]
    sandbox = [m for m in modules if m.startswith("tui_app.sandbox")]
    for kind, names in (("services", services), ("sandbox", sandbox)):
        result = subprocess.run(
            [sys.executable, "-c", code, kind, *names], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "ok"


def test_screens_do_not_import_the_app_module():
    """Screens reach the app through a small protocol, so app.py and the
    screens do not import each other in a circle."""
    offenders = {
        f"{path.relative_to(PACKAGE)}: {name}"
        for folder in ("screens", "widgets")
        for path in _sources(folder)
        for name in _imports(path)
        if _is_within(name, ("tui_app.app",))
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


def test_the_readme_layout_tree_matches_the_folders():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    tree = readme.split("```text\ntui_app/\n", 1)[1].split("```", 1)[0]
    listed = {line.split()[0].rstrip("/") for line in tree.splitlines() if line.startswith("    ")}
    rooms = {p.name for p in (PACKAGE / "services").iterdir() if (p / "__init__.py").is_file()}
    assert rooms <= listed, "every room of services/ has a line in the README's layout"
    for name in listed:
        assert (PACKAGE / "services" / name).exists(), f"README lists services/{name}"
