"""Closing a dialog shows the screen below as it was, without laying it out
again, and a screen that changed size meanwhile is laid out for its new size."""

from __future__ import annotations

from tui_app.screens.basket import BasketScreen
from tui_app.screens.quantity import QuantityScreen

from pilot import build_app, initiate, ready, screen_text, settle


async def open_quantity(pilot) -> tuple[BasketScreen, str]:
    """The quantity dialog over a two-item basket; the screen before it."""
    app = pilot.app
    await initiate(pilot, ("Digital Monthly", 1), ("Digital Annual", 2))
    basket = app.screen
    assert isinstance(basket, BasketScreen)
    basket.table.focus()
    await settle(pilot)
    shown = screen_text(app)
    await pilot.press("c")
    await settle(pilot)
    assert isinstance(app.screen, QuantityScreen)
    return basket, shown


def spy_layouts(screen) -> list[int]:
    """A list that grows by one each time ``screen`` is laid out."""
    layouts: list[int] = []
    refresh_layout = screen._refresh_layout
    screen._refresh_layout = lambda *a, **k: (layouts.append(1), refresh_layout(*a, **k))
    return layouts


async def test_a_closed_dialog_leaves_the_screen_below_as_it_was(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        basket, before = await open_quantity(pilot)
        layouts = spy_layouts(basket)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is basket
        assert layouts == []  # not laid out again for a dialog that went away
        assert screen_text(app) == before  # and shown as it was before the dialog
        assert basket.table.has_focus


async def test_a_terminal_resized_under_a_dialog_lays_the_screen_out_anew(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        basket, _before = await open_quantity(pilot)
        layouts = spy_layouts(basket)
        await pilot.resize_terminal(140, 40)
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is basket
        assert layouts  # (the spy the first test relies on does see layouts)
        assert basket.table.region.width > 100  # laid out at the new width
        assert screen_text(app).count("\n") + 1 == 40
