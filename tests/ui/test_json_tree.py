"""The checkout tree is built from the reply's models one level at a time, and
shows exactly what a tree of the model's whole JSON dump shows: the same
labels in the same order, every level opening, the top level open."""

from __future__ import annotations

import json
import math

from pydantic import BaseModel
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widgets import Tree

from tui_app.services.api.models import ValidateResponse
from tui_app.widgets.basket_tree import JsonTree

from pilot import scroll_bar_redraws_on_a_new_layout

ITEMS = 30

REPLY = {
    "id": "basket-" + "a" * 32,
    "checkout": {
        "id": "basket-" + "a" * 32,
        "country": "GB",
        "orderTotal": "17.50",
        "orderSubtotal": 17.5,
        "tracking": {"campaign": "spring", "tags": ["a", "b"], "nested": {"deep": [1, {}]}},
        "total": {"amount": "52.00", "currency": "GBP", "bonus": {"x": 1}},
        "customer": {"name": "Extra [b]field[/b]", "list": [1, 2.5, None, True]},  # not in the spec
        "emptyList": [],
        "emptyObject": {},
        "orderItems": [
            {
                "id": f"item-{n}",
                "quantity": n + 1,
                "type": "offer",
                "offer": {"id": f"offer-{n}", "version": "v1", "name": f"Offer {n}"}
                if n % 3 else None,
                "price": {"amount": n * 1.5, "currency": "GBP"} if n % 2 else {},
                "lineTotal": {"amount": "odd", "currency": 7},  # 7: a malformed detail
                "addOns": [{"id": "addon", "price": {"amount": "1.00"}}] if n % 4 == 0 else [],
                "products": "not a list",
                "name": f"extra name {n}" if n % 5 == 0 else None,
                "notes": float("nan") if n == 7 else "fine",
            }
            for n in range(ITEMS)
        ]
        + [{}],  # an item with nothing set
    },
    "invalid": {"blockedProducts": [], "validationErrors": [{"code": "x", "message": "y"}]},
}


class TreeApp(App[None]):
    CSS = """
    Screen.alt JsonTree > .tree--label { color: red; }
    Screen.alt #wrap { background: green; }
    #wrap { height: 1fr; }
    #lazy { background: transparent; }
    """

    def compose(self) -> ComposeResult:
        with Vertical(id="wrap"):
            yield JsonTree(id="lazy")
        yield JsonTree(id="eager")


async def open_everything(pilot, tree: JsonTree) -> None:
    while True:
        closed = [node for node in tree._tree_nodes.values()
                  if node.allow_expand and not node.is_expanded]
        if not closed:
            return
        for node in closed:
            node.expand()
        await pilot.pause()


def shown(tree: JsonTree) -> list[tuple[int, str, bool, bool]]:
    """Every node in the order the tree lists it: depth, label, can it open, is it open."""
    out = []

    def walk(node, depth):
        out.append((depth, node.label.markup, node.allow_expand, node.is_expanded))
        for child in node.children:
            walk(child, depth + 1)

    walk(tree.root, 0)
    return out


async def test_a_model_is_shown_as_its_json_dump_level_by_level():
    reply = ValidateResponse.model_validate(json.loads(json.dumps(REPLY)))
    checkout = reply.checkout
    dump = checkout.model_dump(mode="json", by_alias=True, exclude_unset=True)
    assert math.isnan(checkout.orderItems[7].notes)  # the NaN reached the model
    app = TreeApp()
    async with app.run_test(size=(120, 40)) as pilot:
        lazy, eager = app.query_one("#lazy", JsonTree), app.query_one("#eager", JsonTree)
        lazy.show("checkout x", checkout)
        eager.show("checkout x", dump)
        await pilot.pause()

        # As first shown: the top level open, in the dump's order, nothing below built.
        assert shown(lazy) == shown(eager)
        assert lazy.root.is_expanded
        top = [node.label.plain.split(":")[0].split("  ")[0] for node in lazy.root.children]
        assert top == list(dump)
        items = next(n for n in lazy.root.children if n.label.plain.startswith("orderItems"))
        assert items.label.plain == f"orderItems  [{ITEMS + 1} entries]"
        assert not items.is_expanded and not items.children
        assert all(isinstance(entry, BaseModel) for entry in items.data.value)  # not dumped yet

        # Opened one branch at a time, then all of it: the same tree all the way down.
        items.expand()
        next(n for n in eager.root.children if n.label.plain.startswith("orderItems")).expand()
        await pilot.pause()
        assert shown(lazy) == shown(eager)
        assert "[0] extra name 0" in items.children[0].label.plain  # an extra "name"
        assert "[3] item-3" in items.children[3].label.plain
        assert "[1] Offer 1" in items.children[1].label.plain
        assert "[5] Offer 5" in items.children[5].label.plain
        assert items.children[ITEMS].label.plain == f"[{ITEMS}]: {{}}"

        await open_everything(pilot, lazy)
        await open_everything(pilot, eager)
        assert shown(lazy) == shown(eager)
        assert len(shown(lazy)) > 15 * ITEMS
        plain = [node.label.plain for node in lazy._tree_nodes.values()]
        assert "notes: null" in plain  # NaN as pydantic dumps it
        assert 'amount: "odd"' in plain and "currency: null" in plain

    # The tree dumped from the models; it never changed them.
    assert checkout.model_dump(mode="json", by_alias=True, exclude_unset=True) == dump


async def test_plain_json_and_empty_values_still_show_as_before():
    app = TreeApp()
    async with app.run_test(size=(80, 24)) as pilot:
        lazy = app.query_one("#lazy", JsonTree)
        lazy.show("nothing", None)
        await pilot.pause()
        assert lazy.root.label.plain == "nothing" and not lazy.root.children

        class Empty(BaseModel):
            pass

        lazy.show("empty", Empty())
        await pilot.pause()
        assert lazy.root.is_expanded and not lazy.root.children

        lazy.show("plain", {"a": [1, {"b": "c"}], "d": {}})
        await pilot.pause()
        await open_everything(pilot, lazy)
        assert [(depth, label) for depth, label, _, _ in shown(lazy)] == [
            (0, "[bold]plain[/bold]"),
            (1, "[bold]a[dim]  [2 entries][/dim][/bold]"),
            (2, "[bold][0]: 1[/bold]"),
            (2, "[bold][1][dim]  {1 key}[/dim][/bold]"),
            (3, '[bold]b: "c"[/bold]'),
            (1, "[bold]d: {}[/bold]"),
        ]


def drawn(tree: JsonTree) -> list:
    """The tree's lines as they would be drawn now: text and style of every segment."""
    return [
        [(segment.text, segment.style) for segment in strip]
        for strip in tree.render_lines(tree.region.reset_offset)
    ]


async def test_a_restyle_that_changes_nothing_keeps_the_lines_and_a_new_theme_redraws_them():
    app = TreeApp()
    async with app.run_test(size=(100, 30)) as pilot:
        tree = app.query_one("#lazy", JsonTree)
        tree.show("plain", {"a": [1, {"b": "c"}], "d": {}, "e": "f"})
        tree.focus()
        await pilot.pause()
        before, updates = drawn(tree), tree._updates

        # Restyled with nothing changed (as when its screen is shown again):
        # not laid out or drawn again.
        app.screen.update_node_styles(animate=False)
        await pilot.pause()
        assert tree._updates == updates
        assert drawn(tree) == before

        # Only its labels' colour and its parent's background changed (its own
        # rules did not): the lines are drawn anew, as a tree invalidated the
        # way Textual does it would draw them.
        app.screen.add_class("alt")
        await pilot.pause()
        recoloured = drawn(tree)
        assert recoloured != before
        tree._invalidate()
        await pilot.pause()
        assert drawn(tree) == recoloured
        app.screen.remove_class("alt")
        await pilot.pause()
        assert drawn(tree) == before

        # Another theme: every line is drawn in its colours, as a tree
        # invalidated the way Textual does it would draw them.
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        await pilot.pause()
        themed = drawn(tree)
        assert themed != before
        assert [[text for text, _ in line] for line in themed] == [
            [text for text, _ in line] for line in before
        ]
        tree._invalidate()
        await pilot.pause()
        assert drawn(tree) == themed

        # Focus moved away and back: drawn as a fresh tree would be.
        tree.blur()
        await pilot.pause()
        blurred = drawn(tree)
        tree._invalidate()
        await pilot.pause()
        assert drawn(tree) == blurred


def ours_and_trees(tree: JsonTree) -> tuple[list, list]:
    """Every visible line as JsonTree draws it in a frame, and as Tree itself
    draws it (Tree.render_line, its line cache emptied first)."""
    tree._frame_style, tree._frame_look = tree.rich_style, tree._look()
    try:
        tree._line_cache.clear()
        ours = [list(tree.render_line(y)) for y in range(tree.size.height)]
    finally:
        tree._frame_style = tree._frame_look = None
        tree._frame_guides.clear()
    tree._line_cache.clear()
    theirs = [list(Tree.render_line(tree, y)) for y in range(tree.size.height)]
    return ours, theirs


async def test_lines_drawn_with_the_look_of_the_frame_are_the_trees_own():
    """JsonTree works out its style, component styles and guides once a frame
    and assembles each line's text itself: the lines are the very segments
    Tree.render_line draws, in every state a line can be in."""
    app = TreeApp()
    async with app.run_test(size=(60, 12)) as pilot:
        tree = app.query_one("#lazy", JsonTree)
        hostile = {"[b]x[/b]\x1b[31m": "\x00\u202e\t[red]v", "wide 表": [{"k": "\x07"}]}
        tree.show("reply \x1b[2J", {**REPLY, "odd": hostile})
        tree.focus()
        await pilot.pause()
        await open_everything(pilot, tree)

        async def check(state: str) -> None:
            await pilot.pause()
            ours, theirs = ours_and_trees(tree)
            assert ours == theirs, state
            assert any(segment.text.strip() for line in ours for segment in line), state

        for scroll in (0, 7, 40):
            tree.scroll_to(y=scroll, animate=False)
            await check(f"scrolled to {scroll}")
        tree.scroll_to(x=5, y=3, animate=False)
        await check("scrolled sideways")
        # An open branch at the top: the guides of everything under it are
        # drawn in the selected style while the cursor is on it, and in the
        # hover style while the mouse is over it.
        branch = next(index for index, line in enumerate(tree._tree_lines)
                      if len(line.path) > 1
                      and any(child.children for child in line.node.children[:3]))
        tree.scroll_to(x=0, y=branch - 1, animate=False)
        tree.cursor_line = branch
        await check("cursor")
        tree.cursor_line = branch - 1
        tree.hover_line = branch
        tree._tree_lines[branch].node._hover = True
        await check("hover")
        tree.blur()
        await check("blurred")
        tree.focus()
        tree.guide_depth = 6
        await check("deeper guides")
        tree.show_guides = False
        await check("no guides")
        tree.show_guides = True
        app.screen.add_class("alt")  # the labels' colour from another rule
        await check("restyled")


class GuidesApp(TreeApp):
    CSS = TreeApp.CSS + """
    JsonTree > .tree--guides { color: transparent; }
    JsonTree > .tree--guides-selected { text-style: bold; }
    """


async def test_guides_hidden_by_colour_are_drawn_as_tree_draws_them():
    app = GuidesApp()
    async with app.run_test(size=(60, 12)) as pilot:
        tree = app.query_one("#lazy", JsonTree)
        tree.show("reply", REPLY)
        tree.focus()
        await pilot.pause()
        await open_everything(pilot, tree)
        tree.cursor_line = 6
        await pilot.pause()
        ours, theirs = ours_and_trees(tree)
        assert ours == theirs


async def test_the_scroll_bar_follows_the_tree_and_is_not_drawn_again_for_nothing():
    app = TreeApp()
    async with app.run_test(size=(120, 30)) as pilot:
        tree = app.query_one("#lazy", JsonTree)
        tree.show("checkout x", REPLY["checkout"])
        await pilot.pause()
        items = next(n for n in tree.root.children if n.label.plain.startswith("orderItems"))
        items.expand()
        await pilot.pause()
        bar = tree.vertical_scrollbar
        assert bar.window_virtual_size == len(tree._tree_lines) > tree.size.height

        assert await scroll_bar_redraws_on_a_new_layout(pilot, tree) == 0

        items.collapse()  # fewer lines: the bar follows
        await pilot.pause()
        assert bar.window_virtual_size == len(tree._tree_lines)
