"""The Basket screen, driven as a user drives it, against the real sandbox."""

from __future__ import annotations

import json

import pytest
from textual.widgets import Input

from tui_app.screens.basket import BasketScreen
from tui_app.screens.modals import ConfirmScreen
from tui_app.screens.quantity import QuantityScreen
from tui_app.widgets.basket_table import BasketTable

from pilot import build_app, initiate, ready, settle, text_of


def table(app) -> BasketTable:
    return app.screen.query_one(BasketTable)


def updates(app) -> list[list[dict]]:
    """The orderActions of every update the app sent, oldest first."""
    return [
        json.loads(exchange.request_body)["orderActions"]
        for exchange in app.workspace.log
        if exchange.method == "PUT" and exchange.path.endswith("/partner/checkout/update")
    ]


async def highlight(pilot, item_id: str) -> None:
    grid = table(pilot.app)
    grid.move_cursor(row=grid.get_row_index(item_id))
    await pilot.pause()


async def test_without_a_basket_it_says_how_to_start(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert isinstance(app.screen, BasketScreen)
        empty = text_of(app, "#basket-empty")
        assert "No basket yet — press F3" in empty
        assert "Recent baskets" not in empty
        assert not table(app).display
        await initiate(pilot, ("Digital Monthly", 1))
        app.workspace.forget_basket()
        app.context_changed()
        await settle(pilot)
        # Now there is a basket to go back to.
        assert "ctrl+p → Recent baskets…" in text_of(app, "#basket-empty")


async def test_the_table_shows_items_prices_and_the_total(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        monthly, bundle = await initiate(
            pilot, ("Digital Monthly", 2), ("Print + Digital Bundle", 1)
        )
        grid = table(app)
        assert grid.row_count == 2
        assert grid.cell_text(monthly, "offer") == "Digital Monthly"
        assert grid.cell_text(monthly, "qty") == "2"
        assert grid.cell_text(monthly, "unit") == "£9.99"
        assert grid.cell_text(monthly, "total") == "£19.98"
        assert grid.cell_text(bundle, "offer") == "Print + Digital Bundle"
        assert grid.cell_text(monthly, "item") == monthly[:8] + "…"
        summary = text_of(app, "#basket-summary")
        basket = app.workspace.basket
        assert basket.basket_id in summary
        assert "2 items" in summary and "GB" in summary and "Sandbox" in summary
        assert f"Total £{basket.order.total_amount:,.2f} GBP" in summary


async def test_lines_alike_but_for_their_id_each_show_their_own_id(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        ids = await initiate(pilot, *[("Digital Monthly", 2)] * 3, ("Digital Monthly", 3))
        grid = table(app)
        assert len(set(ids)) == 4
        assert [grid.cell_text(item, "item") for item in ids] == [i[:8] + "…" for i in ids]
        assert [grid.cell_text(item, "qty") for item in ids] == ["2", "2", "2", "3"]
        assert [grid.cell_text(item, "total") for item in ids] == ["£19.98"] * 3 + ["£29.97"]


async def test_remove_asks_first_and_escape_sends_nothing(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        _, annual = await initiate(pilot, ("Digital Monthly", 1), ("Digital Annual", 1))
        await highlight(pilot, annual)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert updates(app) == []
        assert table(app).row_count == 2

        await pilot.press("x")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert updates(app) == [[{"orderItemActionType": "remove", "orderItemId": annual}]]
        grid = table(app)
        assert grid.row_count == 1 and annual not in grid.shown
        assert "1 item" in text_of(app, "#basket-summary")
        assert "Total £9.99 GBP" in text_of(app, "#basket-summary")
        assert "✓ remove" in text_of(app, "#basket-results")
        assert "Digital Annual" in text_of(app, "#basket-results")


async def test_change_quantity_updates_the_row_in_place(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        monthly, annual = await initiate(pilot, ("Digital Monthly", 1), ("Digital Annual", 1))
        grid = table(app)
        await highlight(pilot, annual)
        await pilot.press("enter")  # Enter on a row edits its quantity, like c
        await pilot.pause()
        assert isinstance(app.screen, QuantityScreen)
        assert "1–10" in text_of(app, "#quantity-limits")
        field = app.screen.query_one(Input)
        field.value = ""
        await pilot.press("3", "enter")
        await settle(pilot)
        assert updates(app) == [
            [{"orderItemActionType": "change_quantity", "orderItemId": annual, "quantity": 3}]
        ]
        assert table(app) is grid  # the same table, changed in place
        assert list(grid.shown) == [monthly, annual]
        assert grid.cell_text(annual, "qty") == "3"
        assert grid.get_row_index(annual) == 1 and grid.cursor_row == 1
        assert f"✓ change_quantity {annual[:8]}… → 3" in text_of(app, "#basket-results")


@pytest.mark.parametrize(
    ("typed", "reason"),
    [("0", "at least 1"), ("abc", "not a whole number"), ("11", "at most 10")],
)
async def test_the_quantity_dialog_refuses_what_the_offer_refuses(tmp_path, sandbox, typed, reason):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        (monthly,) = await initiate(pilot, ("Digital Monthly", 2))
        await pilot.press("c")
        await pilot.pause()
        field = app.screen.query_one(Input)
        field.value = ""
        await pilot.press(*typed, "enter")
        await pilot.pause()
        assert isinstance(app.screen, QuantityScreen)  # still open
        assert reason in text_of(app, "#quantity-problem")
        assert field.value == typed  # what the user typed is kept
        await pilot.press("escape")
        await settle(pilot)
        assert updates(app) == []
        assert table(app).cell_text(monthly, "qty") == "2"


async def test_the_quantity_dialog_shows_steps_and_refuses_off_step(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Team Digital", 5))
        await pilot.press("c")
        await pilot.pause()
        assert "5–250 step 5" in text_of(app, "#quantity-limits")
        field = app.screen.query_one(Input)
        field.value = "7"
        await pilot.pause()
        assert "in steps of 5" in text_of(app, "#quantity-problem")
        field.value = "10"
        await pilot.pause()
        assert "✓" in text_of(app, "#quantity-problem")


async def test_staged_actions_go_as_one_update(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        monthly, annual, premium = await initiate(
            pilot, ("Digital Monthly", 1), ("Digital Annual", 1), ("Premium Digital Monthly", 1)
        )
        await pilot.press("s")
        await highlight(pilot, monthly)
        await pilot.press("x")  # staged: no confirmation, nothing sent
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        await highlight(pilot, annual)
        await pilot.press("c")
        await pilot.pause()
        app.screen.query_one(Input).value = "4"
        await pilot.press("enter")
        await pilot.pause()
        await highlight(pilot, premium)
        await pilot.press("x")
        await pilot.pause()
        grid = table(app)
        assert grid.cell_text(monthly, "status") == "staged: remove"
        assert grid.cell_text(annual, "status") == "staged: qty→4"
        assert "Staged actions (3)" in app.screen.query_one("#basket-staged").border_title
        await pilot.press("z")  # drop the last one
        await pilot.pause()
        assert grid.cell_text(premium, "status") == ""
        assert updates(app) == []

        await pilot.press("u")
        await settle(pilot)
        assert updates(app) == [[
            {"orderItemActionType": "remove", "orderItemId": monthly},
            {"orderItemActionType": "change_quantity", "orderItemId": annual, "quantity": 4},
        ]]
        results = text_of(app, "#basket-results")
        assert f"✓ remove {monthly[:8]}…" in results
        assert f"✓ change_quantity {annual[:8]}… → 4" in results
        assert app.workspace.staged == []
        assert list(grid.shown) == [annual, premium]
        assert grid.cell_text(annual, "qty") == "4"
        assert grid.cell_text(annual, "status") == ""


async def test_clear_staged_drops_them_all(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        monthly, _ = await initiate(pilot, ("Digital Monthly", 1), ("Digital Annual", 1))
        await pilot.press("s", "x", "down", "x")
        await settle(pilot)
        assert len(app.workspace.staged) == 2
        await pilot.press("Z")
        await settle(pilot)
        assert app.workspace.staged == []
        assert table(app).cell_text(monthly, "status") == ""
        assert updates(app) == []


async def test_a_basket_the_server_does_not_know_keeps_the_table(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        (monthly,) = await initiate(pilot, ("Digital Monthly", 2))
        app.workspace.cookies.forget(app.workspace.basket.basket_id)  # the landing state is lost
        await pilot.press("c")
        await pilot.pause()
        app.screen.query_one(Input).value = "5"
        await pilot.press("enter")
        await settle(pilot)
        error = text_of(app, "ErrorPanel")
        assert "Basket not found" in error
        assert "start a new basket" in error  # the hint
        assert table(app).cell_text(monthly, "qty") == "2"
        assert "Total £19.98 GBP" in text_of(app, "#basket-summary")


async def test_validate_goes_to_the_verdict(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Digital Monthly", 1))
        await pilot.press("v")
        await settle(pilot)
        assert app.current_mode == "validation"
        assert app.workspace.basket.validation is not None


async def test_add_goes_to_the_offers_and_every_action_is_in_the_palette(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Digital Monthly", 1))
        await pilot.press("s", "x")
        await settle(pilot)
        titles = " | ".join(command.title for command in app.get_system_commands(app.screen))
        for words in ("add an item", "remove the highlighted item", "quantity", "stage mode",
                      "send staged", "drop the last staged", "clear staged", "validate",
                      "copy basket id"):
            assert words in titles, words
        await pilot.press("a")
        await settle(pilot)
        assert app.current_mode == "offers"


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_it_renders_small_and_large(tmp_path, sandbox, size):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Digital Monthly", 1), ("Team Digital", 5))
        await pilot.press("s", "x")
        await settle(pilot)
        screenshot = app.export_screenshot()
        assert "Digital Monthly" in screenshot.replace("&#160;", " ")
        assert app.screen.query_one("#basket-staged").region.height > 0
        assert table(app).region.height >= 3
