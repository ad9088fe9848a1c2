"""Theme files (TOML) turned into Textual themes.

Built-in themes ship in the package (``tui_app/themes`` in a wheel, the
top-level ``themes/`` folder in a source checkout); users drop their own
``*.toml`` in ``<config>/themes/``, where a file with the same name as a
built-in one replaces it. A broken file is reported and skipped; the app
falls back to the default theme, never crashes.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

COLOUR_FIELDS = (
    "primary", "secondary", "accent", "foreground", "background",
    "surface", "panel", "boost", "success", "warning", "error",
)


@dataclass(frozen=True)
class LoadedThemes:
    themes: dict[str, Theme]
    warnings: list[str]


def builtin_theme_dir() -> Path:
    inside = files("tui_app") / "themes"
    if inside.is_dir():
        return Path(str(inside))
    return Path(__file__).resolve().parent.parent / "themes"


def theme_from_toml(text: str, source: str) -> Theme:
    """Parse one theme file, or raise ValueError saying what is wrong and where."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{source}: not valid TOML ({exc})") from None
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{source}: 'name' is required (a name in quotes)")
    if "primary" not in doc:
        raise ValueError(f"{source}: 'primary' colour is required")
    colours = {}
    for key in COLOUR_FIELDS:
        if key not in doc:
            continue
        value = doc[key]
        try:
            Color.parse(value)
        except (ColorParseError, TypeError, ValueError):
            raise ValueError(f"{source}: {key} = {value!r} is not a colour") from None
        colours[key] = value
    dark = doc.get("dark", True)
    if not isinstance(dark, bool):
        raise ValueError(f"{source}: dark must be true or false")
    variables = doc.get("variables", {})
    if not isinstance(variables, dict) or not all(
        isinstance(v, str) for v in variables.values()
    ):
        raise ValueError(f"{source}: [variables] must map names to strings")
    unknown = set(doc) - {*COLOUR_FIELDS, "name", "dark", "variables"}
    if unknown:
        raise ValueError(f"{source}: unknown setting(s) {', '.join(sorted(unknown))}")
    return Theme(name=name.strip(), dark=dark, variables=variables, **colours)


def load_themes(user_dir: Path | None) -> LoadedThemes:
    themes: dict[str, Theme] = {}
    warnings: list[str] = []
    folders = [builtin_theme_dir()]
    if user_dir is not None and user_dir.is_dir():
        folders.append(user_dir)
    for folder in folders:
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = theme_from_toml(path.read_text("utf-8"), str(path))
            except (OSError, UnicodeDecodeError) as exc:
                warnings.append(f"theme {path} could not be read: {exc}")
                continue
            except ValueError as exc:
                warnings.append(f"theme skipped — {exc}")
                continue
            themes[theme.name] = theme
    return LoadedThemes(themes, warnings)
