"""A small JSONPath subset, for checks and captures of scenario version 2.

Paths start at ``$`` (the reply body)::

    $.order.orderItems          a key (also ['key'] or ["key"])
    $.order.orderItems[0]       an index; [-1] is the last
    $.order.orderItems[*]       every element (also .* for every value)
    $..id                       every "id" at any depth
    $.order.orderItems[?(@.quantity > 1)]
                                the elements whose field compares true:
                                ==, !=, <, <=, >, >= with a 'text', number,
                                true, false or null; [?(@.field)] keeps those
                                that have the field

Own code rather than a library: a dozen lines of grammar cover what a check
needs, it loads in no time, and a mistake is reported with the file's line
before anything is sent. ``compile_path`` raises ValueError with the reason;
``evaluate`` returns every value found (an empty list when nothing is).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_NAME = r"[A-Za-z_][A-Za-z0-9_\-]*"
_LITERAL = r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|-?\d+(?:\.\d+)?|true|false|null"
_FILTER = re.compile(
    rf"\[\?\(\s*@((?:\.{_NAME})+)\s*(?:(==|!=|<=|>=|<|>)\s*({_LITERAL})\s*)?\)\]"
)
_STEPS = [
    ("descend", re.compile(rf"\.\.({_NAME}|\*)")),
    ("key", re.compile(rf"\.({_NAME})")),
    ("wild", re.compile(r"\.\*|\[\*\]")),
    ("key", re.compile(r"\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[\s*\"((?:[^\"\\]|\\.)*)\"\s*\]")),
    ("index", re.compile(r"\[\s*(-?\d+)\s*\]")),
]
_MISSING = object()


@dataclass(frozen=True)
class Segment:
    kind: str  # key | index | wild | descend | filter
    key: str | None = None
    index: int | None = None
    fields: tuple[str, ...] = ()
    op: str | None = None
    value: Any = None


def _literal(text: str) -> Any:
    if text[0] in "'\"":
        return text[1:-1].replace("\\" + text[0], text[0]).replace("\\\\", "\\")
    return json.loads(text)


@lru_cache(maxsize=4096)
def compile_path(text: str) -> tuple[Segment, ...]:
    """``$.a.b[0]`` -> segments; ValueError says where it goes wrong."""
    source = text.strip()
    if not source.startswith("$"):
        raise ValueError(f"{text!r} is not a JSONPath: it must start with $ (e.g. $.order.total)")
    segments: list[Segment] = []
    at = 1
    while at < len(source):
        match = _FILTER.match(source, at)
        if match:
            fields = tuple(match[1].lstrip(".").split("."))
            value = _literal(match[3]) if match[3] is not None else None
            segments.append(Segment("filter", fields=fields, op=match[2], value=value))
            at = match.end()
            continue
        for kind, pattern in _STEPS:
            match = pattern.match(source, at)
            if match is None:
                continue
            if kind == "index":
                segments.append(Segment("index", index=int(match[1])))
            elif kind == "wild":
                segments.append(Segment("wild"))
            elif kind == "descend":
                segments.append(Segment("descend", key=None if match[1] == "*" else match[1]))
            else:
                key = next(g for g in match.groups() if g is not None)
                segments.append(Segment("key", key=key))
            at = match.end()
            break
        else:
            raise ValueError(
                f"{text!r}: cannot read the JSONPath from {source[at:]!r} (use .key, ['key'], "
                "[N], [*], ..key or [?(@.field == 'value')])"
            )
    return tuple(segments)


def evaluate(path: str, document: Any) -> list[Any]:
    values = [document]
    for segment in compile_path(path):
        values = [found for value in values for found in _apply(segment, value)]
    return values


def _children(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return list(value)
    return []


def _apply(segment: Segment, value: Any) -> list[Any]:
    if segment.kind == "key":
        return [value[segment.key]] if isinstance(value, dict) and segment.key in value else []
    if segment.kind == "index":
        if isinstance(value, list) and -len(value) <= (segment.index or 0) < len(value):
            return [value[segment.index or 0]]
        return []
    if segment.kind == "wild":
        return _children(value)
    if segment.kind == "descend":
        found: list[Any] = []
        stack = [value]
        while stack:
            current = stack.pop()
            if isinstance(current, dict):
                if segment.key is None:
                    found.extend(current.values())
                elif segment.key in current:
                    found.append(current[segment.key])
            stack.extend(reversed(_children(current)))
        return found
    return [item for item in _children(value) if _keeps(segment, item)]


def _keeps(segment: Segment, item: Any) -> bool:
    current = item
    for field in segment.fields:
        if not isinstance(current, dict) or field not in current:
            return False
        current = current[field]
    if segment.op is None:
        return True
    wanted = segment.value
    if segment.op == "==":
        return current == wanted
    if segment.op == "!=":
        return current != wanted
    try:
        if segment.op == "<":
            return current < wanted
        if segment.op == "<=":
            return current <= wanted
        if segment.op == ">":
            return current > wanted
        return current >= wanted
    except TypeError:
        return False
