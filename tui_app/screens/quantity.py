"""Ask for a new quantity for one basket item, within its offer's limits.

The limits come from the catalogue (``default_quantity_options__limio``).
What they refuse is explained under the field as the user types; Enter only
confirms a value the offer accepts. Dismisses with the quantity, or None.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tui_app.formatting import NAME_MAX, quantity_limits, shown
from tui_app.screens.modals import MODAL_CSS
from tui_app.services.api.models import CatalogueOffer, trim_spaces
from tui_app.widgets.offer_pick import parse_quantity
from tui_app.widgets.plain_input import PlainInput


class QuantityScreen(ModalScreen[int | None]):
    DEFAULT_CSS = MODAL_CSS.format(name="QuantityScreen") + """
    QuantityScreen > Vertical { width: 60; }
    QuantityScreen #quantity-problem { color: $error; height: auto; min-height: 1; }
    QuantityScreen #quantity-problem.ok { color: $success; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="quantity.cancel")]

    def __init__(self, name: str, current: int | None, offer: CatalogueOffer | None) -> None:
        super().__init__()
        self.item_name, self.current, self.offer = name, current, offer

    @property
    def limits(self) -> str:
        if self.offer is None:
            return "any (the offer is not in the catalogue)"
        return quantity_limits(self.offer)

    def compose(self) -> ComposeResult:
        with Vertical():
            # Text, not markup: an offer name is the tenant's, not ours to parse.
            yield Label(Text(f"Change quantity — {shown(self.item_name, NAME_MAX)}"),
                        classes="title")
            yield Static(Text(f"Allowed by the offer: {self.limits}"), id="quantity-limits")
            yield PlainInput(
                value="" if self.current is None else str(self.current),
                placeholder="a whole number",
                id="quantity",
            )
            yield Static("", id="quantity-problem")
            with Horizontal():
                yield Button("Cancel (Esc)", id="cancel")
                yield Button("Change (Enter)", id="ok", variant="primary")

    def on_mount(self) -> None:
        field = self.query_one(Input)
        field.focus()
        field.select_all()
        self._check(field.value)

    def problem(self, text: str) -> str | None:
        """Why ``text`` is not a quantity this offer accepts, or None."""
        text = trim_spaces(text)
        if not text:
            return "enter a quantity"
        quantity, reason = parse_quantity(text)
        if quantity is None:
            if text.isascii() and text.isdigit() and not text.strip("0"):
                return "the quantity must be at least 1 (remove the item instead)"
            return reason
        if self.offer is not None:
            reason = self.offer.quantity_options.problem_with(quantity)
            if reason:
                return f"{shown(self.offer.display_name, NAME_MAX)} takes {reason} ({self.limits})"
        return None

    def _check(self, text: str) -> str | None:
        reason = self.problem(text)
        note = self.query_one("#quantity-problem", Static)
        # Text, not markup: the reason quotes what was typed ("[/]" included).
        note.update(Text(f"✗ {shown(reason)}" if reason else "✓ accepted"))
        note.set_class(reason is None, "ok")
        self.query_one("#ok", Button).disabled = reason is not None
        return reason

    def on_input_changed(self, event: Input.Changed) -> None:
        self._check(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._confirm()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._confirm()
        else:
            self.dismiss(None)

    def _confirm(self) -> None:
        value = self.query_one(Input).value
        if self._check(value) is None:
            self.dismiss(int(trim_spaces(value)))
        else:
            self.app.bell()

    def action_cancel(self) -> None:
        self.dismiss(None)
