"""Small dialogs: confirm, help, resume."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, OptionList, Static
from textual.widgets.option_list import Option

from tui_app.formatting import CELL_MAX, plural, shown
from tui_app.services.store.session import BasketRecord
from tui_app.widgets.key_table import KeyTable

MODAL_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 72; max-width: 95%; height: auto; max-height: 90%;
    border: thick $primary; background: $surface; padding: 1 2;
}}
{name} .title {{ text-style: bold; margin-bottom: 1; }}
{name} Horizontal {{ height: auto; margin-top: 1; align-horizontal: right; }}
{name} Button {{ margin-left: 1; }}
"""
BODY_MAX = 600  # a dialog's text, so its buttons stay in view
ID_MAX = 45  # a basket id on one line of a list (a valid one has at most 43 characters)


class ConfirmScreen(ModalScreen[bool]):
    """Asks before something that cannot be undone. The confirming button has
    the focus, so Enter confirms (as y does); Esc cancels, and so does Tab then
    Enter on Cancel."""

    DEFAULT_CSS = MODAL_CSS.format(name="ConfirmScreen")
    BINDINGS = [
        Binding("escape", "dismiss(False)", "Cancel", id="confirm.cancel"),
        Binding("y", "dismiss(True)", "Yes", id="confirm.yes"),
    ]

    def __init__(self, title: str, body: str, confirm_label: str = "Yes") -> None:
        super().__init__()
        self.title_text, self.body, self.confirm_label = title, body, confirm_label

    def compose(self) -> ComposeResult:
        with Vertical():
            # Text, not markup: titles and bodies carry user data such as profile
            # names, and tenant data such as offer names and item ids.
            yield Label(Text(shown(self.title_text, BODY_MAX)), classes="title")
            yield Static(Text(shown(self.body, BODY_MAX)))
            with Horizontal():
                yield Button("Cancel (Esc)", id="no")
                yield Button(f"{self.confirm_label} (Enter, y)", id="yes", variant="error")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


def reflow(text: str) -> str:
    """Help text as paragraphs that wrap to the dialog's width: the line
    breaks of the source are spaces; a blank line keeps paragraphs apart."""
    paragraphs = [" ".join(block.split()) for block in text.strip().split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)


class HelpScreen(ModalScreen[None]):
    """F1: what this screen is for and every key that works here."""

    DEFAULT_CSS = MODAL_CSS.format(name="HelpScreen") + """
    HelpScreen > Vertical { width: 90; }
    HelpScreen VerticalScroll { height: auto; max-height: 45vh; }
    """
    BINDINGS = [
        Binding("escape,f1,q", "dismiss", "Close", id="help.close"),
    ]

    def __init__(self, title: str, text: str, bindings: list[tuple[str, str, str]],
                 generic: list[tuple[str, str]] | None = None) -> None:
        """``bindings``: this screen's and the app's keys (key, action, id);
        ``generic``: the focused widget's own keys (moving in a table…),
        listed after them under a heading of their own."""
        super().__init__()
        self.title_text, self.text, self.bindings = title, text, bindings
        self.generic = generic or []

    def compose(self) -> ComposeResult:
        # Plain text, never markup: keys can come from settings.toml.
        keys = [tuple(shown(cell, CELL_MAX) for cell in row) for row in self.bindings]
        with Vertical():
            yield Label(Text(f"Help — {shown(self.title_text, CELL_MAX)}"), classes="title")
            with VerticalScroll():
                yield Static(Text(reflow(self.text)))
                yield KeyTable(("Key", "Action", "Binding id (rebind in settings.toml)"), keys,
                               ("", "", "dim"))
                if self.generic:
                    yield Static(Text("\nMoving around (every table and list)", style="bold"))
                    yield KeyTable(("Key", "Action"), [
                        tuple(shown(cell, CELL_MAX) for cell in row) for row in self.generic
                    ])
            with Horizontal():
                yield Button("Close (Esc)", id="close", variant="primary")

    def on_button_pressed(self) -> None:
        self.dismiss()


class ResumeScreen(ModalScreen[BasketRecord | None]):
    """Offered at start: carry on with the basket of the last session, or
    reopen a recent one. Dismisses with the chosen record, or None."""

    DEFAULT_CSS = MODAL_CSS.format(name="ResumeScreen") + """
    ResumeScreen OptionList { height: auto; max-height: 12; }
    """
    BINDINGS = [Binding("escape", "dismiss(None)", "Close", id="resume.new")]

    def __init__(self, current: BasketRecord | None, recent: list[BasketRecord],
                 *, has_basket: bool = False) -> None:
        """At start (``current``), Esc starts a new basket; from the palette
        (no ``current``), Esc closes the list and the basket in use stays."""
        super().__init__()
        self.has_basket = has_basket
        self.records = [r for r in ([current] if current else []) + recent if r is not None]
        seen: set[tuple[str, str]] = set()
        self.records = [r for r in self.records if not (r.key in seen or seen.add(r.key))]
        self.has_current = current is not None

    def compose(self) -> ComposeResult:
        options = [Option(self._describe(r, i == 0 and self.has_current), id=str(i))
                   for i, r in enumerate(self.records)]
        with Vertical():
            yield Label(
                "Resume the basket you were on?" if self.has_current else "Recent baskets",
                classes="title",
            )
            yield OptionList(*options)
            with Horizontal():
                yield Button(self.escape_label(), id="new")
                yield Button("Open selected", id="open", variant="primary")

    def escape_label(self) -> str:
        if self.has_current:
            return "Start a new basket (Esc)"
        return "Keep the current basket (Esc)" if self.has_basket else "Close (Esc)"

    @staticmethod
    def _describe(record: BasketRecord, current: bool) -> Text:
        items = plural(record.items, "item") if record.items is not None else "? items"
        when = record.updated_at.astimezone().strftime("%Y-%m-%d %H:%M")
        text = Text()
        # The id and country were the tenant's (read back from the session file).
        text.append("▶ last session  " if current else "  ")
        text.append(shown(record.basket_id, ID_MAX), style="bold")
        text.append(f"\n    {items} · {shown(record.country or '?', CELL_MAX)} · {when}")
        return text

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.records[int(event.option.id or 0)])

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "open":
            index = self.query_one(OptionList).highlighted
            self.dismiss(self.records[index] if index is not None else None)
        else:
            self.dismiss(None)
