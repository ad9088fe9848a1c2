"""Validation screen: is the basket ready to submit, and if not, why not.

A verdict in words, the blocked products by offer name with the server's
reasons, the other problems, and the full checkout object as a tree.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.markup import escape
from textual.widgets import Static

from tui_app.formatting import NAME_MAX, plural, short, shown
from tui_app.screens.base import AppScreen, confirmed_words, read_back_basket
from tui_app.screens.verdict_words import code_words, invalid_words, other_problems
from tui_app.services.api.models import ValidateResponse, ValidationProblem
from tui_app.services.workspace import Basket, BlockedProduct
from tui_app.widgets.basket_tree import JsonTree
from tui_app.widgets.put import put, put_title

NO_BASKET = "No basket yet — press F3 to pick offers and initiate one"
NOT_VALIDATED = "Not validated yet — press v"
REASON_MAX = 400  # one reason the server gave (the inspector has the reply in full)


def verdict_text(basket: Basket | None, blocked: int, others: list[ValidationProblem]
                 ) -> tuple[str, str]:
    """The banner's words and its class (valid / invalid / unknown)."""
    if basket is None:
        return NO_BASKET, "unknown"
    verdict = basket.validation
    if verdict is None:
        return NOT_VALIDATED, "unknown"
    if verdict.is_valid:
        return "✓ VALID — ready to submit", "valid"
    return "✗ NOT VALID — " + invalid_words(blocked, others)[0], "invalid"


class ValidationScreen(AppScreen):

    MODE = "validation"
    # What stays on a narrow key bar, most important first.
    KEY_PRIORITY = ("revalidate", "back", "refresh_basket", "copy_id")
    HELP = """
The result of the last validation of the current basket: a verdict, the
blocked products (by offer name, with the server's reasons; their rows are
marked "✗ blocked" on the Basket screen), the other problems found, and the
full checkout object the server returned, as a tree (Enter or Space opens a
branch). Press b to go back to the basket to fix it, v to validate again,
r to read the basket back from the server (after a change made elsewhere;
it says whether anything changed), i to copy the basket id. The banner's
lower edge says when the server last confirmed the basket.
"""
    DEFAULT_CSS = """
    ValidationScreen #verdict {
        height: auto; padding: 0 1; margin: 0 1; text-style: bold;
        border: round $panel-lighten-2;
    }
    ValidationScreen #verdict.valid { border: round $success; color: $text-success; }
    ValidationScreen #verdict.invalid { border: round $error; color: $text-error; }
    ValidationScreen #validation-panes { height: 1fr; }
    ValidationScreen #problems-pane {
        width: 1fr; height: 1fr; border: round $primary; padding: 0 1;
    }
    ValidationScreen JsonTree { width: 1fr; height: 1fr; border: round $primary; }
    """
    BINDINGS = [
        Binding("b", "back", "Back to basket", id="validation.back"),
        Binding("v", "revalidate", "Validate again", id="validation.revalidate"),
        Binding("r", "refresh_basket", "Refresh", id="validation.refresh"),
        Binding("i", "copy_id", "Copy id", id="validation.copy_id"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._tree_source: object = None  # the validation the tree shows

    def compose_body(self) -> ComposeResult:
        yield Static(id="verdict")
        with Horizontal(id="validation-panes"):
            with VerticalScroll(id="problems-pane"):
                yield Static(id="problems")
            yield JsonTree(id="checkout-tree")

    def on_mount(self) -> None:
        self.query_one("#problems-pane").border_title = "Problems"
        self.query_one(JsonTree).border_title = "Checkout, as returned"  # whole at 80 columns
        self.follow_context(self.redraw)
        self.tick_confirmed(self.draw_confirmed)
        self.query_one(JsonTree).focus()

    # ------------------------------------------------------------- drawing

    def redraw(self, _version: object = None) -> None:
        basket = self.workspace.basket
        verdict = basket.validation if basket is not None else None
        blocked = self.workspace.blocked_products() if basket is not None else []
        others = other_problems(verdict, blocked) if verdict is not None else []
        words, kind = verdict_text(basket, len(blocked), others)
        banner = self.query_one("#verdict", Static)
        put(banner, Text(words))
        for name in ("valid", "invalid", "unknown"):
            banner.set_class(name == kind, name)
        self.draw_confirmed()
        put(self.query_one("#problems", Static), self.problems_text(basket, blocked, others))
        self.draw_tree(verdict)
        self.refresh_bindings_if_changed()

    def draw_confirmed(self) -> None:
        """The banner's lower edge: when the server last confirmed the basket."""
        basket = self.workspace.basket
        at = basket.confirmed_at if basket is not None and basket.validation else None
        put_title(self.query_one("#verdict", Static), confirmed_words(at), subtitle=True)

    def problems_text(
        self, basket: Basket | None, blocked: list[BlockedProduct],
        others: list[ValidationProblem],
    ) -> Text:
        """Names, ids, codes and reasons here are the tenant's: shown as text."""
        text = Text()
        if basket is None or basket.validation is None:
            text.append("Validate the basket to see what the server thinks of it.", style="dim")
            return text
        if basket.validation.is_valid:
            text.append("✓ No blocked products and no other problems.")
            return text
        text.append(f"Blocked products ({len(blocked)})\n", style="bold")
        if not blocked:
            text.append("  none\n", style="dim")
        for product in blocked:
            text.append("✗ ", style="bold red")
            text.append(shown(product.name, NAME_MAX), style="bold")
            if product.item_ids:
                items = ", ".join(short(i) for i in product.item_ids)
                text.append(f"  ({plural(len(product.item_ids), 'item')}: {items})", style="dim")
            text.append("\n")
            for reason in product.reasons or ["the server gave no reason"]:
                text.append(f"    · {shown(reason, REASON_MAX)}\n")
        text.append(f"\nOther problems ({len(others)})\n", style="bold")
        if not others:
            text.append("  none\n", style="dim")
        for problem in others:
            text.append("! ", style="bold yellow")
            text.append(shown(self.problem_subject(basket, problem), NAME_MAX), style="bold")
            text.append(f" — {code_words(problem.code)}\n")
            if problem.message:
                text.append(f"    · {shown(problem.message, REASON_MAX)}\n")
        return text

    def problem_subject(self, basket: Basket, problem: ValidationProblem) -> str:
        """Which offer a problem is about, by name; "the basket" for none."""
        item = basket.item(problem.orderItemId) if problem.orderItemId else None
        if item is not None and item.offer and item.offer.name:
            return item.offer.name
        if item is not None and item.offer and item.offer.id:
            return self.workspace.offer_name(item.offer.id)
        if problem.offerId:
            return self.workspace.offer_name(problem.offerId)
        return "the basket"

    def draw_tree(self, verdict: ValidateResponse | None) -> None:
        if verdict is self._tree_source and self._tree_source is not None:
            return  # unchanged: keep what the user opened
        self._tree_source = verdict
        tree = self.query_one(JsonTree)
        if verdict is None:
            tree.show("checkout — validate to see it", None)
            return
        # The model, not its dump: the tree dumps one level at a time, as
        # branches are opened (a whole dump cost 15-26 ms a reply at 500 items).
        tree.show(f"checkout {verdict.id}", verdict.checkout)

    # ------------------------------------------------------------- actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Without a basket there is nothing to validate or copy.
        return not (action in {"revalidate", "copy_id", "refresh_basket"}
                    and self.workspace.basket is None)

    def action_back(self) -> None:
        self.bb.switch_mode("basket")

    def action_revalidate(self) -> None:
        if self.workspace.basket is not None:
            self.call_api("Validating", self.workspace.validate)

    def action_refresh_basket(self) -> None:
        if self.workspace.basket is not None:
            read_back_basket(self)

    def action_copy_id(self) -> None:
        basket = self.workspace.basket
        if basket is not None:
            self.copy(basket.basket_id, "the basket id")

    def palette_commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand("Validation: back to the basket", "Fix what the validation found",
                            self.action_back)
        basket = self.workspace.basket
        if basket is not None:
            yield SystemCommand("Validation: validate again", "Ask the server for a new verdict",
                                self.action_revalidate)
            yield SystemCommand("Validation: refresh", "Read the basket back from the server",
                                self.action_refresh_basket)
            # The palette reads help as markup: the tenant's id is escaped for it.
            yield SystemCommand("Validation: copy basket id", escape(shown(basket.basket_id)),
                                self.action_copy_id)
