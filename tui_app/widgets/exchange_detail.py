"""One exchange in full: request and response, headers and pretty-printed
bodies, with a find box that narrows the view to the lines that match.

Whether it shows the redacted or the raw exchange is the caller's choice; the
widget only labels the raw one loudly ("SECRETS SHOWN").

Everything here but the headings is what went over the wire: shown through
``formatting`` (``outside``, ``visible_text``), so an escape code in a reply
is drawn as ␛ and ``[/b]`` as itself. Long lines wrap rather than being cut.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Static

from tui_app.formatting import outside, plural, shown, visible_text
from tui_app.services.api.exchange import Exchange, Headers
from tui_app.widgets.exchange_body import ExchangeBody
from tui_app.widgets.exchange_format import (
    duration,
    pretty_body,
    size,
    status_style,
    status_words,
    summary,
)
from tui_app.widgets.plain_input import PlainInput

MATCH_STYLE = "bold reverse"
HEADING_STYLE = "bold underline"
SECRETS_BANNER = "⚠ SECRETS SHOWN — the raw exchange, token and cookies in the clear"


@dataclass
class Section:
    heading: Text
    lines: list[Text]


def _header_lines(headers: Headers) -> list[Text]:
    if not headers:
        return [Text("(none)", style="dim")]
    lines = []
    for name, value in headers:
        line = Text(f"{shown(name)}: ", style="bold")
        line.append(shown(value))
        lines.append(line)
    return lines


def _body_lines(body: str) -> list[Text]:
    if not body:
        return [Text("(no body)", style="dim")]
    text, is_json = pretty_body(body)
    if is_json:
        # Here, not at the top: rich.syntax brings pygments (about 1.4 MiB),
        # and the inspector's module is loaded at start-up, long before (if
        # ever) it shows a body.
        from rich.syntax import Syntax

        highlighted = Syntax(
            text, "json", theme="ansi_dark", background_color="default", word_wrap=True
        ).highlight(text)
        highlighted.rstrip()
        return [visible_text(line) for line in highlighted.split("\n")]
    return [outside(line) for line in text.splitlines()] or [Text("")]


def _content_type(headers: Headers) -> str:
    for name, value in headers:
        if name.lower() == "content-type":
            return value.split(";")[0].strip()
    return ""


def sections(exchange: Exchange) -> list[Section]:
    """The exchange as headed blocks of lines, request first."""
    request_type = _content_type(exchange.request_headers)
    request_body = f"Request body ({shown(request_type or 'no type')} · " \
        f"{size(len(exchange.request_body.encode()))})"
    if exchange.status is None:
        response = Text(f"Response {status_words(exchange)}", style=status_style(None))
    else:
        response = Text("Response — ", style=HEADING_STYLE)
        response.append(status_words(exchange), style=status_style(exchange.status))
        response.append(f" · {duration(exchange)} · {size(exchange.response_size)}")
    started = exchange.started_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    return [
        Section(Text("Request", style=HEADING_STYLE),
                [outside(f"{exchange.method} {exchange.url}"),
                 Text(f"sent {started}", style="dim")]),
        Section(Text("Request headers", style=HEADING_STYLE),
                _header_lines(exchange.request_headers)),
        Section(Text(request_body, style=HEADING_STYLE), _body_lines(exchange.request_body)),
        Section(response, []),
        Section(Text("Response headers", style=HEADING_STYLE),
                _header_lines(exchange.response_headers)),
        Section(Text("Response body", style=HEADING_STYLE), _body_lines(exchange.response_body)),
    ]


def render(blocks: list[Section], query: str) -> tuple[list[Text], int, int]:
    """The text to show and, for a query, how many matches in how many lines.

    With a query only matching lines are kept (under their section's heading),
    each match highlighted; the search ignores case.
    """
    out: list[Text] = []
    if not query:
        for block in blocks:
            if out:
                out.append(Text(""))
            out.append(block.heading)
            out.extend(block.lines)
        return out, 0, 0
    pattern = re.compile(re.escape(query), re.IGNORECASE)
    matches = lines = 0
    for block in blocks:
        hits = []
        for line in block.lines:
            if pattern.search(line.plain):
                line = line.copy()
                matches += line.highlight_regex(pattern, MATCH_STYLE)
                hits.append(line)
        if hits:
            if out:
                out.append(Text(""))
            out.append(block.heading)
            out.extend(hits)
            lines += len(hits)
    if not out:
        out.append(Text(f"Nothing in this exchange contains {query!r}.", style="dim"))
    return out, matches, lines


class ExchangeDetail(Vertical):
    """Shows ``exchange``; ``revealed`` says it is the raw one."""

    DEFAULT_CSS = """
    ExchangeDetail { height: 1fr; }
    ExchangeDetail #exchange-summary { height: auto; padding: 0 1; text-style: bold; }
    ExchangeDetail #exchange-secrets {
        display: none; height: 1; padding: 0 1;
        background: $error; color: $text; text-style: bold;
    }
    ExchangeDetail.revealed #exchange-secrets { display: block; }
    ExchangeDetail #exchange-find-row { height: auto; }
    ExchangeDetail #exchange-find { width: 1fr; }
    ExchangeDetail #exchange-find-row { margin: 0 1; }
    ExchangeDetail #exchange-matches { width: auto; padding: 0 1; }
    ExchangeDetail ExchangeBody { margin: 0 0 0 1; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.exchange: Exchange | None = None
        self.revealed = False
        self.query_text = ""
        self._blocks: list[Section] = []
        self._drawn = False
        self.match_count = 0

    def compose(self) -> ComposeResult:
        yield Static(id="exchange-summary")
        yield Static(SECRETS_BANNER, id="exchange-secrets")
        with Horizontal(id="exchange-find-row"):
            yield PlainInput(placeholder="/ find in this exchange", id="exchange-find",
                             compact=True)
            yield Static("", id="exchange-matches")
        yield ExchangeBody(id="exchange-body")

    def on_mount(self) -> None:
        self.show(None)

    def show(self, exchange: Exchange | None, *, revealed: bool = False) -> None:
        revealed = revealed and exchange is not None
        if self._drawn and exchange is self.exchange and revealed == self.revealed:
            return  # the same thing again: keep the scroll position
        self._drawn = True
        changed = exchange is None or self.exchange is None or exchange.id != self.exchange.id
        self.exchange, self.revealed = exchange, revealed
        self.set_class(self.revealed, "revealed")
        self._blocks = sections(exchange) if exchange is not None else []
        self.query_one("#exchange-summary", Static).update(
            Text(summary(exchange)) if exchange is not None
            else Text("No exchange yet — every call the app makes appears here.", style="dim")
        )
        self.redraw(home=changed)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "exchange-find":
            event.stop()
            self.query_text = event.value
            self.redraw()

    def redraw(self, *, home: bool = True) -> None:
        drawn, self.match_count, lines = render(self._blocks, self.query_text)
        self.query_one(ExchangeBody).set_lines(drawn, home=home)
        counter = ""
        if self.query_text and self.exchange is not None:
            found = f"{self.match_count} match" + ("es" if self.match_count != 1 else "")
            counter = f"{found} in {plural(lines, 'line')}" if self.match_count else "no match"
        self.query_one("#exchange-matches", Static).update(counter)

    @property
    def shown_text(self) -> str:
        """What the body pane shows, as plain text (for tests and copying)."""
        return self.query_one(ExchangeBody).text
