"""The nav bar and the key bar fit their width on every main screen, at
80×24 as at 200×60: the screen's main keys stay, "more" says others exist,
help and quit stay in reach, and no key is cut mid-word."""

from __future__ import annotations

import pytest

from tui_app.widgets.key_bar import KeyBar, fit_by_priority
from tui_app.widgets.nav_bar import NavBar

from pilot import build_app, initiate, ready, screen_text, settle

MAIN_SCREENS = ("profiles", "offers", "basket", "validation", "inspector", "scenarios")
# What each screen is for, which must be on screen at any size.
KEY_RESULT = {
    "profiles": "Sandbox (embedded)",
    "offers": "14 items in the catalogue",
    "basket": "Digital Monthly",
    "validation": "Not validated yet",
    "inspector": "/api/partner/checkout/initiate",
    "scenarios": "examples/valid-basket.toml",
}


def test_fitting_keeps_the_best_ranked_entries_in_their_own_order():
    widths, ranks = [10, 10, 10, 10], [3, 0, 2, 1]
    assert fit_by_priority(widths, ranks, room=43, more=6) == [0, 1, 2, 3]  # all fit
    assert fit_by_priority(widths, ranks, room=30, more=6) == [1, 3]  # + " more"
    assert fit_by_priority(widths, ranks, room=5, more=6) == []


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_every_main_screen_shows_its_main_keys_help_and_quit(tmp_path, sandbox, size):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Digital Monthly", 1))
        for mode in MAIN_SCREENS:
            app.switch_mode(mode)
            await settle(pilot)
            screen = app.screen
            nav = screen.query_one(NavBar)
            nav_line = str(nav.render())
            assert len(nav_line) <= nav.content_size.width, (mode, nav_line)
            for key in ("f2", "f3", "f4", "f5", "f7", "f9", "help", "quit"):
                assert key in nav_line, (mode, key, nav_line)
            assert KEY_RESULT[mode] in screen_text(app), (mode, size)
            focused = app.focused
            assert focused is not None and focused.screen is screen, (mode, focused)
            assert focused.region.area, (mode, focused)
            assert screen.region.contains_region(focused.region), (mode, focused.region)

            bar = screen.query_one(KeyBar)
            line = str(bar.render())
            assert len(line) <= bar.size.width, (mode, line)
            shown = {
                binding.action.split("(")[0]: binding.description
                for _key, (_n, binding, _e, _t) in screen.active_bindings.items()
                if binding.show
            }
            main = [action for action in screen.KEY_PRIORITY if action in shown][:3]
            for action in main:
                assert shown[action] in line, (mode, action, line)
            if any(description not in line for description in shown.values()):
                assert line.rstrip().endswith("more") or "more │" in line, (mode, line)
            # Every description on the bar is whole: each one shown appears complete.
            for description in shown.values():
                for word_start in range(1, len(description)):
                    cut = description[:word_start]
                    if line.rstrip().endswith(" " + cut):
                        pytest.fail(f"{mode}: {description!r} cut to {cut!r} in {line!r}")


async def test_a_click_on_a_tab_of_the_nav_bar_shows_that_screen(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        line = str(app.screen.query_one(NavBar).render())
        await pilot.click(NavBar, offset=(line.index("Inspector") + 1, 0))
        await settle(pilot)
        assert app.current_mode == "inspector"


async def test_at_80_columns_every_tab_keeps_a_name_on_every_screen(tmp_path, sandbox):
    """Compressing the tab in view too comes before dropping the others' names."""
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        for mode in MAIN_SCREENS:
            app.switch_mode(mode)
            await settle(pilot)
            line = str(app.screen.query_one(NavBar).render())
            for short in ("Prof", "Offers", "Basket", "Valid", "Insp", "Scen"):
                assert short in line, (mode, line)


async def test_the_key_bar_is_drawn_again_only_when_a_key_on_it_changed(tmp_path, sandbox):
    """Shown again with the same keys (a switch of screens), the bar keeps the
    line it drew; a key that becomes possible or impossible is drawn anew."""
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Digital Monthly", 1))
        app.switch_mode("basket")
        await settle(pilot)
        screen = app.screen
        bar = screen.query_one(KeyBar)
        drawn: list[str] = []
        render = bar.render

        def counting_render():
            line = render()
            drawn.append(str(line))
            return line

        bar.render = counting_render
        for mode in ("offers", "basket", "validation", "basket"):
            app.switch_mode(mode)
            await settle(pilot)
        assert drawn == []
        assert "Remove" in str(render())

        # Staged changes: their keys become possible, and the bar shows it.
        await pilot.press("s")  # stage mode
        await settle(pilot)
        before = len(drawn)
        assert not screen.active_bindings["u"][2]  # "Send staged", drawn dim
        await pilot.press("x")  # a removal, staged: now it can be sent
        await settle(pilot)
        assert app.workspace.staged and screen.active_bindings["u"][2]
        assert len(drawn) > before and drawn[-1] == str(render())
