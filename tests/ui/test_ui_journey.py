"""The whole flow as a new user does it, by keyboard, on the embedded sandbox:
build a three-item basket, change a quantity, validate, see it blocked in
another country, fix it, validate again — then quit and resume."""

from __future__ import annotations

from test_ui_offers import pick
from textual.widgets import Input, Static

from tui_app.screens.modals import ResumeScreen
from tui_app.widgets.basket_table import BasketTable

from pilot import build_app, initiate, ready, settle


def verdict(app) -> str:
    return str(app.screen.query_one("#verdict", Static).render())


async def highlight(pilot, offer_name: str) -> None:
    app = pilot.app
    item = next(i for i in app.workspace.basket.items if i.offer.name == offer_name)
    grid = app.screen.query_one(BasketTable)
    grid.move_cursor(row=grid.get_row_index(item.id))
    grid.focus()
    await pilot.pause()


async def resume_last_basket(pilot) -> None:
    """At launch: the resume dialog offers the last basket; Enter reopens it."""
    await ready(pilot)
    await settle(pilot)
    assert isinstance(pilot.app.screen, ResumeScreen)
    await pilot.press("enter")
    await settle(pilot)
    assert pilot.app.current_mode == "basket"


async def test_build_validate_move_fix_and_resume(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        for name in ("Digital Monthly", "Print + Digital Bundle", "Digital Annual"):
            await pick(pilot, name)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.current_mode == "basket"
        basket = app.workspace.basket
        assert [i.offer.name for i in basket.items] == [
            "Digital Monthly", "Print + Digital Bundle", "Digital Annual"
        ]

        # Change a quantity through the dialog.
        await highlight(pilot, "Digital Annual")
        await pilot.press("c")
        await pilot.pause()
        field = app.screen.query_one(Input)
        field.value = "2"
        await pilot.press("enter")
        await settle(pilot)
        annual = next(i for i in app.workspace.basket.items if i.offer.name == "Digital Annual")
        assert annual.quantity == 2

        await pilot.press("v")
        await settle(pilot)
        assert app.current_mode == "validation"
        assert verdict(app) == "✓ VALID — ready to submit"

        # The same basket in Germany: the GB/IE-only bundle is blocked, and why.
        await pilot.press("b")
        await settle(pilot)
        await pilot.press("k")
        await pilot.pause()
        app.screen.query_one(Input).value = "DE"
        await pilot.press("enter")
        await settle(pilot)
        assert app.workspace.basket.country == "DE"
        assert app.workspace.basket.basket_id == basket.basket_id
        await pilot.press("v")
        await settle(pilot)
        assert verdict(app).startswith("✗ NOT VALID")
        problems = str(app.screen.query_one("#problems", Static).render())
        assert "✗ Print + Digital Bundle" in problems and "not sold in DE" in problems

        # Fix it: remove the bundle (after confirming), validate again.
        await pilot.press("b")
        await settle(pilot)
        await highlight(pilot, "Print + Digital Bundle")
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert len(app.workspace.basket.items) == 2
        await pilot.press("v")
        await settle(pilot)
        assert verdict(app) == "✓ VALID — ready to submit"
        basket_id = app.workspace.basket.basket_id

    # Quit and launch again: the app offers the basket we were on.
    again = build_app(tmp_path, sandbox)
    async with again.run_test(size=(100, 30)) as pilot:
        await resume_last_basket(pilot)
        resumed = again.workspace.basket
        assert resumed.basket_id == basket_id and resumed.country == "DE"
        assert [i.offer.name for i in resumed.items] == ["Digital Monthly", "Digital Annual"]
        # The saved landing-state cookie still works after the restart.
        await highlight(pilot, "Digital Monthly")
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert [i.offer.name for i in again.workspace.basket.items] == ["Digital Annual"]


async def test_a_resumed_basket_whose_cached_order_is_gone_is_read_back(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        ids = await initiate(pilot, ("Digital Monthly", 2), ("Digital Annual", 1))
    orders = list((tmp_path / "data" / "orders").glob("*.json"))
    assert orders  # the order was kept beside the session...
    for path in orders:
        path.unlink()  # ...and is now gone (cleared by hand, say)

    again = build_app(tmp_path, sandbox)
    async with again.run_test(size=(100, 30)) as pilot:
        await resume_last_basket(pilot)
        assert [i.id for i in again.workspace.basket.items] == ids  # read back from the server
        assert again.screen.query_one(BasketTable).row_count == 2
