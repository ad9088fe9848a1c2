"""How much one request may ask of the sandbox, and the checks that hold it to that.

Every bound on untrusted input lives here, so the README can quote them from
one place. A request beyond a bound gets a 4xx or a 502 with a JSON message,
never a 500: parsing is depth-limited (deep nesting would otherwise raise
RecursionError), and sizes are checked before the work that grows with them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# ------------------------------------------------------------------ request size

MAX_BODY = 1024 * 1024  # an API request body: 413 beyond
MAX_TOKEN_BODY = 64 * 1024  # the token endpoint's form body: 413 beyond
# Request line plus headers. h11 enforces it while a head arrives in pieces;
# the app checks it again for a head that arrived whole (431 beyond).
MAX_HEAD = 32 * 1024
HEAD_TOO_LARGE = f"request line and headers too large: at most {MAX_HEAD} bytes"
# Nesting of arrays and objects in any JSON the sandbox reads: a real body
# needs 5 levels; `tracking` is open-ended but attribution data is flat.
MAX_JSON_DEPTH = 32
MAX_COOKIE = 4096  # a landing-state cookie longer than a browser would keep is ignored
MAX_ALIAS = 4096  # opt.queryMoreAlias: the aliases the catalogue issues are ~200 bytes

# ------------------------------------------------------------------ basket size

# The benchmarks build 500-line baskets; twice that leaves room, and bounds the
# work every later request on the basket does (pricing, validation, rewriting).
MAX_ITEMS = 1000  # items in one basket (initiate, and after an update)
MAX_ACTIONS = 500  # orderActions in one update

# ------------------------------------------------------------------ messages

MAX_PROBLEMS = 20  # problems listed in one 502 message; the rest are counted
MAX_ECHO = 80  # characters of a caller's value quoted back in a message


@dataclass(frozen=True)
class ServerLimits:
    """Connection-level bounds (seconds, counts); tests shorten them."""

    # From connecting (or the end of the previous reply) to the end of the
    # request headers: a half-open socket is closed after this.
    header_timeout: float = 10.0
    # From the request headers to the end of its body: 408 after this.
    body_timeout: float = 30.0
    # An idle keep-alive connection is closed after this (uvicorn's timeout).
    keep_alive: int = 5
    # Open connections at most; None: 256, or fewer when the process may open
    # fewer files (see connections.connection_cap).
    max_connections: int | None = None


class JsonLimitError(ValueError):
    """JSON the sandbox will not read; the message says why, without a path."""


def echo(value: object) -> str:
    """A caller's value quoted back in a message, shortened: repr(), at most MAX_ECHO."""
    text = repr(value)
    return text if len(text) <= MAX_ECHO else f"{text[: MAX_ECHO - 1]}…"


def join_problems(problems: list[str]) -> str:
    """One message from many problems, the first MAX_PROBLEMS of them."""
    shown = "; ".join(problems[:MAX_PROBLEMS])
    hidden = len(problems) - MAX_PROBLEMS
    return f"{shown}; and {hidden} more" if hidden > 0 else shown


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def load_json(text: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """json.loads, refusing NaN/Infinity and nesting deeper than ``max_depth``.

    Raises ValueError (JSONDecodeError, UnicodeDecodeError) for malformed text
    and JsonLimitError for text nested too deeply, however deep it goes.
    """
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:  # deeper than the interpreter's stack: certainly too deep
        value = None
        deep = True
    else:
        deep = nests_deeper(value, max_depth)
    if deep:
        raise JsonLimitError(f"nested deeper than {max_depth} levels of arrays and objects")
    return value


def nests_deeper(value: Any, max_depth: int) -> bool:
    """True if arrays and objects in ``value`` nest more than ``max_depth`` levels.

    Iterative, so it cannot itself run out of stack however deep the value is.
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth == max_depth:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def head_size(scope: dict[str, Any]) -> int:
    """Bytes of an HTTP request's target and headers, as the ASGI scope holds them."""
    size = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
    return size + sum(len(name) + len(value) for name, value in scope.get("headers", ()))
