"""The items a basket will be initiated with, built up one pick at a time and
shown before anything is sent."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

from pydantic import ValidationError
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from tui_app.formatting import NAME_MAX, cell, heading, short, shown
from tui_app.services.api.models import ItemType, OrderItem
from tui_app.widgets.clear_rows import clear_rows


@dataclass(frozen=True)
class Pick:
    """One line of the basket-to-be: an offer version, how many, and its type."""

    offer_id: str
    version: str
    quantity: int
    item_type: ItemType
    name: str | None = None  # None: the catalogue does not list this offer
    outdated: bool = False  # a version other than the catalogue's current one

    def order_json(self) -> dict[str, object]:
        """The line as the initiate body carries it, built directly as the
        JSON an ``OrderItem`` dumps to (a 500-line basket went through three
        pydantic passes before its request was sent; the body is checked
        once, whole, by ``build_initiate``)."""
        item: dict[str, object] = {
            "offer": {"id": self.offer_id, "version": self.version},
            "quantity": self.quantity,
        }
        if self.item_type is not None:
            item["type"] = getattr(self.item_type, "value", self.item_type)
        return item

    @cached_property
    def order_item(self) -> OrderItem | dict[str, object]:
        """The line checked, once: a pick never changes (a new quantity is a
        new pick), and the initiate body takes a checked item as it is, where
        it checked every line's JSON again each time (2.3 ms of sending a
        500-line basket). A line that does not pass stays JSON, so that the
        body's check says which line and what is wrong, as before."""
        try:
            return OrderItem.model_validate(self.order_json())
        except ValidationError:
            return self.order_json()

    @property
    def label(self) -> str:
        """The line's offer as shown (the name is the tenant's text)."""
        if self.name is None:
            return f"{short(self.offer_id, 12)} (not in the catalogue)"
        name = shown(self.name, NAME_MAX)
        return f"{name} (earlier version)" if self.outdated else name


class PickTable(DataTable):
    """The pick list; Delete removes the highlighted line, Enter or c changes
    its quantity."""

    DEFAULT_CSS = """
    PickTable { height: auto; max-height: 8; }
    PickTable:focus > .datatable--header { background: $accent; color: $text; }
    """
    BINDINGS = [
        Binding("delete,backspace", "remove", "Remove item", id="offers.remove_pick"),
        Binding("enter,c", "change_quantity", "Change quantity", id="offers.pick_quantity"),
    ]

    class Changed(Message):
        """The list gained or lost a line, or a line changed."""

    class QuantityWanted(Message):
        """The user asked to change the quantity of line ``index``."""

        def __init__(self, index: int, pick: Pick) -> None:
            super().__init__()
            self.index, self.pick = index, pick

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", **kwargs)  # type: ignore[arg-type]
        self.picks: list[Pick] = []

    def on_mount(self) -> None:
        self.add_columns(*map(heading, ("#", "Offer", "Version", "Qty", "Type")))
        self.border_title = "Items to initiate with"

    def _redraw(self) -> None:
        row = self.cursor_row
        clear_rows(self)
        for number, pick in enumerate(self.picks, start=1):
            self.add_row(  # Text: a str cell would be read as markup
                str(number),
                cell(pick.label),
                cell(short(pick.version)),
                str(pick.quantity),
                "add-on" if pick.item_type == ItemType.ADD_ON else "offer",
            )
        if self.picks:
            self.move_cursor(row=min(row, len(self.picks) - 1), animate=False)
        self.post_message(self.Changed())

    def add(self, pick: Pick) -> None:
        self.picks.append(pick)
        self._redraw()
        self.move_cursor(row=len(self.picks) - 1, animate=False)

    def clear_picks(self) -> None:
        self.picks = []
        self._redraw()

    def set_quantity(self, index: int, quantity: int) -> None:
        self.picks[index] = replace(self.picks[index], quantity=quantity)
        self._redraw()
        self.move_cursor(row=index, animate=False)

    def action_change_quantity(self) -> None:
        if not self.picks or not 0 <= self.cursor_row < len(self.picks):
            self.notify("The list is empty: add an offer first.", timeout=3)
            return
        self.post_message(self.QuantityWanted(self.cursor_row, self.picks[self.cursor_row]))

    def action_remove(self) -> None:
        if not self.picks or not 0 <= self.cursor_row < len(self.picks):
            self.notify("The list is empty: nothing to remove.", timeout=3)
            return
        removed = self.picks.pop(self.cursor_row)
        self._redraw()
        self.notify(f"Removed {removed.label} ×{removed.quantity} from the list.", timeout=3,
                    markup=False)
