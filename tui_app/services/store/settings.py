"""User settings in ``settings.toml``: the theme and key rebindings.

    theme = "basket-dark"

    [keys]
    "basket.remove" = "delete,ctrl+d"   # binding id = keys, comma-separated

A file that cannot be read gives a warning and the defaults; the app never
refuses to start over a setting. Only the theme is written back (when the
user picks one); hand-written keys are kept as they are.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field

import tomli_w

from tui_app.services.store.files import FileLock, StoreError, atomic_write, describe_os_error
from tui_app.services.store.paths import AppPaths

DEFAULT_THEME = "basket-dark"


@dataclass
class Settings:
    theme: str = DEFAULT_THEME
    keys: dict[str, str] = field(default_factory=dict)


def _read(paths: AppPaths) -> tuple[dict, list[str]]:
    path = paths.settings_file
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return {}, []
    except (OSError, UnicodeDecodeError) as exc:
        reason = describe_os_error(exc, path) if isinstance(exc, OSError) else str(exc)
        return {}, [f"{path.name} could not be read ({reason}); using default settings"]
    try:
        return tomllib.loads(text), []
    except tomllib.TOMLDecodeError as exc:
        return {}, [f"{path.name} is not valid TOML ({exc}); using default settings"]


def load_settings(paths: AppPaths) -> tuple[Settings, list[str]]:
    doc, warnings = _read(paths)
    settings = Settings()
    theme = doc.get("theme", DEFAULT_THEME)
    if isinstance(theme, str) and theme.strip():
        settings.theme = theme.strip()
    elif "theme" in doc:
        warnings.append(f"{paths.settings_file.name}: theme must be a name in quotes")
    keys = doc.get("keys", {})
    if not isinstance(keys, dict):
        warnings.append(f"{paths.settings_file.name}: [keys] must be a table of id = \"keys\"")
        keys = {}
    for binding_id, value in keys.items():
        if isinstance(value, str) and value.strip():
            settings.keys[binding_id] = value.strip()
        else:
            warnings.append(
                f"{paths.settings_file.name}: keys.{binding_id} must be keys in quotes, "
                "e.g. \"ctrl+d\""
            )
    return settings, warnings


def save_theme(paths: AppPaths, theme: str) -> None:
    """Remember the chosen theme, keeping everything else in the file."""
    with FileLock(paths.lock_file):
        doc, warnings = _read(paths)
        if warnings and paths.settings_file.exists():
            raise StoreError(f"{paths.settings_file.name} is unreadable; not overwriting it")
        doc["theme"] = theme
        atomic_write(paths.settings_file, tomli_w.dumps(doc).encode())
