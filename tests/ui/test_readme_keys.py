"""The README's keys tables are the user's manual: every binding id of every
screen is listed there, and every id listed there exists."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from tui_app.app import SCREEN_MODULES
from tui_app.keymap import known_binding_ids

README = Path(__file__).resolve().parents[2] / "README.md"
# Dialogs' own keys are told in their buttons ("Cancel (Esc)") and in the
# README's paragraph on dialogs, not in the tables.
DIALOG_PREFIXES = ("confirm.", "help.", "resume.", "quantity.", "country.", "curl.", "save.")


def test_every_binding_id_is_in_the_readme_and_every_listed_one_exists():
    for module, _screen in SCREEN_MODULES.values():
        importlib.import_module(module)  # screens are imported when first shown
    ids = known_binding_ids()
    text = README.read_text("utf-8")
    listed = {name for name in re.findall(r"`([a-z_]+\.[a-z_]+)`", text)
              if not name.endswith((".toml", ".json"))}  # file names, not ids
    listed_keys = {name for name in listed if name.split(".")[0] in
                   {binding.split(".")[0] for binding in ids}}
    missing = sorted(i for i in ids if i not in listed and not i.startswith(DIALOG_PREFIXES))
    assert not missing, f"bindings the README's keys tables do not list: {missing}"
    unknown = sorted(listed_keys - ids)
    assert not unknown, f"binding ids in the README that no binding has: {unknown}"
