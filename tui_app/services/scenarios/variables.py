"""Where a run's ``${name}`` values come from, and how they stay out of sight.

* ``--var name=value`` and ``--secret name=value`` on the command line;
* ``--vars FILE``: a TOML or JSON table of names and values;
* the environment: ``LIMIO_NAME=value`` is ``${NAME}`` (always masked: the
  environment is where tokens live);
* data tables: ``[[data]]`` rows in the scenario file or ``--data FILE`` (CSV
  with a header line, or a JSON list of objects): the scenario runs once per
  row, each run a case of its own.

``Redactor`` masks every secret value (``***``) in any text a run prints or
writes.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli

from tui_app.services.api.exchange import maskable, scrub
from tui_app.services.scenarios.format import VARIABLE_PATTERN

ENV_PREFIX = "LIMIO_"
_NAME = re.compile(VARIABLE_PATTERN)


class VariableError(ValueError):
    """A --var, --vars or --data that cannot be used; the message says why."""


def parse_assignment(text: str, option: str = "--var") -> tuple[str, str]:
    name, equals, value = text.partition("=")
    name = name.strip()
    if not equals or not _NAME.match(name):
        raise VariableError(f"{option} {text!r}: write name=value (a name of letters, digits "
                            "and _)")
    return name, value


def as_text(value: Any) -> str:
    """A variable's value as a scenario reads it: TOML's true/false, not Python's."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def load_vars_file(path: Path) -> dict[str, str]:
    """A TOML or JSON table of name = value (by the file's extension; JSON
    first otherwise)."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise VariableError(f"--vars {path}: cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise VariableError(f"--vars {path}:1: not UTF-8 text") from None
    data: Any
    try:
        data = tomli.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except json.JSONDecodeError as exc:
        raise VariableError(f"--vars {path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    except tomli.TOMLDecodeError as exc:
        raise VariableError(f"--vars {path}: not valid TOML: {exc}") from None
    if not isinstance(data, dict):
        raise VariableError(f"--vars {path}: must be a table of name = value")
    found: dict[str, str] = {}
    for name, value in data.items():
        if not _NAME.match(name):
            raise VariableError(f"--vars {path}: {name!r} is not a variable name")
        if not isinstance(value, str | int | float | bool):
            raise VariableError(f"--vars {path}: {name}: must be text, a number or true/false")
        found[name] = as_text(value)
    return found


def env_vars(environ: Mapping[str, str]) -> dict[str, str]:
    """``LIMIO_NAME=value`` -> ``{"NAME": value}``."""
    return {
        key[len(ENV_PREFIX):]: value
        for key, value in environ.items()
        if key.startswith(ENV_PREFIX) and _NAME.match(key[len(ENV_PREFIX):])
    }


def load_data_file(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV file (the first line names the columns) or of a JSON list of
    objects; VariableError with the line where something is wrong."""
    try:
        text = path.read_text("utf-8-sig")
    except OSError as exc:
        raise VariableError(f"--data {path}: cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise VariableError(f"--data {path}:1: not UTF-8 text") from None
    rows: list[dict[str, str]] = []
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise VariableError(f"--data {path}:{exc.lineno}: not valid JSON: {exc.msg}") \
                from None
        if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
            raise VariableError(f"--data {path}:1: must be a list of objects, one per case")
        for number, row in enumerate(data, 1):
            for name, value in row.items():
                if not isinstance(value, str | int | float | bool):
                    raise VariableError(f"--data {path}: row {number}: {name}: must be text, "
                                        "a number or true/false")
            rows.append({name: as_text(value) for name, value in row.items()})
    else:
        reader = csv.DictReader(io.StringIO(text))
        for row in reader:
            if None in row or any(value is None for value in row.values()):
                raise VariableError(f"--data {path}:{reader.line_num}: this line has a "
                                    "different number of values from the header line")
            rows.append(dict(row))
    if not rows:
        raise VariableError(f"--data {path}: no rows")
    columns = list(rows[0])
    for name in columns:
        if not _NAME.match(name):
            raise VariableError(f"--data {path}:1: {name!r} is not a variable name (use "
                                "letters, digits and _)")
    for number, row in enumerate(rows, 1):
        if list(row) != columns and set(row) != set(columns):
            raise VariableError(f"--data {path}: row {number} has other names than row 1")
    return rows


def case_name(name: str, row: Mapping[str, Any]) -> str:
    """``valid basket [country=DE offer=Digital Monthly]``."""
    return f"{name} [{' '.join(f'{key}={as_text(value)}' for key, value in row.items())}]"


@dataclass
class Redactor:
    """Masks secret values in text: --secret values, LIMIO_* values, tokens."""

    secrets: set[str] = field(default_factory=set)

    def add(self, values: Iterable[str | None]) -> None:
        self.secrets.update(maskable(values))

    def __call__(self, text: str) -> str:
        return scrub(text, self.secrets)
