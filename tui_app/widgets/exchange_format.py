"""How an exchange reads on screen: its status in words (and colour), its
time, duration and size, and its bodies pretty-printed. What the server sent
(and the error that stopped a call) is shown through ``formatting.shown``."""

from __future__ import annotations

import json
from http import HTTPStatus

from rich.text import Text

from tui_app.formatting import clip, shown
from tui_app.services.api.exchange import Exchange

FAILED_STYLE = "bold red"
PATH_MAX = 120  # a path in a one-line summary (a tenant's paging alias can be long)


def status_words(exchange: Exchange) -> str:
    """"200 OK", "401 Unauthorized", "— failed: Timed out: no reply …"."""
    if exchange.status is None:
        return f"— failed: {shown(exchange.error or 'no reply')}"
    try:
        phrase = HTTPStatus(exchange.status).phrase
    except ValueError:
        phrase = ""
    return f"{exchange.status} {phrase}".rstrip()


def status_style(status: int | None) -> str:
    if status is None or status >= 500:
        return FAILED_STYLE
    if status >= 400:
        return "bold dark_orange"
    if status >= 300:
        return "bold cyan"
    return "bold green"


def status_label(exchange: Exchange, width: int | None = None) -> Text:
    words = status_words(exchange)
    if width is not None:
        words = clip(words, width)
    return Text(words, style=status_style(exchange.status))


def local_time(exchange: Exchange) -> str:
    return exchange.started_at.astimezone().strftime("%H:%M:%S")


def duration(exchange: Exchange) -> str:
    return f"{exchange.duration_ms:,.0f} ms"


def size(count: int) -> str:
    if count < 1000:
        return f"{count} B"
    if count < 1_000_000:
        return f"{count / 1000:.1f} kB"
    return f"{count / 1_000_000:.1f} MB"


def pretty_body(body: str) -> tuple[str, bool]:
    """The body indented if it is JSON, and whether it was."""
    if not body.strip():
        return body, False
    try:
        parsed = json.loads(body)
    except ValueError:
        return body, False
    return json.dumps(parsed, indent=2, ensure_ascii=False), True


def summary(exchange: Exchange) -> str:
    """One line: method, path, status, duration, size."""
    outcome = status_words(exchange).removeprefix("— ")
    parts = [f"#{exchange.id}", shown(exchange.method), shown(exchange.path, PATH_MAX), "→",
             outcome]
    if exchange.status is not None:
        parts += ["·", duration(exchange), "·", size(exchange.response_size)]
    return " ".join(parts)
