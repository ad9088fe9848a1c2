"""Theme files (TOML) turned into Textual themes.

Built-in themes ship in the package (``tui_app/themes`` in a wheel, the
top-level ``themes/`` folder in a source checkout); users drop their own
``*.toml`` in ``<config>/themes/``, where a file with the same name as a
built-in one replaces it. A broken file is reported and skipped; the app
falls back to the default theme, never crashes.

A file can be well-formed and still break the app: a ``[variables]`` value
such as ``"%%"`` or ``"bold"`` only fails when the stylesheet is parsed with
it. ``theme_problem`` parses the app's whole stylesheet with a theme in a
throwaway copy, so such a theme is refused before it is applied or saved.
"""

from __future__ import annotations

import contextlib
import inspect
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.color import Color, ColorParseError
from textual.css.stylesheet import Stylesheet, StylesheetParseError
from textual.css.tokenize import tokenize_values
from textual.dom import DOMNode
from textual.theme import Theme

from tui_app.services.store.files import MAX_NESTING, long_dotted_key

if TYPE_CHECKING:
    from textual.app import App

COLOUR_FIELDS = (
    "primary", "secondary", "accent", "foreground", "background",
    "surface", "panel", "boost", "success", "warning", "error",
)


@dataclass(frozen=True)
class LoadedThemes:
    themes: dict[str, Theme]
    warnings: list[str]
    # The file each theme from the user's folder came from (built-in ones ship
    # with the app and are checked by its tests).
    user_files: dict[str, Path] = field(default_factory=dict)


def builtin_theme_dir() -> Path:
    # Beside this module in an installed wheel, at the top of a source checkout.
    # Located by path rather than importlib.resources, whose files() imports
    # zipfile and its readers (~0.3 MiB of the app's memory) to say the same.
    here = Path(__file__).resolve().parent
    inside = here / "themes"
    return inside if inside.is_dir() else here.parent / "themes"


MAX_THEME_BYTES = 1024 * 1024


def theme_from_toml(text: str, source: str) -> Theme:
    """Parse one theme file, or raise ValueError saying what is wrong and where."""
    if long_dotted_key(text) is not None:  # the parser is quadratic in a key's parts
        raise ValueError(f"{source}: a dotted key of more than {MAX_NESTING} parts")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{source}: not valid TOML ({exc})") from None
    except RecursionError:  # tomllib recurses once per level of nested arrays/tables
        raise ValueError(f"{source}: nested too deeply to read") from None
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
    user_files: dict[str, Path] = {}
    folders = [builtin_theme_dir()]
    if user_dir is not None and user_dir.is_dir():
        folders.append(user_dir)
    for folder in folders:
        for path in sorted(folder.glob("*.toml")):
            # A theme may be a link (dotfiles often are), but never a FIFO,
            # a device or a huge file: those would hang or stall the start.
            if not path.is_file() or path.stat().st_size > MAX_THEME_BYTES:
                warnings.append(f"theme skipped — {path}: not a plain file of at most 1 MiB")
                continue
            try:
                theme = theme_from_toml(path.read_text("utf-8"), str(path))
            except (OSError, UnicodeDecodeError) as exc:
                warnings.append(f"theme {path} could not be read: {exc}")
                continue
            except ValueError as exc:
                warnings.append(f"theme skipped — {exc}")
                continue
            themes[theme.name] = theme
            if folder is user_dir:
                user_files[theme.name] = path
            else:
                user_files.pop(theme.name, None)
    return LoadedThemes(themes, warnings, user_files)


# --------------------------------------------------------------------------- checking


def _loaded_default_css() -> Iterator[tuple[tuple[str, str], str, str]]:
    """(location, css, scope) of every widget class imported so far, as Textual
    would add it to the stylesheet once a widget of that class is mounted."""
    seen: set[type] = set()
    waiting = list(DOMNode.__subclasses__())
    while waiting:
        cls = waiting.pop()
        if cls in seen:
            continue
        seen.add(cls)
        waiting.extend(cls.__subclasses__())
        css = cls.__dict__.get("DEFAULT_CSS")
        if not css:
            continue
        try:
            where = inspect.getfile(cls)
        except (TypeError, OSError):
            where = ""
        scope = cls._css_type_name if cls.__dict__.get("SCOPED_CSS", True) else ""
        yield (where, f"{cls.__name__}.DEFAULT_CSS"), css, scope


def _plain(message: object) -> str:
    # Textual's CSS messages carry console markup ("[i]background[/]").
    text = str(message)
    with contextlib.suppress(Exception):  # a message that is not markup stays as it is
        text = Text.from_markup(text).plain
    return " ".join(text.split())[:200]


def theme_problem(app: App, theme: Theme) -> str | None:
    """Why ``app`` cannot use ``theme``, or None if it can.

    The theme's variables are tried on a throwaway copy of the app's
    stylesheet, with the default CSS of every widget class loaded so far, so
    nothing the app shows is touched and nothing is applied until it passed.
    """
    for name, value in theme.variables.items():
        try:
            tokenize_values({name: value})
        except Exception as exc:  # Textual raises several kinds
            return f"[variables] {name} = {value!r}: {_plain(exc)}"
    try:
        variables = {
            **app.get_theme_variable_defaults(),
            **theme.to_color_system().generate(),
            **theme.variables,
        }
        sheet: Stylesheet = app.stylesheet.copy()
        for location, css, scope in _loaded_default_css():
            if location not in sheet.source:
                sheet.add_source(css, read_from=location, is_default_css=True, scope=scope)
        sheet.set_variables(variables)
        sheet.parse()
    except StylesheetParseError as exc:
        problems = [(token, message) for rule in exc.errors.rules for token, message in rule.errors]
        if not problems:
            return "the stylesheet does not parse with it"
        token, message = problems[0]
        names = [name for name, value in theme.variables.items()
                 if str(getattr(token, "value", "")) in value.split()]
        where = f"[variables] {names[0]} = {theme.variables[names[0]]!r}: " if names else ""
        return where + _plain(message)
    except RecursionError:
        return "its variables refer to each other without end"
    except Exception as exc:  # any failure means "do not apply it"
        return _plain(exc) or type(exc).__name__
    return None
