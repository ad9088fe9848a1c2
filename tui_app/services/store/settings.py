"""User settings in ``settings.toml``: the theme and key rebindings.

    theme = "basket-dark"

    [keys]
    "basket.remove" = "delete,ctrl+d"   # binding id = keys, comma-separated

A file that cannot be read is set aside like every other store file (see
``files.read_parsed``) with a warning, and the defaults are used; the app
never refuses to start over a setting. Only the theme is written back (when
the user picks one); hand-written keys are kept as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import tomli_w

from tui_app.services.store.files import (
    Document,
    FileLock,
    SetAside,
    StoreError,
    atomic_write,
    parse_toml,
    read_parsed,
)
from tui_app.services.store.paths import AppPaths

DEFAULT_THEME = "basket-dark"


@dataclass
class Settings:
    theme: str = DEFAULT_THEME
    keys: dict[str, str] = field(default_factory=dict)


def _read(paths: AppPaths) -> Document:
    return read_parsed(paths.settings_file, parse_toml)


def load_settings(paths: AppPaths) -> tuple[Settings, list[str]]:
    read = _read(paths)
    name = paths.settings_file.name
    warnings: list[str] = []
    doc: dict[str, Any] = read.doc or {}
    if read.fatal is not None:
        where = SetAside()(paths.settings_file, read.raw, read.fatal, copy=False, strict=False)
        warnings.append(f"{name} could not be read ({read.fatal}); {where}; using default settings")
    settings = Settings()
    theme = doc.get("theme", DEFAULT_THEME)
    if isinstance(theme, str) and theme.strip():
        settings.theme = theme.strip()
    elif "theme" in doc:
        warnings.append(f"{name}: theme must be a name in quotes")
    keys = doc.get("keys", {})
    if not isinstance(keys, dict):
        warnings.append(f"{name}: [keys] must be a table of id = \"keys\"")
        keys = {}
    for binding_id, value in keys.items():
        if isinstance(value, str) and value.strip():
            settings.keys[binding_id] = value.strip()
        else:
            warnings.append(
                f"{name}: keys.{binding_id} must be keys in quotes, e.g. \"ctrl+d\""
            )
    return settings, warnings


def save_theme(paths: AppPaths, theme: str) -> None:
    """Remember the chosen theme, keeping everything else in the file."""
    with FileLock(paths.lock_file):
        read = _read(paths)
        if read.fatal is not None:
            raise StoreError(
                f"{paths.settings_file.name} is unreadable ({read.fatal}); not overwriting it",
                paths.settings_file,
            )
        doc = dict(read.doc or {})
        doc["theme"] = theme
        atomic_write(paths.settings_file, tomli_w.dumps(doc).encode())
