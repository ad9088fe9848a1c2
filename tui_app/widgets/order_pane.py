"""The Offers screen's right-hand side: what to add, the order details, and
the actions on the current basket. Laid out here; the screen gives it life."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Label, Select, Static

from tui_app.widgets.offer_order_form import OrderForm
from tui_app.widgets.offer_picks import PickTable
from tui_app.widgets.plain_input import PlainInput

AS_LISTED = "auto"  # the item type as the catalogue lists it


class OrderPane(VerticalScroll):
    """The right-hand side: what to add, the order details, the basket actions."""

    def compose(self) -> ComposeResult:
        yield Static("Pick an offer", classes="heading first")
        yield Static("", id="pick-target")
        with Horizontal(classes="row"):
            yield Label("Offer id", classes="label")
            yield PlainInput(
                id="manual-id", placeholder="or type an id the catalogue lacks",
                compact=True,
            )
        with Horizontal(classes="row"):
            yield Label("Version", classes="label")
            yield PlainInput(id="manual-version", placeholder="its version", compact=True)
        yield Static("", id="manual-note", classes="note")
        with Horizontal(classes="row"):
            yield Label("Quantity", classes="label")
            yield PlainInput(id="quantity", placeholder="default", compact=True)
            yield Select(
                [("type as listed", AS_LISTED), ("offer", "offer"), ("add-on", "add_on")],
                value=AS_LISTED,
                allow_blank=False,
                id="item-type",
                compact=True,
            )
        yield Static("", id="quantity-note", classes="note")
        with Horizontal(classes="buttons"):
            yield Button("Add to list (^o)", id="add-pick", compact=True)
        yield PickTable(id="picks")
        yield Static("", id="items-note", classes="note")
        yield Static("Order", classes="heading")
        yield OrderForm(id="order-form")
        with Horizontal(classes="buttons"):
            yield Button("Initiate (^s)", id="initiate", variant="primary", compact=True)
        with Vertical(id="basket-panel"):
            yield Static("Current basket", classes="heading")
            yield Static("", id="basket-target")
            with Horizontal(classes="buttons"):
                yield Button("Add to basket (^b)", id="add-to-basket", compact=True)
                yield Button("Stage (^t)", id="stage", compact=True)
        with Vertical(id="link-panel"):
            yield Static("Assisted checkout link", classes="heading")
            yield Static("", id="link")
            with Horizontal(classes="buttons"):
                yield Button("Copy link (^l)", id="copy-link", compact=True)

    class Ready(Message):
        """The pane is mounted (it is mounted lazily, after the first paint)."""

    def on_mount(self) -> None:
        self.post_message(self.Ready())
