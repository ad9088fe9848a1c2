"""The line at the top of every screen: who we talk to, which basket, and
whether a call is on its way. Status is always spelled out, never colour only.
The names, ids and codes in it are the tenant's (or a file's): shown through
``formatting.shown``, never as markup.

It fits its width (as the Basket summary does, see ``fit``): the parts are
ranked, the less important ones are left out first at narrow widths, a part
with a shorter form (a basket id) takes it, and nothing is cut mid-word.
Parts are kept apart by " · " (or "  │  " between groups), never glued."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from tui_app.formatting import NAME_MAX, money, plural, short, shown
from tui_app.widgets.key_bar import key_display

COUNTRY_MAX = 8  # a "country" that is not a two-letter code is cut to this
WITHIN = " · "  # between the parts of one group
BETWEEN = "  │  "  # between groups


@dataclass(frozen=True)
class Part:
    """One piece of a fitted line: its forms, longest first; its rank (0 is
    kept whatever the width; higher ranks go first); the rank at which it
    may take a longer form (``grow``, by default its own); its group."""

    forms: tuple[Text, ...]
    rank: int
    group: int = 0
    lead: str | None = None  # what goes before it, in place of the separator
    grow: int | None = None


def part(*forms: Text | str, rank: int, group: int = 0, lead: str | None = None,
         grow: int | None = None) -> Part:
    return Part(tuple(f if isinstance(f, Text) else Text(f) for f in forms), rank, group,
                lead, grow)


def fit(parts: Sequence[Part], room: int | None, *, within: str = WITHIN,
        between: str = BETWEEN) -> Text:
    """``parts`` on one line of at most ``room`` cells (None: no limit): the
    best-ranked parts that fit, each in as long a form as fits, in their own
    order. Rank 0 parts are always there."""

    def assemble(choice: dict[int, int]) -> Text:
        line = Text()
        previous: Part | None = None
        for index in sorted(choice):
            piece = parts[index]
            if previous is not None:
                line.append(piece.lead if piece.lead is not None and piece.group ==
                            previous.group else within if piece.group == previous.group
                            else between)
            line.append_text(piece.forms[choice[index]])
            previous = piece
        return line

    def fits(choice: dict[int, int]) -> bool:
        return room is None or assemble(choice).cell_len <= room

    # Rank by rank: a part comes in, in its shortest form, if it fits; at its
    # ``grow`` rank it takes the longest form that still fits.
    steps = sorted(
        [(p.rank, 0, i) for i, p in enumerate(parts)]
        + [(p.rank if p.grow is None else p.grow, 1, i) for i, p in enumerate(parts)]
    )
    choice: dict[int, int] = {}
    for rank, kind, index in steps:
        if kind == 0:
            trial = {**choice, index: len(parts[index].forms) - 1}
            if rank == 0 or fits(trial):
                choice = trial
        elif index in choice:
            for form in range(choice[index]):
                trial = {**choice, index: form}
                if fits(trial):
                    choice = trial
                    break
    return assemble(choice)


class FittedLines(Static):
    """Lines of ranked parts, fitted to the widget's width whenever it is drawn."""

    def __init__(self, lines: Sequence[Sequence[Part] | Text] = (), *, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.lines: list[Sequence[Part] | Text] = list(lines)

    def show(self, lines: list[Sequence[Part] | Text]) -> None:
        if lines == self.lines:
            return
        # Each line is fitted to one row: only a new count moves things.
        layout = len(lines) != len(self.lines)
        self.lines = lines
        self.refresh(layout=layout)

    def render(self) -> Text:
        room = self.content_size.width or None
        text = Text()
        for number, line in enumerate(self.lines):
            if number:
                text.append("\n")
            text.append_text(line if isinstance(line, Text) else fit(line, room))
        return text


class ContextBar(FittedLines):
    DEFAULT_CSS = """
    ContextBar { height: 1; padding: 0 1; background: $panel; color: $foreground; }
    """

    def on_mount(self) -> None:
        self.watch(self.app, "context_version", self._redraw)
        self.watch(self.app, "busy", self._redraw)

    def _redraw(self, _value: object = None) -> None:
        self.refresh()

    def render(self) -> Text:
        return fit(self.parts(), self.content_size.width or None)

    def parts(self) -> list[Part]:
        app = self.app
        workspace = app.workspace
        parts: list[Part] = []
        if workspace.profile is None:
            parts.append(part(Text(" CONNECTING ", style="reverse"), rank=0))
            parts.append(part("starting the embedded sandbox…" if app.sandbox_pending
                              else "no profile", lead=" ", rank=1))
        elif workspace.is_sandbox and workspace.sandbox_stopped:
            parts.append(part(Text(" SANDBOX STOPPED ", style="bold reverse"), rank=0))
            parts.append(part(f"{key_display(app, 'app.restart_sandbox')} starts it again",
                              lead=" ", rank=1))
        elif workspace.is_sandbox:
            parts.append(part(Text(" SANDBOX ", style="bold reverse"), rank=0))
            if workspace.basket is None:
                parts.append(part("embedded · no credentials needed", "embedded", lead=" ", rank=6))
        else:
            parts.append(part(Text(" TENANT ", style="bold reverse"), rank=0))
            parts.append(part(shown(workspace.profile.name, NAME_MAX),
                              shown(workspace.profile.name, 16), lead=" ", rank=5))
        basket = workspace.basket
        if basket is not None:
            order = basket.order
            parts.append(part(Text(short(basket.basket_id, 15), style="bold"), rank=2, group=1))
            if basket.country:
                parts.append(part(shown(basket.country, COUNTRY_MAX), rank=6, group=1))
            parts.append(part(plural(len(order.orderItems), "item"), rank=5, group=1))
            parts.append(part(money(order.total_amount, order.total_currency), rank=3,
                              group=1))
            if workspace.staged:
                parts.append(part(plural(len(workspace.staged), "staged action"),
                                  f"{len(workspace.staged)} staged", rank=4, group=1))
        if app.busy:
            busy = shown(app.busy, NAME_MAX)
            parts.append(part(Text(f"⟳ {busy}…", style="bold"),
                              Text(f"⟳ {shown(busy.split()[0], 16)}…", style="bold"),
                              rank=1, group=2, grow=4))
        return parts
