"""Ask for another country for the basket (ISO 3166-1 alpha-2, with suggestions)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Static

from tui_app.formatting import shown
from tui_app.screens.modals import MODAL_CSS
from tui_app.services.api.countries import CountryError, country_name, parse_country, suggestions
from tui_app.widgets.plain_input import PlainInput


class CountryScreen(ModalScreen[str | None]):
    DEFAULT_CSS = MODAL_CSS.format(name="CountryScreen") + """
    CountryScreen #reason { height: auto; margin-top: 1; }
    """
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="country.cancel")]

    def __init__(self, current: str | None) -> None:
        super().__init__()
        self.current = current or ""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Move the basket to another country", classes="title")
            yield Static(
                "The basket is initiated again with the same external id and items, "
                "so the server updates this basket for the new country."
            )
            yield PlainInput(
                self.current,
                placeholder="two-letter code, e.g. DE",
                suggester=SuggestFromList(suggestions(), case_sensitive=False),
                id="country",
            )
            yield Static("", id="reason")
            with Horizontal():
                yield Button("Cancel (Esc)", id="cancel")
                yield Button("Move (Enter)", id="move", variant="primary")

    def _check(self) -> str | None:
        reason = self.query_one("#reason", Static)
        try:
            code = parse_country(self.query_one("#country", Input).value)
        except CountryError as exc:
            # Text, not markup: the reason quotes what was typed ("[/]" included).
            reason.update(Text(f"✗ {shown(exc)}"))
            return None
        if code == self.current:
            reason.update(Text(f"✗ the basket is already in {code}"))
            return None
        reason.update(Text(f"✓ {code} — {country_name(code)}"))
        return code

    def on_input_changed(self) -> None:
        self._check()

    def on_input_submitted(self) -> None:
        self._confirm()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "move":
            self._confirm()
        else:
            self.dismiss(None)

    def _confirm(self) -> None:
        code = self._check()
        if code is not None:
            self.dismiss(code)
