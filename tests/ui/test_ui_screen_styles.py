"""Every main screen starts current with the app's CSS: showing one for the
first time does not restyle the whole app, and it is styled exactly as such
a restyle would style it. A theme picked while a screen is hidden still
reaches it when it is shown."""

from __future__ import annotations

import pytest

from pilot import build_app, initiate, ready, settle, styles_of

MODES = ["offers", "basket", "validation", "inspector", "scenarios", "profiles"]


@pytest.mark.parametrize("mode", MODES)
async def test_a_first_visit_restyles_nothing_else_and_a_new_theme_still_arrives(
    tmp_path, sandbox, mode
):
    first = "profiles" if mode != "profiles" else "offers"
    app = build_app(tmp_path, sandbox, first_screen=first)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Digital Monthly", 1))
        restyled = []
        refresh_css = app.refresh_css
        app.refresh_css = lambda animate=True: (restyled.append(1), refresh_css(animate))
        for visit in ("first", "second"):
            app.switch_mode(mode)
            await settle(pilot)
            assert app.current_mode == mode
            assert restyled == [], f"the whole app was restyled on the {visit} visit"
            app.switch_mode(first)
            await settle(pilot)

        # Styled as a restyle of the whole app would have styled it.
        app.switch_mode(mode)
        await settle(pilot)
        screen = app.screen
        shown_styles = styles_of(screen)
        refresh_css(animate=False)
        await settle(pilot)
        assert styles_of(screen) == shown_styles

        # A theme picked while it is out of sight reaches it when it is shown.
        app.switch_mode(first)
        await settle(pilot)
        before = screen.styles.background
        app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
        await settle(pilot)
        app.switch_mode(mode)
        await settle(pilot)
        assert screen.styles.background != before
        themed = styles_of(screen)
        refresh_css(animate=False)
        await settle(pilot)
        assert styles_of(screen) == themed
