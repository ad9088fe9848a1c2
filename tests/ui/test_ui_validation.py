"""The Validation screen: the verdict, why a basket is not valid, and the
checkout the server returned, against the real sandbox."""

from __future__ import annotations

import pytest

from tui_app.screens.modals import ConfirmScreen
from tui_app.screens.validation import ValidationScreen
from tui_app.widgets.basket_table import BasketTable
from tui_app.widgets.basket_tree import JsonTree

from pilot import build_app, initiate, ready, screen_text, settle, styles_of, text_of


async def test_before_any_validation_it_says_so(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="validation")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert isinstance(app.screen, ValidationScreen)
        assert "No basket yet — press F3" in text_of(app, "#verdict")
        await initiate(pilot, ("Digital Monthly", 1))
        assert text_of(app, "#verdict") == "Not validated yet — press v"


async def test_a_gb_basket_is_valid(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Digital Monthly", 1), ("Print + Digital Bundle", 1))
        await pilot.press("v")
        await settle(pilot)
        assert app.current_mode == "validation"
        banner = app.screen.query_one("#verdict")
        assert str(banner.render()) == "✓ VALID — ready to submit"
        assert banner.has_class("valid")
        assert "No blocked products" in text_of(app, "#problems")


async def test_a_bundle_not_sold_in_de_is_blocked_until_removed(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        monthly, bundle = await initiate(
            pilot, ("Digital Monthly", 1), ("Print + Digital Bundle", 1), country="DE"
        )
        await pilot.press("v")
        await settle(pilot)
        banner = app.screen.query_one("#verdict")
        assert str(banner.render()) == "✗ NOT VALID — 1 blocked product"
        assert banner.has_class("invalid")
        problems = text_of(app, "#problems")
        assert "✗ Print + Digital Bundle" in problems
        assert "not sold in DE" in problems

        await pilot.press("b")  # back to the basket to fix it
        await settle(pilot)
        assert app.current_mode == "basket"
        grid = app.screen.query_one(BasketTable)
        assert grid.cell_text(bundle, "status") == "✗ blocked"
        assert grid.cell_text(monthly, "status") == ""
        grid.move_cursor(row=grid.get_row_index(bundle))
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert app.current_mode == "validation"
        assert text_of(app, "#verdict") == "✓ VALID — ready to submit"


async def test_other_problems_are_named_by_offer(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="validation")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Team Digital", 3))  # below the minimum of 5
        await pilot.press("v")  # validate again, from this screen
        await settle(pilot)
        assert text_of(app, "#verdict") == "✗ NOT VALID — 1 problem: quantity out of range"
        problems = text_of(app, "#problems")
        assert "Team Digital — quantity out of range" in problems
        assert "from 5 to 250 in steps of 5" in problems


async def test_the_banner_counts_and_names_every_kind_of_problem_at_80x24(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="validation")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        # Weekend Print + Digital is sold in GB only: blocked in FR; Team Digital
        # below its minimum of 5 is a problem of another kind.
        await initiate(pilot, ("Weekend Print + Digital", 1), ("Team Digital", 3), country="FR")
        await pilot.press("v")
        await settle(pilot)
        banner = text_of(app, "#verdict")
        assert banner.startswith("✗ NOT VALID — 1 blocked product, ")
        assert "quantity out of range" in banner
        assert "quantity out of range" in screen_text(app).replace("\n", " ")


async def test_the_checkout_is_a_tree_that_opens(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="validation")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Digital Monthly", 2), ("Digital Annual", 1))
        await pilot.press("v")
        await settle(pilot)
        tree = app.screen.query_one(JsonTree)
        root = tree.root
        assert root.is_expanded
        labels = {str(child.label).split(":")[0].split("  ")[0]: child for child in root.children}
        assert {"orderItems", "country", "total", "id"} <= set(labels)
        assert str(labels["country"].label) == 'country: "GB"'
        items = labels["orderItems"]
        assert not items.is_expanded and items.allow_expand
        items.expand()
        await pilot.pause()
        assert len(items.children) == 2
        assert "Digital Monthly" in str(items.children[0].label)
        first = items.children[0]
        first.expand()
        await pilot.pause()
        assert any(str(c.label) == "quantity: 2" for c in first.children)


async def test_back_copy_and_palette(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="validation")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Digital Monthly", 1))
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert {"Validation: back to the basket", "Validation: validate again",
                "Validation: copy basket id"} <= set(titles)
        await pilot.press("i")
        await pilot.pause()
        basket_id = app.workspace.basket.basket_id
        assert any(basket_id in n.message for n in app._notifications)
        await pilot.press("b")
        await settle(pilot)
        assert app.current_mode == "basket"


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_it_renders_small_and_large(tmp_path, sandbox, size):
    app = build_app(tmp_path, sandbox, first_screen="validation")
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Print + Digital Bundle", 1), ("Team Digital", 1), country="DE")
        await pilot.press("v")
        await settle(pilot)
        screenshot = app.export_screenshot().replace("&#160;", " ")
        assert "NOT" in screenshot and "VALID" in screenshot
        assert app.screen.query_one(JsonTree).region.height >= 3
        assert app.screen.query_one("#problems-pane").region.width >= 20


async def test_a_hidden_verdict_catches_up_when_shown_and_not_before(tmp_path, sandbox):
    from tui_app.services.api.models import OrderAction

    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        (item,) = await initiate(pilot, ("Digital Monthly", 1))
        await pilot.press("v")
        await settle(pilot)
        validation = app.screen
        assert str(validation.query_one("#verdict").render()) == "✓ VALID — ready to submit"
        await pilot.press("b")
        await settle(pilot)

        redraws = []
        original = validation._redraw_context
        validation._redraw_context = lambda: (redraws.append(1), original())
        for quantity in (2, 3):  # two changes while the verdict is out of sight
            await app.workspace.update([OrderAction.change_quantity(item, quantity)])
            app.context_changed()
            await settle(pilot)
        assert redraws == []  # the hidden screen did no work

        app.switch_mode("validation")
        await settle(pilot)
        assert redraws == [1]  # one catch-up, showing the basket as it is now
        assert text_of(app, "#verdict") == "Not validated yet — press v"  # not the old ✓


async def test_the_same_verdict_again_leaves_the_panels_alone_and_a_new_one_is_shown(
    tmp_path, sandbox
):
    app = build_app(tmp_path, sandbox, first_screen="validation")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Team Digital", 3))  # below the minimum of 5
        await pilot.press("v")
        await settle(pilot)
        banner, problems = app.screen.query_one("#verdict"), app.screen.query_one("#problems")
        shown_before = banner.content, problems.content
        assert text_of(app, "#verdict") == "✗ NOT VALID — 1 problem: quantity out of range"

        # The same verdict again: the panels are not updated (nor laid out again).
        await pilot.press("v")
        await settle(pilot)
        assert app.workspace.basket.validation is not None
        assert (banner.content, problems.content) == shown_before
        assert banner.content is shown_before[0] and problems.content is shown_before[1]
        assert text_of(app, "#verdict") == "✗ NOT VALID — 1 problem: quantity out of range"

        # Another verdict is shown, panel by panel.
        app.workspace.basket.validation = None
        app.context_changed()
        await settle(pilot)
        assert text_of(app, "#verdict") == "Not validated yet — press v"
        assert "Validate the basket to see" in text_of(app, "#problems")
        assert not banner.has_class("invalid") and banner.has_class("unknown")
        await pilot.press("v")
        await settle(pilot)
        assert text_of(app, "#verdict") == "✗ NOT VALID — 1 problem: quantity out of range"
        assert "Team Digital — quantity out of range" in text_of(app, "#problems")


async def test_shown_again_it_is_restyled_only_for_what_changed_app_wide_meanwhile(
    tmp_path, sandbox
):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Digital Monthly", 1))
        await pilot.press("v")
        await settle(pilot)
        validation = app.screen
        assert isinstance(validation, ValidationScreen)
        restyled = []
        update_styles = app.update_styles
        app.update_styles = lambda node, animate=True: (
            restyled.append(node), update_styles(node, animate))

        async def away_and_back(meanwhile=None):
            app.switch_mode("basket")  # as b does, but no key press to give focus back
            await settle(pilot)
            if meanwhile is not None:
                meanwhile()
                await settle(pilot)
            restyled.clear()
            app.switch_mode("validation")
            await settle(pilot)
            assert app.screen is validation

        def as_a_full_restyle_would_style_it():
            shown_styles = styles_of(validation)
            update_styles(validation, False)
            assert styles_of(validation) == shown_styles

        # Nothing changed app-wide: not restyled, and styled as it would be.
        await away_and_back()
        assert validation not in restyled
        as_a_full_restyle_would_style_it()

        # The terminal lost focus while it was hidden (App:blur): restyled.
        def blur():
            app.app_focus = False

        await away_and_back(blur)
        assert validation in restyled
        as_a_full_restyle_would_style_it()

        def focus():
            app.app_focus = True

        await away_and_back(focus)
        assert validation in restyled
        as_a_full_restyle_would_style_it()

        # A widget of its own changed while hidden: styled at once, as ever.
        banner = validation.query_one("#verdict")

        def reclass():
            banner.set_class(True, "unknown")

        await away_and_back(reclass)
        as_a_full_restyle_would_style_it()
