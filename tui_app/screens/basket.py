"""Basket screen: the current basket's items, and every way to change them.

Changes are sent at once (after a confirmation for a removal) or, in stage
mode, collected and sent together as one update. The table always shows the
basket as the server last confirmed it: a failed call changes nothing here.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from rich.text import Text
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.markup import escape
from textual.reactive import reactive
from textual.widgets import DataTable, Static

from tui_app.formatting import (
    CURRENCY_MAX,
    NAME_MAX,
    item_line_total,
    item_unit_price,
    money,
    plural,
    short,
    shown,
)
from tui_app.screens.base import AppScreen, confirmed_words, read_back_basket
from tui_app.screens.country import CountryScreen
from tui_app.screens.modals import ConfirmScreen
from tui_app.screens.quantity import QuantityScreen
from tui_app.screens.verdict_words import code_words, invalid_words, other_problems
from tui_app.services.api.client import Result
from tui_app.services.api.models import BasketItem, OrderAction, UpdateResponse
from tui_app.services.workspace import Basket
from tui_app.widgets.basket_table import BasketTable, Row
from tui_app.widgets.context_bar import FittedLines, Part, part
from tui_app.widgets.put import put, put_title

EMPTY_TEXT = "No basket yet — press F3 to pick offers and initiate one"
# A resumed basket, until the server has confirmed it (see Workspace.resume).
CACHED_READING = "Cached copy from the last session — reading the basket back from the server…"
CACHED_UNCONFIRMED = (
    "Cached copy from the last session, not confirmed by the server — press r to read it back"
)
# What cannot be done to a cached copy: it may be behind the server's basket.
CHANGES = {"remove_item", "change_quantity", "toggle_stage", "send_staged", "change_country"}


def quantity_text(quantity: float | None) -> str:
    if quantity is None:
        return "—"
    return str(int(quantity)) if float(quantity).is_integer() else str(quantity)


def describe_action(action: OrderAction, names: dict[str, str]) -> str:
    """One staged or sent action in words: ``remove 1a2b3c4d… (Digital Monthly)``.
    ``names`` are the tenant's text: they are shown, cut to a sentence's length."""
    kind = str(action.orderItemActionType)
    if kind == "add":
        name = names.get(action.offerId or "")
        return f"add {shown(name, NAME_MAX) if name else short(action.offerId)}" + (
            f" × {action.quantity}" if action.quantity else ""
        )
    target = short(action.orderItemId)
    name = shown(names.get(action.orderItemId or ""), NAME_MAX)
    text = f"{kind} {target}"
    if kind == "change_quantity":
        text += f" → {action.quantity}"
    return f"{text} ({name})" if name else text


def staged_status(actions: list[OrderAction]) -> str:
    parts = []
    for action in actions:
        if str(action.orderItemActionType) == "remove":
            parts.append("remove")
        else:
            parts.append(f"qty→{action.quantity}")
    return "staged: " + ", ".join(parts)


def _status(item_id: str | None, blocked: set[str], problems: dict[str, list[str]],
            staged: dict[str, list[OrderAction]]) -> str:
    """What the server and the staged actions say of an item, in words."""
    status = []
    if item_id in blocked:
        status.append("✗ blocked")
    elif item_id in problems:
        status.append("! " + ", ".join(dict.fromkeys(problems[item_id])))
    if item_id in staged:
        status.append(staged_status(staged[item_id]))
    return " · ".join(status)


class BasketScreen(AppScreen):

    MODE = "basket"
    # What stays on a narrow key bar, most important first.
    KEY_PRIORITY = (
        "add_item", "validate", "remove_item", "change_quantity", "toggle_stage",
        "send_staged", "refresh_basket", "change_country", "copy_id",
    )
    HELP = """
The current basket, as the server last confirmed it: each item with its
offer, quantity, prices and status, and the basket's total.
Highlight an item and press x to remove it (after a confirmation) or c / Enter
to change its quantity within the offer's limits. Press s for stage mode:
removals and quantity changes are then collected in "Staged actions" and sent
together as one update with u (z drops the last one, Z clears them all).
Each update's per-action results are listed under "Last update".
Press v to validate, a to add offers, k to move the basket to another country
(initiate again with the same external id), i to copy the basket id.
r reads the basket back from the server (after a change made elsewhere: curl,
another window); the summary says when the server last confirmed it.
"""
    DEFAULT_CSS = """
    BasketScreen #basket-summary { height: auto; padding: 0 1; }
    BasketScreen #basket-empty {
        height: 1fr; content-align: center middle; text-align: center; color: $text-muted;
    }
    BasketScreen BasketTable { height: 1fr; min-height: 4; }
    BasketScreen #basket-panels { height: auto; }
    BasketScreen .basket-panel {
        display: none; width: 1fr; height: auto; max-height: 8; overflow-y: auto;
        border: round $primary; padding: 0 1;
    }
    BasketScreen .basket-panel.shown { display: block; }
    BasketScreen #basket-staged.staging { border: round $warning; }
    """
    BINDINGS = [
        Binding("a", "add_item", "Add", id="basket.add"),
        Binding("x,delete", "remove_item", "Remove", id="basket.remove"),
        Binding("c", "change_quantity", "Quantity", id="basket.quantity"),
        Binding("s", "toggle_stage", "Stage mode", id="basket.stage_mode"),
        Binding("u", "send_staged", "Send staged", id="basket.send_staged"),
        Binding("z", "drop_staged", "Unstage", id="basket.drop_staged"),
        Binding("Z", "clear_staged", "Clear staged", id="basket.clear_staged", show=False),
        Binding("k", "change_country", "Country", id="basket.country"),
        Binding("v", "validate", "Validate", id="basket.validate"),
        Binding("r", "refresh_basket", "Refresh", id="basket.refresh"),
        Binding("i", "copy_id", "Copy id", id="basket.copy_id"),
    ]

    staging: reactive[bool] = reactive(False)
    """In stage mode removals and quantity changes are collected, not sent."""

    def __init__(self) -> None:
        super().__init__()
        self.results: tuple[str, list[str]] | None = None  # (basket id, lines)
        self.items_by_key: dict[str, BasketItem] = {}
        # An item's cells (but its status) by what they are made from: see _item_cells.
        self._cells: dict[tuple[object, ...], tuple[str, ...]] = {}
        self._cells_offers: object = None

    def compose_body(self) -> ComposeResult:
        yield FittedLines(id="basket-summary")
        yield Static(EMPTY_TEXT, id="basket-empty")
        yield BasketTable(id="basket-items")
        with Horizontal(id="basket-panels"):
            yield Static(id="basket-staged", classes="basket-panel")
            yield Static(id="basket-results", classes="basket-panel")

    def on_mount(self) -> None:
        self.follow_context(self.redraw)
        self.tick_confirmed(self.redraw_summary)
        self.query_one(BasketTable).focus()

    def redraw_summary(self) -> None:
        summary = self.query_one("#basket-summary", FittedLines)
        summary.display = self.workspace.basket is not None
        summary.show(self.summary(self.workspace.basket))

    @property
    def table(self) -> BasketTable:
        return self.query_one(BasketTable)

    # ------------------------------------------------------------- drawing

    def watch_staging(self, _staging: bool) -> None:
        if self.is_mounted:
            self.redraw()

    def redraw(self, _version: object = None) -> None:
        basket = self.workspace.basket
        self.redraw_summary()
        empty = self.query_one("#basket-empty", Static)
        put(empty, self.empty_text())
        empty.display = basket is None
        table = self.table
        table.display = basket is not None
        table.sync(self.rows(basket) if basket is not None else [])
        self.draw_staged(basket)
        self.draw_results(basket)
        self.refresh_bindings_if_changed()

    def empty_text(self) -> str:
        text = EMPTY_TEXT
        if self.workspace.profile is not None and self.workspace.recent():
            text += "\nor ctrl+p → Recent baskets… to reopen one"
        return text

    def summary(self, basket: Basket | None) -> list[list[Part]]:
        """Two lines, fitted to the width when drawn (see ``context_bar.fit``):
        what the basket is, then what the server last said of it and when."""
        if basket is None:
            return []
        order = basket.order
        profile = self.workspace.profile.name if self.workspace.profile else "—"
        currency = order.total_currency
        # The id, country and currency are the tenant's: shown as text, one line.
        label = Text("Basket ", style="dim")
        total = Text("Total ")
        amount = money(order.total_amount, currency)
        total.append(amount, style="bold")
        if currency and not amount.endswith(shown(currency, CURRENCY_MAX)):
            total.append(f" {shown(currency, CURRENCY_MAX)}")
        first = [
            part(label + Text(shown(basket.basket_id, NAME_MAX), style="bold"),
                 label + Text(short(basket.basket_id, 15), style="bold"), rank=0, grow=3),
            part(shown(basket.country or order.country or "?", NAME_MAX), rank=4),
            part(f"profile {shown(profile, NAME_MAX)}", f"profile {shown(profile, 16)}",
                 rank=5),
            part(plural(len(order.orderItems), "item"), rank=2),
            part(total, rank=1),
        ]
        second: list[Part] = []
        verdict = basket.validation
        if basket.cached:
            second.append(part(Text(CACHED_READING if self.bb.busy else CACHED_UNCONFIRMED,
                                    style="bold"), rank=0))
        elif verdict is None:
            second.append(part(
                Text("Not validated since the last change — press v to validate", style="dim"),
                Text("Not validated since the last change", style="dim"), rank=0, grow=3))
        elif verdict.is_valid:
            second.append(part(Text("✓ valid at the last validation", style="bold green"),
                               Text("✓ valid", style="bold green"), rank=0, grow=3))
        else:
            blocked = self.workspace.blocked_products()
            words, brief = invalid_words(len(blocked), other_problems(verdict, blocked))
            second.append(part(
                Text(f"✗ not valid — {words} (F5 shows why)", style="bold red"),
                Text(f"✗ not valid — {words}", style="bold red"),
                Text(f"✗ not valid — {brief}", style="bold red"), rank=0, grow=3))
        if basket.confirmed_at is not None and not basket.cached:
            second.append(part(confirmed_words(basket.confirmed_at), rank=2))
        if self.staging:
            second.append(part(
                Text("STAGE MODE: changes are collected, u sends them", style="bold"),
                Text("STAGE MODE: u sends", style="bold"), rank=1))
        return [first, second]

    def rows(self, basket: Basket) -> list[Row]:
        workspace = self.workspace
        blocked = {item_id for bp in workspace.blocked_products() for item_id in bp.item_ids}
        problems: dict[str, list[str]] = {}
        if basket.validation is not None:
            for problem in basket.validation.invalid.validationErrors:
                if problem.orderItemId:
                    problems.setdefault(problem.orderItemId, []).append(code_words(problem.code))
        staged: dict[str, list[OrderAction]] = {}
        for action in workspace.staged:
            if action.orderItemId:
                staged.setdefault(action.orderItemId, []).append(action)
        rows: list[Row] = []
        self.items_by_key = items_by_key = {}
        if self._cells_offers is not workspace.offers:  # names may come from the catalogue
            self._cells, self._cells_offers = {}, workspace.offers
        # The last redraw's cells, and this redraw's lines alike but for their
        # id: only this redraw looks in them (kept, they would hold the order
        # before this one until the next).
        before, self._cells = self._cells, {}
        alike: dict[tuple[object, ...], tuple[str, ...]] = {}
        marked = bool(blocked or problems or staged)
        for index, item in enumerate(basket.items):
            key = item.id or f"#{index}"
            while key in items_by_key:  # a server that repeats ids still shows each line
                key += "'"
            items_by_key[key] = item
            status = _status(item.id, blocked, problems, staged) if marked else ""
            rows.append(Row(key, self._item_cells(item, status, before, alike)))
        return rows

    def _item_cells(self, item: BasketItem, status: str,
                    before: dict[tuple[object, ...], tuple[str, ...]],
                    alike: dict[tuple[object, ...], tuple[str, ...]]) -> tuple[str, ...]:
        """An item's cells, as text. Kept from the last redraw by every value
        they are made from, so a reply that changes one line of 500 formats
        one line (profile: ~16 ms a redraw of 500 items, most of it prices);
        and all but the id and status by the values they are made from, so
        the lines of a new basket that repeat an offer, quantity and price
        are formatted once."""
        offer, price, total, quantity = item.offer, item.price, item.lineTotal, item.quantity
        facts = (
            type(quantity), quantity, item.type,  # with its type: 1, 1.0 and True differ
            (offer.id, offer.name, offer.version) if offer else None,
            (type(price.amount), price.amount, price.currency) if price else None,
            (type(total.amount), total.amount, total.currency) if total else None,
        )
        key = (item.id, status, facts)
        cells = before.get(key)
        if cells is None:
            rest = alike.get(facts)
            if rest is None:
                rest = alike[facts] = (
                    (offer.name if offer and offer.name else None)
                    or self.workspace.offer_name(offer.id if offer else None),
                    quantity_text(quantity),
                    item_unit_price(item),
                    item_line_total(item),
                    item.type or "—",
                    short(offer.version if offer else None),
                )
            cells = (short(item.id), *rest[:4], status, *rest[4:])
        self._cells[key] = cells
        return cells

    def names(self) -> dict[str, str]:
        """Item id (and offer id) -> offer name, to say what an action touched."""
        names = {offer.id: offer.display_name for offer in self.workspace.offers}
        basket = self.workspace.basket
        for item in basket.items if basket else []:
            if item.id:
                names[item.id] = (item.offer and item.offer.name) or self.workspace.offer_name(
                    item.offer.id if item.offer else None
                )
        return names

    def draw_staged(self, basket: Basket | None) -> None:
        panel = self.query_one("#basket-staged", Static)
        staged = self.workspace.staged if basket is not None else []
        panel.set_class(bool(staged) or (self.staging and basket is not None), "shown")
        panel.set_class(self.staging, "staging")
        mode = "stage mode ON" if self.staging else "stage mode off"
        put_title(panel, f"Staged actions ({len(staged)}) — {mode}")
        if not staged:
            put(panel, "Nothing staged yet: x and c on an item stage a change.")
            return
        names = self.names()
        lines = [f"{n}. {describe_action(a, names)}" for n, a in enumerate(staged, 1)]
        lines.append("u sends them as one update · z drops the last · Z clears all")
        put(panel, Text("\n".join(lines)))

    def draw_results(self, basket: Basket | None) -> None:
        panel = self.query_one("#basket-results", Static)
        results = self.results
        shown = results is not None and basket is not None and results[0] == basket.basket_id
        panel.set_class(shown, "shown")
        put_title(panel, "Last update")
        if shown and results is not None:
            put(panel, Text("\n".join(results[1])))

    # ------------------------------------------------------------- helpers

    def highlighted(self) -> BasketItem | None:
        key = self.table.highlighted_key() if self.table.display else None
        item = self.items_by_key.get(key) if key is not None else None
        if item is None:
            self.notify("Highlight an item first.", timeout=3)
            return None
        if not item.id:
            self.notify("The server gave this item no id, so it cannot be changed.",
                        severity="warning")
            return None
        return item

    def item_name(self, item: BasketItem) -> str:
        return self.names().get(item.id or "", "item")

    def stage(self, action: OrderAction) -> None:
        self.workspace.stage(action)
        self.bb.context_changed()

    def send(self, label: str, actions: list[OrderAction], staged: bool = False) -> None:
        names = self.names()
        call = self.workspace.send_staged if staged else (
            lambda: self.workspace.update(actions)
        )
        self.call_api(
            label,
            call,
            on_done=lambda result: self.show_results(result, actions, names),
            on_error=lambda _exc: self.clear_results(),
        )

    def show_results(
        self, result: Result[UpdateResponse], actions: list[OrderAction], names: dict[str, str]
    ) -> None:
        lines = []
        for index, outcome in enumerate(result.data.orderActionResults):
            sent = actions[index] if index < len(actions) else None
            kind = outcome.actionType or (str(sent.orderItemActionType) if sent else "action")
            item_id = outcome.id or (sent.orderItemId if sent else None)
            line = f"✓ {shown(kind, NAME_MAX)} {short(item_id)}"
            if kind == "change_quantity":
                quantity = sent.quantity if sent is not None else None
                if quantity is None and result.data.order and item_id:
                    now = next((i for i in result.data.order.orderItems if i.id == item_id), None)
                    quantity = now.quantity if now else None
                line += f" → {quantity_text(quantity)}"
            name = names.get(item_id or "") or (
                names.get(sent.offerId or "") if sent is not None and sent.offerId else None
            )
            if kind == "add" and name is None:
                added = next((i for i in result.data.order.orderItems if i.id == item_id), None)
                name = added and added.offer and added.offer.name
            lines.append(f"{line} ({shown(name, NAME_MAX)})" if name else line)
        if not lines:
            lines.append("The server reported no action results.")
        self.results = (result.data.id, lines)  # every line already shown as text

    def clear_results(self) -> None:
        self.results = None

    # ------------------------------------------------------------- actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        basket = self.workspace.basket
        if basket is not None and basket.cached and action in CHANGES:
            return None  # not until the server has confirmed what the basket holds
        if action in {
            "remove_item", "change_quantity", "toggle_stage", "validate", "copy_id",
            "change_country", "refresh_basket",
        }:
            if basket is None:
                return False
            if action in {"remove_item", "change_quantity"} and not basket.items:
                return None
        if action in {"send_staged", "drop_staged", "clear_staged"}:
            if basket is None:
                return False
            return True if self.workspace.staged else None
        return True

    def action_add_item(self) -> None:
        self.bb.switch_mode("offers")

    def action_remove_item(self) -> None:
        item = self.highlighted()
        if item is None or item.id is None:
            return
        item_id = item.id
        if self.staging:
            self.stage(OrderAction.remove(item_id))
            return
        name = self.item_name(item)

        def chosen(confirmed: bool | None) -> None:
            if confirmed:
                self.send("Removing", [OrderAction.remove(item_id)])

        self.app.push_screen(
            ConfirmScreen(
                "Remove this item?",
                f"{shown(name, NAME_MAX)} × {quantity_text(item.quantity)} "
                f"(item {short(item_id)}) will be removed from the basket on the server.",
                "Remove",
            ),
            chosen,
        )

    def action_change_quantity(self) -> None:
        item = self.highlighted()
        if item is None or item.id is None:
            return
        item_id, before = item.id, item.quantity
        offer = self.workspace.offer(item.offer.id if item.offer else None)

        def chosen(quantity: int | None) -> None:
            if quantity is None:
                return
            if before is not None and Decimal(str(before)) == quantity:
                self.notify(f"The quantity is already {quantity}: nothing sent.", timeout=3)
                return
            action = OrderAction.change_quantity(item_id, quantity)
            if self.staging:
                self.stage(action)
            else:
                self.send("Changing the quantity", [action])

        current = int(before) if before is not None else None
        self.app.push_screen(
            QuantityScreen(shown(self.item_name(item), NAME_MAX), current, offer), chosen
        )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        # Enter on a row edits its quantity, the most common change.
        event.stop()
        if self.workspace.basket is not None:
            self.action_change_quantity()

    def action_toggle_stage(self) -> None:
        self.staging = not self.staging
        self.notify(
            "Stage mode on: x and c collect changes; u sends them as one update."
            if self.staging
            else "Stage mode off: x and c send at once.",
            timeout=4,
        )

    def action_send_staged(self) -> None:
        count = len(self.workspace.staged)
        if not count:
            self.notify("Nothing is staged.", timeout=3)
            return
        self.send(f"Sending {plural(count, 'action')}", list(self.workspace.staged), staged=True)

    def action_drop_staged(self) -> None:
        if self.workspace.staged:
            self.workspace.unstage(len(self.workspace.staged) - 1)
            self.bb.context_changed()

    def action_clear_staged(self) -> None:
        while self.workspace.staged:
            self.workspace.unstage(len(self.workspace.staged) - 1)
        self.bb.context_changed()

    def action_change_country(self) -> None:
        basket = self.workspace.basket
        if basket is None:
            return

        def chosen(code: str | None) -> None:
            if code is None:
                return
            self.call_api(
                f"Moving the basket to {code}",
                lambda: self.workspace.change_country(code),
                on_done=lambda _result: self.notify(
                    f"The basket is now in {code} — press v to validate it there."
                ),
            )

        self.app.push_screen(CountryScreen(basket.country), chosen)

    def action_validate(self) -> None:
        if self.workspace.basket is None:
            return
        pending = len(self.workspace.staged)
        if pending:
            self.notify(
                f"{plural(pending, 'staged action')} not sent yet: validating the basket "
                "as the server has it.",
                severity="warning",
            )
        self.call_api(
            "Validating", self.workspace.validate,
            on_done=lambda _result: self.go_after_reply("validation", "Validated",
                                                        "app.validation"),
        )

    def action_refresh_basket(self) -> None:
        if self.workspace.basket is not None:
            read_back_basket(self)

    def action_copy_id(self) -> None:
        basket = self.workspace.basket
        if basket is not None:
            self.copy(basket.basket_id, "the basket id")

    # ------------------------------------------------------------- palette

    def palette_commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand("Basket: add an item", "Pick offers to add", self.action_add_item)
        basket = self.workspace.basket
        if basket is None:
            return
        yield SystemCommand(
            "Basket: move to another country",
            "Initiate again with the same external id and a new country",
            self.action_change_country,
        )
        if basket.items:
            yield SystemCommand(
                "Basket: remove the highlighted item", "Asks first (or stages it in stage mode)",
                self.action_remove_item,
            )
            yield SystemCommand(
                "Basket: change the highlighted item's quantity",
                "Within the offer's limits", self.action_change_quantity,
            )
        yield SystemCommand(
            "Basket: stage mode " + ("off" if self.staging else "on"),
            "Collect removals and quantity changes to send as one update",
            self.action_toggle_stage,
        )
        if self.workspace.staged:
            count = plural(len(self.workspace.staged), "staged action")
            yield SystemCommand("Basket: send staged actions", f"Send {count} as one update",
                                self.action_send_staged)
            yield SystemCommand("Basket: drop the last staged action", count,
                                self.action_drop_staged)
            yield SystemCommand("Basket: clear staged actions", count, self.action_clear_staged)
        yield SystemCommand("Basket: validate", "Check the basket on the server",
                            self.action_validate)
        yield SystemCommand("Basket: refresh", "Read the basket back from the server",
                            self.action_refresh_basket)
        # The palette reads help as markup: the tenant's id is escaped for it.
        yield SystemCommand("Basket: copy basket id", escape(shown(basket.basket_id)),
                            self.action_copy_id)
