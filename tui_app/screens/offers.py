"""Offers: browse the catalogue (or type an offer id by hand), build up the
items of a new basket, fill in the order and initiate it — or, when a basket
already exists, add the offer to it now or stage the add for later."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.markup import escape
from textual.widgets import Button, DataTable, Input, Select, Static

from tui_app.formatting import NAME_MAX, offer_price, plural, quantity_limits, short, shown
from tui_app.screens.base import AppScreen
from tui_app.screens.quantity import QuantityScreen
from tui_app.services.api.models import (
    ItemType,
    OrderAction,
    OrderItem,
    trim_spaces,
)
from tui_app.widgets.context_bar import FittedLines, Part, part
from tui_app.widgets.offer_catalogue import CatalogueTable, add_ons_text, row_key
from tui_app.widgets.offer_order_form import OrderForm, build_initiate
from tui_app.widgets.offer_pick import Target, default_quantity, parse_quantity, resolve_target
from tui_app.widgets.offer_picks import Pick, PickTable
from tui_app.widgets.order_pane import AS_LISTED, OrderPane
from tui_app.widgets.plain_input import PlainInput
from tui_app.widgets.put import put, put_title

LOADING = "Loading the catalogue"
TERM_MAX = 20  # a term in the offer details ("12 months"); a longer one is cut
LINK_MAX = 300  # an assisted checkout link as shown (ctrl+l copies it whole)
NEEDS_ORDER_PANE = frozenset(
    {"initiate", "add_pick", "add_highlighted", "add_to_basket", "stage", "new_external_id",
     "copy_link"}
)


class OffersScreen(AppScreen):

    MODE = "offers"
    # What stays on a narrow key bar, most important first.
    KEY_PRIORITY = ("initiate", "add_pick", "add_to_basket", "stage")
    HELP = (
        "Build a basket from the catalogue. Type in the filter to narrow the table "
        "(name, path or id); Enter on a row, or ctrl+o, adds the highlighted offer to "
        "'Items to initiate with' with the quantity and type beside it (empty quantity = "
        "the offer's default). For an offer the catalogue does not list, type its id and "
        "version: while an id is typed, it is the one added.\n"
        "Delete removes the highlighted line of the list. Fill in the order (country is a "
        "two-letter code; Tracking → Account id asks for an assisted checkout link) and "
        "press ctrl+s to initiate: nothing is sent while a field is marked ✗.\n"
        "With a basket open, ctrl+b adds the offer to it at once and ctrl+t stages the "
        "add for the Basket screen to send; both use the offer's current version."
    )
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    BINDINGS = [
        Binding("ctrl+s", "initiate", "Initiate", id="offers.initiate"),
        Binding("ctrl+o", "add_pick", "Add to list", id="offers.add_pick"),
        Binding("ctrl+b", "add_to_basket", "Add to basket", id="offers.add_to_basket"),
        Binding("ctrl+t", "stage", "Stage", id="offers.stage"),
        Binding("ctrl+f", "focus_filter", "Filter", id="offers.filter", show=False),
        Binding("ctrl+r", "new_external_id", "New external id", id="offers.new_external_id",
                show=False),
        Binding("ctrl+l", "copy_link", "Copy link", id="offers.copy_link", show=False),
    ]
    DEFAULT_CSS = """
    OffersScreen #offers-body { height: 1fr; layout: horizontal; }
    OffersScreen.-narrow #offers-body { layout: vertical; }
    OffersScreen #catalogue-pane { width: 1fr; height: 1fr; }
    OffersScreen #order-pane {
        width: 66; height: 1fr; padding: 0 1; border-left: vkey $panel-lighten-2;
    }
    OffersScreen.-narrow #catalogue-pane { width: 1fr; height: 1fr; }
    OffersScreen.-narrow #order-pane {
        width: 1fr; height: 1fr; border-left: none; border-top: hkey $panel-lighten-2;
    }
    OffersScreen #filter { margin: 0 1; }
    OffersScreen #catalogue-status { height: 1; padding: 0 1; color: $text-muted; }
    OffersScreen .heading { text-style: bold; margin-top: 1; }
    OffersScreen .heading.first { margin-top: 0; }
    OffersScreen .row { height: auto; }
    OffersScreen .label { width: 12; padding-right: 1; }
    OffersScreen #order-pane Input { width: 1fr; }
    OffersScreen #quantity { width: 10; }
    OffersScreen #item-type { width: 1fr; margin-left: 1; }
    OffersScreen .note { display: none; height: auto; padding-left: 12; color: $text-muted; }
    OffersScreen .note.filled { display: block; }
    OffersScreen .note.problem { color: $text-error; }
    OffersScreen Input.problem { border-left: outer $error; }
    OffersScreen .buttons { height: auto; margin-top: 1; }
    OffersScreen .buttons Button { margin-right: 1; }
    OffersScreen #pick-target { height: auto; }
    OffersScreen PickTable { margin-top: 1; border: round $panel-lighten-2; }
    OffersScreen #basket-panel, OffersScreen #link-panel { height: auto; display: none; }
    OffersScreen #basket-panel.shown, OffersScreen #link-panel.shown { display: block; }
    OffersScreen #link { height: auto; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._offers_key: tuple[str, ...] | None = None
        self._endpoint: str | None = None
        self._order_ready = False  # the order pane mounts just after the first paint
        self._left = False  # another screen was shown since this one was last in view
        self._picks_stale = False  # the pick list changed while another screen was shown
        self._complaint = False  # the error panel lists the order's problems
        self._jumped: str | None = None  # Enter in the filter moved to this offer

    # ------------------------------------------------------------- layout

    def compose_body(self) -> ComposeResult:
        # The order pane joins #offers-body after the first frame (on_mount).
        with Container(id="offers-body"), Vertical(id="catalogue-pane"):
            # No "select all on focus": a key typed on the catalogue comes
            # here, and the next one must not replace it. ctrl+f selects all.
            yield PlainInput(
                placeholder="Filter by name, path or id (ctrl+f)", id="filter", compact=True,
                select_on_focus=False,
            )
            yield FittedLines([Text(LOADING + "…")], id="catalogue-status")
            yield CatalogueTable(id="catalogue")

    def on_mount(self) -> None:
        self.watch(self.app, "busy", self._busy_changed)
        # The order pane is mounted once the first frame is on the terminal: it
        # holds most of the screen's widgets, and styling them all first would
        # hold up start-up. (Textual's Lazy is not enough: its callback runs
        # while Textual still holds back the app's first frame.)
        self.bb.after_first_frame(lambda: self.call_later(self._mount_order_pane))

    async def _mount_order_pane(self) -> None:
        # Awaited, as Lazy did: the screen's own messages (a row highlighted
        # by a key) wait until the pane they update is there.
        await self.query_one("#offers-body").mount(OrderPane(id="order-pane"))

    def on_screen_suspend(self) -> None:
        # A dialog on top keeps the mode; a switch to another screen does not.
        self._left = self.app.current_mode != self.MODE

    def on_screen_resume(self) -> None:
        if self._left:
            self._left = False
            self.focus_catalogue()
        if self._picks_stale:
            self._picks_changed()

    def focus_catalogue(self) -> None:
        """Back on Offers: the keys act on the catalogue, its cursor on a row in view."""
        table = self.catalogue
        table.focus()
        if table.row_count:
            row = min(max(table.cursor_row, 0), table.row_count - 1)
            table.move_cursor(row=row, animate=False, scroll=True)

    def on_key(self, event: events.Key) -> None:
        # Typing on the catalogue types into the filter: no key press is lost.
        if (self.focused is self.catalogue and event.is_printable and event.character
                and event.key not in self.active_bindings):  # a key a keymap gave an action
            event.stop()
            event.prevent_default()
            field = self.query_one("#filter", Input)
            field.focus()
            field.insert_text_at_cursor(event.character)

    @on(OrderPane.Ready)
    def order_pane_ready(self) -> None:
        self._order_ready = True
        self.follow_context(self._context_changed)

    # ------------------------------------------------------------- widgets

    @property
    def catalogue(self) -> CatalogueTable:
        return self.query_one(CatalogueTable)

    @property
    def picks(self) -> PickTable:
        return self.query_one(PickTable)

    @property
    def form(self) -> OrderForm:
        return self.query_one(OrderForm)

    def _value(self, selector: str) -> str:
        # Spaces only: a tab or line break is refused by the checks, not trimmed unseen.
        return trim_spaces(self.query_one(selector, Input).value)

    def _note(self, selector: str, text: str, problem: bool = False) -> None:
        """``text`` is ours, its outside parts (what was typed, the tenant's
        names) already ``shown``; each line is shown once more as text."""
        note = self.query_one(selector, Static)
        # Not markup: notes quote what was typed and what the tenant sent.
        put(note, Text("\n".join(shown(line) for line in text.split("\n"))))
        note.set_class(problem, "problem")
        note.set_class(bool(text), "filled")
        if problem and text:
            self.call_after_refresh(note.scroll_visible, animate=False)

    # ------------------------------------------------------------- redraw

    def _context_changed(self, _version: int = 0) -> None:
        endpoint = self.workspace.endpoint_id
        if endpoint != self._endpoint:
            # Offer ids belong to one tenant: picks made on another server mean nothing here.
            if self._endpoint is not None and self.picks.picks:
                self.picks.clear_picks()
                self.notify("The pick list was emptied: its offers came from another profile.")
            self._endpoint = endpoint
        offers = self.workspace.offers
        key = tuple(row_key(offer) for offer in offers)
        if key != self._offers_key:
            self._offers_key = key
            self.catalogue.show(offers)
        self._describe_catalogue()
        self._describe_basket()
        self._describe_pick()
        self.refresh_bindings_if_changed()

    def _busy_changed(self, _busy: str = "") -> None:
        self._describe_catalogue()

    def _describe_catalogue(self) -> None:
        """The line over the catalogue: how many offers, what Enter does. It
        fits its width, the offer under the cursor kept longest, and never
        runs words together or stops mid-phrase."""
        table, workspace = self.catalogue, self.workspace
        line: list[Part] | Text
        if not workspace.offers:
            if self.bb.busy == LOADING or (workspace.profile is None and self.bb.sandbox_pending):
                line = Text(LOADING + "…")
            elif workspace.profile is None:
                line = Text("Not connected: choose a profile (F2) to load its catalogue.")
            else:
                line = Text("The catalogue is empty (or could not be loaded): type an offer id "
                            "and version by hand.")
        elif table.filter_text.strip() and not table.shown:
            typed = short(table.filter_text.strip(), 40)
            line = Text(f"Nothing matches “{typed}” — ctrl+f to change it.")
        else:
            filtering = bool(table.filter_text.strip())
            typed = short(table.filter_text.strip(), 40)
            items = plural(len(table.offers), "item")
            highlighted = table.highlighted
            jumped = (self._jumped and highlighted is not None
                      and row_key(highlighted) == self._jumped)
            # Just after Enter in the filter, the offer under the cursor is
            # what matters: the count gives way to it (short form first).
            rank = 1 if jumped else 0
            line = [
                part(f"{len(table.shown)} of {items} match “{typed}”",
                     f"{len(table.shown)} of {len(table.offers)} match", rank=rank, grow=2)
                if filtering else part(f"{items} in the catalogue", items, rank=rank, grow=2)
            ]
            if jumped:
                name = shown(highlighted.display_name, 40)
                line.append(part(f"cursor on {name}: Enter adds it", f"{name}: Enter adds it",
                                 "Enter adds it", rank=0))
            elif not filtering:
                line.append(part("Enter adds one", rank=2))
        self.query_one("#catalogue-status", FittedLines).show([line])

    def _describe_basket(self) -> None:
        basket = self.workspace.basket
        panel = self.query_one("#basket-panel")
        panel.set_class(basket is not None, "shown")
        link_panel = self.query_one("#link-panel")
        link = basket.assisted_link if basket else None
        link_panel.set_class(bool(link), "shown")
        if basket is None:
            return
        # The id, country and link are the tenant's: shown as text.
        facts = [shown(basket.basket_id, NAME_MAX)]
        if basket.country:
            facts.append(shown(basket.country, NAME_MAX))
        facts.append(plural(len(basket.items), "item"))
        if self.workspace.staged:
            facts.append(f"{plural(len(self.workspace.staged), 'action')} staged")
        put(self.query_one("#basket-target", Static), Text(
            " · ".join(facts)
            + "\nAdd to basket sends the pick to this basket now; Stage keeps it for the "
            "Basket screen (F4) to send. Both use the offer's current version."
        ))
        if link:
            put(self.query_one("#link", Static),
                Text(f"{shown(basket.basket_id, NAME_MAX)}\n{shown(link, LINK_MAX)}"))

    def _describe_pick(self) -> None:
        target, problem = self._target()
        if target is None:
            self._note("#pick-target", problem or "", problem is not None and self._manual())
        else:
            where = "typed by hand" if target.manual else "highlighted"
            if target.offer is None:
                text = (
                    f"→ {short(target.offer_id, 40)} version "
                    f"{short(target.version, 12)} (not in the catalogue; any quantity)"
                )
            else:
                offer = target.offer
                kind = "add-on" if offer.is_add_on else "offer"
                limits = quantity_limits(offer)
                text = f"→ {target.name} ({where}) · {kind} · quantity {limits}"
                if target.outdated:
                    text += f"\n  version {short(target.version, 12)} is not the current one"
                # Everything the table may not have room for, whole.
                term = shown(offer.data.attributes.term__limio or "—", TERM_MAX)
                countries = shown(", ".join(offer.countries), NAME_MAX * 2) or "all"
                add_ons = add_ons_text(offer, self.workspace.offers)
                text += (
                    f"\n  {offer_price(offer)} · term {term}"
                    f"\n  countries: {countries}"
                    f"\n  {shown(add_ons, NAME_MAX * 2)}"
                )
            self._note("#pick-target", text)
        self._describe_quantity(target)

    def _describe_quantity(self, target: Target | None) -> None:
        typed = self._value("#quantity")
        quantity, reason = self._check_quantity(target)
        if reason:
            self._note("#quantity-note", f"✗ {reason}", problem=True)
        elif not typed:
            self._note("#quantity-note", f"empty: the offer's default ({quantity})")
        else:
            self._note("#quantity-note", f"✓ {quantity}")
        self.query_one("#quantity", Input).set_class(reason is not None, "problem")

    # ------------------------------------------------------------- the pick

    def _manual(self) -> bool:
        return bool(self._value("#manual-id"))

    def _target(self, highlighted_only: bool = False) -> tuple[Target | None, str | None]:
        """What the pick fields apply to, or why there is nothing to pick."""
        manual = not highlighted_only and self._manual()
        return resolve_target(
            self._value("#manual-id") if manual else "",
            self._value("#manual-version") if manual else "",
            self.catalogue.highlighted,
            self.workspace.offer,
        )

    def _check_quantity(self, target: Target | None) -> tuple[int | None, str | None]:
        """The quantity to use (the offer's default when empty), or why it cannot be."""
        typed = self._value("#quantity")
        offer = target.offer if target else None
        if not typed:
            return default_quantity(offer), None
        quantity, reason = parse_quantity(typed)
        if quantity is not None and offer is not None:
            problem = offer.quantity_options.problem_with(quantity)
            if problem:
                name = shown(offer.display_name, NAME_MAX)
                return None, f"{name}: {problem} (allowed {quantity_limits(offer)})"
        return quantity, reason

    def _item_type(self, target: Target) -> ItemType:
        chosen = self.query_one("#item-type", Select).value
        if chosen == AS_LISTED:
            return target.offer.item_type if target.offer else ItemType.OFFER
        return ItemType(str(chosen))

    def _ready_target(self, highlighted_only: bool = False) -> tuple[Target, int] | None:
        """The target and quantity when both are fine; else say why, next to
        the field, and return None."""
        target, problem = self._target(highlighted_only)
        if target is None:
            self._note("#pick-target", problem or "", problem=True)
            self.notify(shown(problem or "Nothing to pick."), severity="warning", timeout=4,
                        markup=False)
            return None
        quantity, reason = self._check_quantity(target)
        self._describe_quantity(target)
        if reason is not None or quantity is None:
            self.notify(
                f"Not added — quantity: {shown(reason)}", severity="warning", timeout=4,
                markup=False,
            )
            return None
        return target, quantity

    def _add_to_list(self, highlighted_only: bool = False) -> None:
        ready = self._ready_target(highlighted_only)
        if ready is None:
            return
        target, quantity = ready
        pick = Pick(
            offer_id=target.offer_id,
            version=target.version,
            quantity=quantity,
            item_type=self._item_type(target),
            name=target.offer.display_name if target.offer else None,
            outdated=target.outdated,
        )
        self.picks.add(pick)
        self.query_one("#quantity", Input).value = ""
        # At 80x24 the list is below the fold: say where the pick went and
        # what comes next, in a notice's own rows.
        self.notify(f"Added {pick.label} × {quantity} — {len(self.picks.picks)} to initiate "
                    "with; ctrl+s initiates.", timeout=4, markup=False)

    # ------------------------------------------------------------- events

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.catalogue.show(self.workspace.offers, event.value)
        self._describe_catalogue()
        self._describe_pick()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        """Enter in the filter goes to the first match, and says so: a second
        Enter (now on the catalogue) adds it."""
        table = self.catalogue
        if not table.shown:
            self.notify("Nothing matches the filter: change it to find an offer.",
                        severity="warning", timeout=3)
            return
        table.focus()
        table.move_cursor(row=0, animate=False, scroll=True)
        self._jumped = row_key(table.shown[0])
        self._describe_catalogue()

    @on(Input.Changed, "#manual-id, #manual-version, #quantity")
    def _pick_changed(self) -> None:
        self._describe_pick()
        id_typed = self._manual()
        self._note(
            "#manual-note",
            "the typed id is the one added (clear it to use the catalogue)" if id_typed else "",
        )

    @on(Select.Changed, "#item-type")
    def _type_changed(self) -> None:
        self._describe_pick()

    @on(Input.Submitted, "#manual-id, #manual-version, #quantity")
    def _pick_submitted(self) -> None:
        self._add_to_list()

    @on(DataTable.RowHighlighted, "#catalogue")
    def _row_highlighted(self) -> None:
        self._describe_pick()
        self._describe_catalogue()

    @on(DataTable.RowSelected, "#catalogue")
    def _row_selected(self) -> None:
        self._add_to_list(highlighted_only=True)

    @on(PickTable.Changed)
    def _picks_changed(self) -> None:
        # Left for another screen (an initiate empties the list as it moves
        # to the Basket screen): drawn when shown again, not while the
        # screen shown is drawn.
        self._picks_stale = self._left
        if self._picks_stale:
            return
        count = len(self.picks.picks)
        put_title(self.picks, f"Items to initiate with ({count})")
        self._note("#items-note", "" if count else "Empty: add offers with Enter or ctrl+o.")
        self._recheck_order()

    @on(PickTable.QuantityWanted)
    def _change_pick_quantity(self, event: PickTable.QuantityWanted) -> None:
        index, pick = event.index, event.pick
        offer = next((o for o in self.workspace.offers
                      if o.id == pick.offer_id and o.version == pick.version), None)

        def chosen(quantity: int | None) -> None:
            if quantity is not None:
                self.picks.set_quantity(index, quantity)
                self.notify(f"{pick.label}: quantity {quantity}.", timeout=3, markup=False)
            self.picks.focus()

        self.app.push_screen(QuantityScreen(pick.label, pick.quantity, offer), chosen)

    @on(Input.Changed, "#order-form Input")
    def _order_changed(self) -> None:
        self._recheck_order()

    @on(Select.Changed, "#order-type")
    def _order_type_changed(self) -> None:
        self._recheck_order()

    def _recheck_order(self) -> None:
        """A "not sent" complaint names what is wrong now: it shrinks as fields
        are fixed, and goes once nothing is."""
        if not self._complaint or not self._order_ready:
            return
        checked = build_initiate(self._order_items(), self.form.values())
        if checked.body is None:
            self.error_panel.show_message(
                "Not sent — fix the fields marked ✗:\n" + "\n".join(checked.lines())
            )
        else:
            self._complaint = False
            self.error_panel.clear()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {
            "add-pick": self.action_add_pick,
            "initiate": self.action_initiate,
            "add-to-basket": self.action_add_to_basket,
            "stage": self.action_stage,
            "copy-link": self.action_copy_link,
        }
        action = actions.get(event.button.id or "")
        if action is not None:
            event.stop()
            action()

    # ------------------------------------------------------------- actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in NEEDS_ORDER_PANE and not self._order_ready:
            return False  # for the moment after start-up until the pane is mounted
        if action in ("add_to_basket", "stage"):
            return self.workspace.basket is not None
        if action == "copy_link":
            return bool(self._link())
        return True

    def _link(self) -> str | None:
        basket = self.workspace.basket
        return basket.assisted_link if basket else None

    def action_add_pick(self) -> None:
        self._add_to_list()

    def action_add_highlighted(self) -> None:
        self._add_to_list(highlighted_only=True)

    def action_focus_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.focus()
        field.select_all()

    def action_new_external_id(self) -> None:
        value = self.form.new_external_id()
        self.notify(f"New external id: {value}", timeout=3)

    def action_copy_link(self) -> None:
        link = self._link()
        if link:
            self.copy(link, "the assisted checkout link")
        else:
            self.notify("This basket has no assisted checkout link.", timeout=3)

    def _order_items(self) -> list[OrderItem | dict[str, Any]]:
        return [pick.order_item for pick in self.picks.picks]

    def action_initiate(self) -> None:
        checked = build_initiate(self._order_items(), self.form.values())
        self.form.show_problems(checked.problems)
        item_problems = checked.problems.get("items", [])
        if item_problems:
            self._note("#items-note", "\n".join(f"✗ {p}" for p in item_problems), problem=True)
        else:
            self._picks_changed()
        body = checked.body
        if body is None:
            self._complaint = True
            self.error_panel.show_message(
                "Not sent — fix the fields marked ✗:\n" + "\n".join(checked.lines())
            )
            return
        self._complaint = False
        self.call_api("Initiating", lambda: self.workspace.initiate(body), self._initiated)

    def _initiated(self, _result: object) -> None:
        basket = self.workspace.basket
        self.picks.clear_picks()
        # Initiate is "create or update" by external id: a fresh one makes the
        # next initiate a new basket instead of overwriting this one.
        self.form.new_external_id()
        if basket is not None:
            self.notify(
                f"Initiated {shown(basket.basket_id, NAME_MAX)} with "
                f"{plural(len(basket.items), 'item')}.",
                timeout=5,
                markup=False,
            )
            if basket.assisted_link:
                self.notify(
                    f"Assisted checkout link: {shown(basket.assisted_link, LINK_MAX)} "
                    "(ctrl+l on Offers copies it)",
                    title="Assisted checkout",
                    timeout=20,
                    markup=False,
                )
        self.go_after_reply("basket", "Basket initiated", "app.basket")

    def _basket_add(self, send: bool) -> None:
        basket = self.workspace.basket
        if basket is None:
            self.notify("There is no basket yet: initiate one first.", severity="warning")
            return
        ready = self._ready_target()
        if ready is None:
            return
        target, quantity = ready
        # Empty quantity: let the server apply the offer's default.
        action = OrderAction.add(target.offer_id, quantity if self._value("#quantity") else None)
        # The offer it acts on, by name: the one highlighted (or typed), not a guess.
        what = f"{target.name} ×{quantity}"  # the name already shown
        where = shown(basket.basket_id, NAME_MAX)
        if not send:
            self.workspace.stage(action)
            self.bb.context_changed()
            self.notify(
                f"Staged: add {what} to {where}. Send it from the Basket screen (F4).",
                timeout=5,
                markup=False,
            )
            return

        def done(_result: object) -> None:
            self.notify(f"Added {what} to {where}.", timeout=5, markup=False)

        self.call_api("Adding", lambda: self.workspace.update([action]), done)

    def action_add_to_basket(self) -> None:
        self._basket_add(send=True)

    def action_stage(self) -> None:
        self._basket_add(send=False)

    # ------------------------------------------------------------- palette

    def palette_commands(self) -> Iterable[SystemCommand]:
        # The palette reads a command's help as markup: the tenant's names,
        # ids and links (and what was typed) are escaped for it.
        yield SystemCommand(
            "Initiate basket", "Send the items to initiate with and the order", self.action_initiate
        )
        highlighted = self.catalogue.highlighted
        yield SystemCommand(
            "Add highlighted offer to the pick list",
            escape(shown(highlighted.display_name, NAME_MAX)) if highlighted
            else "No offer is highlighted",
            self.action_add_highlighted,
        )
        if self._manual():
            yield SystemCommand(
                "Add the typed offer id to the pick list",
                escape(short(self._value("#manual-id"), 40)),
                self.action_add_pick,
            )
        if self.picks.picks:
            yield SystemCommand(
                "Change the quantity of the highlighted pick",
                "A line of 'Items to initiate with' (Enter or c on the list)",
                self.picks.action_change_quantity,
            )
        basket = self.workspace.basket
        if basket is not None:
            where = escape(shown(basket.basket_id, NAME_MAX))
            yield SystemCommand(
                "Add to basket", f"Add the pick to {where} now",
                self.action_add_to_basket,
            )
            yield SystemCommand(
                "Stage add to basket",
                f"Stage adding the pick to {where}; the Basket screen sends it",
                self.action_stage,
            )
        yield SystemCommand(
            "New external id", "Replace the order's external id with a fresh one",
            self.action_new_external_id,
        )
        if self._link():
            yield SystemCommand(
                "Copy assisted checkout link", escape(shown(self._link(), LINK_MAX)),
                self.action_copy_link,
            )
        yield SystemCommand(
            "Focus the offer filter", "Type to narrow the catalogue", self.action_focus_filter
        )
