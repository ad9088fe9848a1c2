"""The Offers screen's right-hand side: what to add, the order details, and
the actions on the current basket. Laid out here; the screen gives it life."""

from __future__ import annotations

import asyncio
import contextlib

from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Label, Select, Static

from tui_app.widgets.offer_order_form import OrderForm
from tui_app.widgets.offer_picks import PickTable
from tui_app.widgets.plain_input import PlainInput

AS_LISTED = "auto"  # the item type as the catalogue lists it
STEP_WAIT_AT_MOST = 0.5  # seconds


class OrderPane(VerticalScroll):
    """The right-hand side: what to add, the order details, the basket actions.

    Its ~80 widgets are mounted a few at a time, top to bottom, as soon as it
    is mounted: mounted at once they held the event loop for ~250 ms just
    after the first paint, and a key pressed then waited for all of them."""

    class Ready(Message):
        """Every widget of the pane is mounted (it is mounted lazily, after the
        first paint, in steps)."""

    async def on_mount(self) -> None:
        for step in (self._pick_part, self._order_part, self._basket_part):
            await self.mount_all(step())
            await self._after_the_screen_on_top()
        await self.query_one(OrderForm).mount_tracking()
        self.post_message(self.Ready())

    async def _after_the_screen_on_top(self) -> None:
        """Let a dialog opened meanwhile (F1) be drawn before the next step, not
        after the rest of the pane is built behind it. Not for long: a dialog
        closed before it was drawn is never drawn. The pane's own screen is
        not waited for: it is waiting for the pane (see OffersScreen)."""
        top = self.app.screen
        if top is self.screen:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(top.wait_for_refresh(), STEP_WAIT_AT_MOST)

    def _pick_part(self) -> list[Widget]:
        return [
            Static("Pick an offer", classes="heading first"),
            Static("", id="pick-target"),
            Horizontal(
                Label("Offer id", classes="label"),
                PlainInput(id="manual-id", placeholder="or type an id the catalogue lacks",
                           compact=True),
                classes="row",
            ),
            Horizontal(
                Label("Version", classes="label"),
                PlainInput(id="manual-version", placeholder="its version", compact=True),
                classes="row",
            ),
            Static("", id="manual-note", classes="note"),
            Horizontal(
                Label("Quantity", classes="label"),
                PlainInput(id="quantity", placeholder="default", compact=True),
                Select(
                    [("type as listed", AS_LISTED), ("offer", "offer"), ("add-on", "add_on")],
                    value=AS_LISTED, allow_blank=False, id="item-type", compact=True,
                ),
                classes="row",
            ),
            Static("", id="quantity-note", classes="note"),
            Horizontal(Button("Add to list (^o)", id="add-pick", compact=True),
                       classes="buttons"),
        ]

    def _order_part(self) -> list[Widget]:
        return [
            PickTable(id="picks"),
            Static("", id="items-note", classes="note"),
            Static("Order", classes="heading"),
            OrderForm(id="order-form"),
            Horizontal(Button("Initiate (^s)", id="initiate", variant="primary", compact=True),
                       classes="buttons"),
        ]

    def _basket_part(self) -> list[Widget]:
        return [
            Vertical(
                Static("Current basket", classes="heading"),
                Static("", id="basket-target"),
                Horizontal(
                    Button("Add to basket (^b)", id="add-to-basket", compact=True),
                    Button("Stage (^t)", id="stage", compact=True),
                    classes="buttons",
                ),
                id="basket-panel",
            ),
            Vertical(
                Static("Assisted checkout link", classes="heading"),
                Static("", id="link"),
                Horizontal(Button("Copy link (^l)", id="copy-link", compact=True),
                           classes="buttons"),
                id="link-panel",
            ),
        ]
