"""What the TUI's start-up loads: the API client and the modules of the
screens a basket's keys lead to (see ``BasketBuilderApp.start_up``), and not
the other screens, nor the heavy modules only some screens need once they do
something (each costs the app memory it may never
use: VmHWM with a 500-item basket on screen, figure 5 of the benchmark)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

START_UP = (
    "import sys\n"
    "from tui_app.lean_imports import import_api_client, keep_pydantic_plugins_out, keep_trio_out\n"
    "keep_trio_out()\n"
    "keep_pydantic_plugins_out()\n"
    "import tui_app.cli, tui_app.app\n"
    "from tui_app.app import PREFETCHED_SCREENS, screen_class\n"
    "import_api_client()\n"
    "for mode in PREFETCHED_SCREENS:\n"
    "    screen_class(mode)\n"
    "import tui_app.sandbox.child\n"
)
LATER = ("pygments", "rich.syntax", "tomli", "rtoml", "sqlite3", "tui_app.sandbox.db",
         "importlib.metadata", "zipfile", "rich._emoji_codes",
         "tui_app.screens.profiles", "tui_app.screens.inspector", "tui_app.screens.scenarios",
         "tui_app.sandbox.server", "tui_app.services.scenarios.loading",
         "tui_app.services.scenarios.replay", "tui_app.services.scenarios.record")


def loaded_after(code: str) -> list[str]:
    probe = code + f"print(sorted(m for m in {LATER!r} if m in sys.modules))\n"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return ast.literal_eval(done.stdout.splitlines()[-1])


def test_start_up_leaves_out_what_only_later_actions_need():
    assert loaded_after(START_UP) == []


def test_those_modules_do_load_when_their_screens_are_shown_or_use_them(tmp_path):
    # The probe itself can fail: highlighting a JSON body and opening a
    # scenario file load what start-up left out.
    scenario = ROOT / "examples"
    files = sorted(scenario.glob("*.toml"))
    assert files, "the examples folder has scenario files"
    used = START_UP + (
        "from tui_app.widgets.exchange_detail import _body_lines\n"
        "_body_lines('{\"a\": 1}')\n"
        "from tui_app.services.scenarios.loading import load_scenario\n"
        f"load_scenario({str(files[0])!r})\n"
        "for mode in ('profiles', 'inspector', 'scenarios'):\n"
        "    screen_class(mode)  # as the screen is first shown\n"
    )
    assert {"pygments", "rich.syntax", "tui_app.services.scenarios.loading",
            "tui_app.screens.profiles", "tui_app.screens.inspector",
            "tui_app.screens.scenarios"} <= set(loaded_after(used))


def test_models_are_checked_without_looking_for_pydantic_plugins():
    """pydantic's plugin loader would import importlib.metadata and scan every
    installed package the first time a model is checked; the app's stand-in
    offers no plugins, and every model still checks as it should."""
    checked = START_UP + (
        "from tui_app.services.api.models import InitiateCheckout, ValidateResponse\n"
        "from pydantic import ValidationError\n"
        "from pydantic_core import SchemaValidator\n"
        "ValidateResponse.model_validate({'id': 'basket-1', 'checkout': {'id': 'basket-1'},"
        " 'invalid': {}})\n"
        "assert type(ValidateResponse.__pydantic_validator__) is SchemaValidator\n"
        "try:\n"
        "    InitiateCheckout.model_validate({'order': {}})\n"
        "except ValidationError as exc:\n"
        "    assert exc.error_count() >= 4, exc\n"
        "else:\n"
        "    raise AssertionError('an empty order passed')\n"
    )
    assert loaded_after(checked) == []


def test_a_process_that_loaded_the_plugin_loader_keeps_it():
    import pydantic.plugin._loader as loader

    from tui_app.lean_imports import keep_pydantic_plugins_out

    keep_pydantic_plugins_out()
    assert sys.modules["pydantic.plugin._loader"] is loader


def tables_shown(*tables: str, prelude: str = "") -> str:
    """A script that shows ``tables`` (expressions making DataTables) in a
    headless app, as a screen of the app would."""
    return START_UP + prelude + (
        "import asyncio\n"
        "from textual.app import App\n"
        "from textual.widgets import DataTable\n"
        "from tui_app.widgets.basket_table import BasketTable\n"
        "from tui_app.widgets.exchange_list import ExchangeList\n"
        "from tui_app.widgets.offer_catalogue import CatalogueTable\n"
        "from tui_app.widgets.offer_picks import PickTable\n"
        "class Tables(App):\n"
        "    def compose(self):\n"
        f"        yield from ({', '.join(tables)},)\n"
        "async def show():\n"
        "    async with Tables().run_test(size=(120, 40)) as pilot:\n"
        "        await pilot.pause()\n"
        "asyncio.run(show())\n"
    )


def test_the_app_s_tables_show_their_headings_without_loading_rich_s_emoji_codes():
    """A str heading is console markup to DataTable, and the first one loads
    Rich's ~0.6 MiB table of emoji codes; the app's headings are plain text."""
    ours = tables_shown("BasketTable()", "CatalogueTable()", "PickTable()", "ExchangeList()")
    assert "rich._emoji_codes" not in loaded_after(ours)
    theirs = tables_shown("Plain()", prelude=(
        "from textual.widgets import DataTable\n"
        "class Plain(DataTable):\n"
        "    def on_mount(self):\n"
        "        self.add_column('Offer')\n"
    ))
    assert "rich._emoji_codes" in loaded_after(theirs)
