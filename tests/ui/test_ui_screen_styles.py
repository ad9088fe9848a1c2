"""Every main screen starts current with the app's CSS: showing one for the
first time does not restyle the whole app, and it is styled exactly as such
a restyle would style it. A theme picked while a screen is hidden still
reaches it when it is shown."""

from __future__ import annotations

import pytest
from textual.geometry import Region

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


@pytest.mark.parametrize(("mode", "width", "breakpoint"), [
    ("offers", 100, "-narrow"), ("offers", 130, "-wide"), ("basket", 100, None),
])
async def test_the_first_screen_is_styled_as_it_mounts_and_not_again(
    tmp_path, sandbox, mode, width, breakpoint
):
    # It takes its width's class before its widgets are styled, so neither its
    # first resume nor its first resize restyles it; what it shows is what a
    # restyle of the whole app would give it.
    app = build_app(tmp_path, sandbox, first_screen=mode)
    restyled = []
    update_styles = app.update_styles

    def spy(node, animate=True):
        if node is app.screen and node.is_attached:
            restyled.append(node)
        update_styles(node, animate)

    app.update_styles = spy
    async with app.run_test(size=(width, 30)) as pilot:
        await ready(pilot)
        screen = app.screen
        assert app.current_mode == mode and restyled == []
        if breakpoint is not None:
            assert screen.has_class(breakpoint)
        shown_styles = styles_of(screen)
        app.refresh_css(animate=False)
        await settle(pilot)
        assert styles_of(screen) == shown_styles


def drawn(screen) -> list[list[tuple[str, object]]]:
    """The screen as the terminal gets it: text and style of every segment."""
    return [[(segment.text, segment.style) for segment in strip]
            for strip in screen._compositor.render_strips()]


@pytest.mark.parametrize("mode", ["basket", "validation"])
async def test_a_screen_shown_again_keeps_its_background_and_draws_what_a_redraw_would(
    tmp_path, sandbox, mode
):
    """Shown again with nothing app-wide changed, a screen is repainted whole
    but its background is not drawn again; what it shows is what a screen
    redrawn from nothing shows. A theme picked meanwhile draws it anew."""
    app = build_app(tmp_path, sandbox, first_screen="offers")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Digital Monthly", 1))
        app.switch_mode(mode)
        await settle(pilot)
        screen = app.screen
        background_lines: list[int] = []
        render_line = screen.render_line

        def counting(y: int):
            background_lines.append(y)
            return render_line(y)

        screen.render_line = counting
        app.switch_mode("offers")
        await settle(pilot)
        app.switch_mode(mode)
        await settle(pilot)
        assert background_lines == []
        # Part of it repainted (a notice gone, say): those lines only, and the
        # next switch still keeps the rest.
        screen.refresh(Region(0, 0, 20, 2))
        await settle(pilot)
        assert sorted(set(background_lines)) == [0, 1]
        background_lines.clear()
        app.switch_mode("offers")
        await settle(pilot)
        app.switch_mode(mode)
        await settle(pilot)
        assert background_lines == []
        shown = drawn(screen)
        screen._styles_cache.clear()
        screen.refresh()
        await settle(pilot)
        assert background_lines, "the redraw drew the background"
        assert drawn(screen) == shown

        app.switch_mode("offers")
        await settle(pilot)
        app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
        await settle(pilot)
        background_lines.clear()
        app.switch_mode(mode)
        await settle(pilot)
        assert len(background_lines) >= 30 - 2, "a new theme draws the background anew"
        themed = drawn(screen)
        assert themed != shown
        screen._styles_cache.clear()
        screen.refresh()
        await settle(pilot)
        assert drawn(screen) == themed
