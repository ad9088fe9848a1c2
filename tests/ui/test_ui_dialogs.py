"""Every dialog at 80×24 as at 200×60, read off the rendered screen as a user
sees it: its title (what it is for) and every one of its buttons with its key
are whole and in view, and the focus is on a widget the user can see."""

from __future__ import annotations

import pytest
from textual.geometry import Region
from textual.widgets import Button
from textual.widgets._toast import Toast

from pilot import build_app, initiate, ready, screen_text, settle


async def on_basket(pilot, *keys: str) -> None:
    pilot.app.switch_mode("basket")
    await settle(pilot)
    await pilot.press(*keys)


async def on_inspector(pilot, *keys: str) -> None:
    pilot.app.switch_mode("inspector")
    await settle(pilot)
    await pilot.press(*keys)


async def on_offers_pick(pilot) -> None:
    pilot.app.switch_mode("offers")
    await settle(pilot)
    await pilot.press("ctrl+o")  # the highlighted offer into the pick list
    await settle(pilot)
    pilot.app.screen.query_one("#picks").focus()
    await pilot.press("c")


async def recent_baskets(pilot) -> None:
    pilot.app._show_recent()


async def themes(pilot) -> None:
    pilot.app.search_themes()


# name: (how to open it, its title, the keys it must show)
DIALOGS = {
    "remove": (lambda p: on_basket(p, "x"), "Remove this item?",
               ["Cancel (Esc)", "Remove (Enter, y)"]),
    "quantity": (lambda p: on_basket(p, "c"), "Change quantity — Digital Monthly",
                 ["Cancel (Esc)", "Change (Enter)"]),
    "pick quantity": (on_offers_pick, "Change quantity", ["Cancel (Esc)", "Change (Enter)"]),
    "country": (lambda p: on_basket(p, "k"), "Move the basket to another country",
                ["Cancel (Esc)", "Move (Enter)"]),
    "help": (lambda p: on_basket(p, "f1"), "Help — Basket", ["Close (Esc)"]),
    "recent baskets": (recent_baskets, "Recent baskets",
                       ["Keep the current basket (Esc)", "Open selected"]),
    "curl": (lambda p: on_inspector(p, "c"), "Copy as curl",
             ["Close (Esc)", "Copy export lines (e)", "Save as script (s)", "Copy (c)"]),
    "export har": (lambda p: on_inspector(p, "e"), "Export the exchange log as HAR",
                   ["Cancel (Esc)", "Save (Enter)"]),
    "clear log": (lambda p: on_inspector(p, "x"), "Clear the exchange log?",
                  ["Cancel (Esc)", "Clear (Enter, y)"]),
    "palette": (lambda p: p.press("ctrl+p"), "Search for commands", []),
    "themes": (themes, "basket-dark  ✓ current", []),
}


@pytest.mark.parametrize("size", [(80, 24), (200, 60)], ids=["80x24", "200x60"])
async def test_every_dialog_shows_its_title_keys_and_focus(tmp_path, sandbox, size):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Digital Monthly", 1), ("Digital Annual", 2))
        screen_area = Region(0, 0, *size)
        for name, (open_it, title, keys) in DIALOGS.items():
            await open_it(pilot)
            await settle(pilot)
            dialog = app.screen
            assert dialog.is_modal, f"{name}: no dialog opened"
            text = screen_text(app)
            assert title in text, f"{name} at {size}: {title!r} not on screen\n{text}"
            shown_keys = {str(button.label) for button in dialog.query(Button)}
            assert set(keys) <= shown_keys, (name, shown_keys)
            for button in dialog.query(Button):
                label = str(button.label)
                assert screen_area.contains_region(button.region), (name, label, button.region)
                assert label in text, f"{name} at {size}: button {label!r} cut or hidden"
            focused = app.focused
            assert focused is not None and focused.screen is dialog, (name, focused)
            assert focused.region.area and screen_area.contains_region(focused.region), (
                name, focused, focused.region)
            await pilot.press("escape")
            await settle(pilot)
            assert not app.screen.is_modal, f"{name}: Esc did not close it"


async def test_the_curl_command_keeps_its_own_line_breaks(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Digital Monthly", 1))
        await on_inspector(pilot, "c")
        await settle(pilot)
        command = str(app.screen.query_one("#curl-command").render())
        assert "␊" not in command
        assert '\n  -H "Authorization: Bearer $LIMIO_TOKEN" \\\n' in command


async def test_a_notice_while_a_dialog_is_open_covers_none_of_it(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Digital Monthly", 1))
        await on_basket(pilot, "k")  # the country dialog: the tallest at 80x24
        await settle(pilot)
        app.notify("Initiated basket-79a10949-db1f-4264-82fc-5f124ba25f16 with 1 item.")
        await pilot.pause()
        await pilot.pause()
        dialog = app.screen
        assert dialog.is_modal
        toasts = list(dialog.query(Toast))
        assert toasts
        boxes = [w for w in dialog.children if not w.has_class("-textual-system")]
        assert boxes
        for toast in toasts:
            for box in boxes:
                assert not toast.region.overlaps(box.region), (toast.region, box.region)
