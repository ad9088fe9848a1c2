"""Version 2 of the scenario language: ``[[steps.check]]``, ``[steps.capture]``,
``retry`` and its interval.

A check looks at the reply body with a JSONPath (see ``jsonpath``), optionally
passes what it found through a filter, then applies one operator::

    [[steps.check]]
    path = "$.order.orderItems"
    filter = "count"          # count | first | nth:N | number | lower
    equals = 2                # or one of the operators below

Operators: equals, not_equals, contains (text or list), matches (a regular
expression, searched), exists (true/false), count (how many values were found,
or the length of the list found), less_than, greater_than, one_of (a list).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from tui_app.services.scenarios.jsonpath import compile_path, evaluate

OPERATORS = (
    "equals", "not_equals", "contains", "matches", "exists", "count",
    "less_than", "greater_than", "one_of",
)
FILTERS = ("count", "first", "nth:N", "number", "lower")
_NTH = re.compile(r"^nth:(\d+)$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$")
MAX_RETRY = 100


def parse_duration(text: str) -> float:
    """"300ms", "2s", "1.5s", "1m" -> seconds; ValueError otherwise."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration such as \"300ms\" or \"2s\"")
    value = float(match[1])
    return value * {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}[match[2]]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Check(_Strict):
    path: str
    filter: str | None = None
    equals: Any = None
    not_equals: Any = None
    contains: Any = None
    matches: str | None = None
    exists: bool | None = None
    count: Annotated[int, Field(ge=0)] | None = None
    less_than: float | int | str | None = None
    greater_than: float | int | str | None = None
    one_of: list[Any] | None = None

    _line: int = PrivateAttr(0)
    _source: str = PrivateAttr("")

    @model_validator(mode="after")
    def _one_operator(self) -> Check:
        try:
            compile_path(self.path)
        except ValueError as exc:
            raise ValueError(f"path: {exc}") from None
        given = [op for op in OPERATORS if op in self.model_fields_set]
        if len(given) != 1:
            raise ValueError(
                f"a check needs exactly one operator ({', '.join(OPERATORS)}); "
                + (f"this one has {', '.join(given)}" if given else "this one has none")
            )
        if self.filter is not None and self.filter not in ("count", "first", "number", "lower") \
                and not _NTH.match(self.filter):
            raise ValueError(f"filter: unknown filter {self.filter!r}: use {', '.join(FILTERS)}")
        if self.matches is not None:
            try:
                re.compile(self.matches)
            except re.error as exc:
                raise ValueError(f"matches: not a regular expression: {exc}") from None
        for op in ("less_than", "greater_than"):
            value = getattr(self, op)
            if isinstance(value, str) and "${" not in value:
                try:
                    Decimal(value)
                except InvalidOperation:
                    raise ValueError(f"{op}: {value!r} is not a number") from None
        return self

    @property
    def operator(self) -> str:
        return next(op for op in OPERATORS if op in self.model_fields_set)

    @property
    def operand(self) -> Any:
        return getattr(self, self.operator)

    @property
    def line(self) -> int:
        return self._line

    @property
    def source(self) -> str:
        """The line of the file the operator is on."""
        return self._source


class CaptureSource(_Strict):
    header: str | None = None
    cookie: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> CaptureSource:
        if (self.header is None) == (self.cookie is None):
            raise ValueError("a capture is \"$.jsonpath\", { header = \"X-Name\" } or "
                             "{ cookie = \"name\" }")
        return self


# --------------------------------------------------------------------------- evaluating


def show(value: Any) -> str:
    """A value as a check failure shows it: JSON-like, short."""
    import json

    if value is _NOTHING:
        return "nothing"
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 300 else text[:297] + "..."


_NOTHING = object()


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _filtered(found: list[Any], name: str | None) -> Any:
    value: Any = _NOTHING if not found else found[0] if len(found) == 1 else found
    if name is None:
        return value
    if name == "count":
        if len(found) == 1 and isinstance(found[0], list | dict):
            return len(found[0])
        return len(found)
    items = found[0] if len(found) == 1 and isinstance(found[0], list) else found
    if name == "first":
        return items[0] if items else _NOTHING
    nth = _NTH.match(name)
    if nth:
        index = int(nth[1])
        return items[index] if index < len(items) else _NOTHING
    if value is _NOTHING:
        return value
    if name == "number":
        number = _number(value)
        return number if number is not None else value
    if name == "lower":
        return value.lower() if isinstance(value, str) else value
    return value


def _same(actual: Any, wanted: Any) -> bool:
    """Equal as a tester means it: 2 == 2.0 == "2.00" (numbers compare by value,
    also when one side is text), but true is not 1."""
    if isinstance(actual, bool) or isinstance(wanted, bool):
        return isinstance(actual, bool) and isinstance(wanted, bool) and actual == wanted
    if isinstance(actual, str) and isinstance(wanted, str):
        return actual == wanted
    a, w = _number(actual), _number(wanted)
    if a is not None and w is not None:
        return a == w
    return actual == wanted


def run_check(check: Check, document: Any, operand: Any) -> tuple[bool, str, str]:
    """(passed, expected, actual) for one check of a reply body; ``operand`` is
    the check's operand with its variables resolved."""
    found = evaluate(check.path, document)
    op = check.operator
    if op == "exists":
        there = bool(found)
        return there == operand, ("present" if operand else "absent"), (
            f"present: {show(_filtered(found, None))}" if there else "absent")
    if op == "count":
        value = _filtered(found, "count")
        return value == operand, str(operand), str(value)
    actual = _filtered(found, check.filter)
    shown = str(actual) if isinstance(actual, Decimal) else show(actual)
    if op == "equals":
        return actual is not _NOTHING and _same(actual, operand), show(operand), shown
    if op == "not_equals":
        return actual is _NOTHING or not _same(actual, operand), f"not {show(operand)}", shown
    if op == "contains":
        if isinstance(actual, str):
            ok = isinstance(operand, str) and operand in actual
        elif isinstance(actual, list):
            ok = any(_same(item, operand) for item in actual)
        elif isinstance(actual, dict):
            ok = operand in actual
        else:
            ok = False
        return ok, f"contains {show(operand)}", shown
    if op == "matches":
        ok = actual is not _NOTHING and not isinstance(actual, list | dict) and \
            re.search(str(operand), str(actual)) is not None
        return ok, f"matches /{operand}/", shown
    if op == "one_of":
        options = operand if isinstance(operand, list) else [operand]
        return any(_same(actual, o) for o in options), f"one of {show(options)}", shown
    a, w = _number(actual), _number(operand)
    if a is None or w is None:
        return False, f"{'<' if op == 'less_than' else '>'} {operand}", shown
    ok = a < w if op == "less_than" else a > w
    return ok, f"{'<' if op == 'less_than' else '>'} {operand}", shown
