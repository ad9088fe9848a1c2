"""A main screen already built is drawn whole as soon as it has caught up,
without Textual's 50 ms wait for a screen being built (tui_app/screen_switch.py)."""

from __future__ import annotations

import asyncio
import time

from textual._compositor import LayoutUpdate
from textual.app import App

from tui_app import screen_switch
from tui_app.screens.basket import BasketScreen
from tui_app.widgets.offer_catalogue import CatalogueTable

from pilot import build_app, initiate, ready, screen_text, settle


def frame_text(update: LayoutUpdate) -> str:
    return "\n".join("".join(segment.text for segment in line) for line in update.strips)


def drawn_frames(app: App, monkeypatch) -> list[tuple[object, object]]:
    """(screen, update) of every frame the app draws from now on (Textual
    draws nothing while a batch holds its frames)."""
    frames: list[tuple[object, object]] = []
    draw = App._display

    def record(self, screen, update) -> None:
        if update is not None and self is app and not self._batch_count:
            frames.append((screen, update))
        draw(self, screen, update)

    monkeypatch.setattr(App, "_display", record)
    return frames


async def until_drawing(app: App) -> None:
    """Until no batch holds the app's frames (a first visit's delay has ended)."""
    deadline = time.monotonic() + 15
    while app._batch_count:
        assert time.monotonic() < deadline, "frames stayed held"
        await asyncio.sleep(0.01)


async def basket_built_then_left(app: App) -> None:
    """The Basket screen built (a first visit keeps Textual's delay), then Offers in view."""
    app.switch_mode("basket")
    await until_drawing(app)
    app.switch_mode("offers")
    await until_drawing(app)


async def first_frame_after_switch(app: App, mode: str, monkeypatch) -> tuple[object, object]:
    """Switch to ``mode``; (screen, update) of the first frame drawn then."""
    frames = drawn_frames(app, monkeypatch)
    app.switch_mode(mode)
    deadline = time.monotonic() + 15
    while not frames:
        assert time.monotonic() < deadline, f"the {mode} screen was never drawn"
        await asyncio.sleep(0.001)
    return frames[0]


async def test_a_built_screen_is_drawn_whole_once_it_has_caught_up(
    tmp_path, sandbox, monkeypatch
):
    # Only the screen's own resume lets the frames go here: no timer ends in the test.
    monkeypatch.setattr(screen_switch, "RELEASE_AT_THE_LATEST", 60.0)
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await basket_built_then_left(app)
        app.context_changed()  # the hidden Basket screen's context bar changes meanwhile
        await settle(pilot)

        delay_update = App.delay_update  # from now on Textual's delay would hold frames 60 s
        monkeypatch.setattr(App, "delay_update", lambda self, delay=0.05: delay_update(self, 60))
        screen, update = await first_frame_after_switch(app, "basket", monkeypatch)
        assert isinstance(screen, BasketScreen) and app.screen is screen
        assert isinstance(update, LayoutUpdate) and update.region.size == app.size  # whole
        assert not app._switch_hold.holding


async def test_a_screen_that_missed_a_change_is_first_drawn_with_it(
    tmp_path, sandbox, monkeypatch
):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await basket_built_then_left(app)
        await initiate(pilot, ("Digital Monthly", 2))  # while the Basket screen is hidden
        basket_id = app.workspace.basket.basket_id

        screen, update = await first_frame_after_switch(app, "basket", monkeypatch)
        assert isinstance(screen, BasketScreen)
        assert isinstance(update, LayoutUpdate)
        assert f"Basket {basket_id}" in frame_text(update)  # not "No basket yet"


async def test_a_basket_initiated_from_offers_is_drawn_whole_once(tmp_path, sandbox, monkeypatch):
    """ctrl+s on Offers switches to the Basket screen with the new basket: one
    whole frame draws it, and nothing redraws the whole screen after it (the
    screen's own repaint, or its resume's, drew it all a second time)."""
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await basket_built_then_left(app)
        app.screen.query_one(CatalogueTable).focus()
        await pilot.press("enter")  # the first offer, into the pick list
        await settle(pilot)

        frames = drawn_frames(app, monkeypatch)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await until_drawing(app)
        await settle(pilot)
        assert isinstance(app.screen, BasketScreen)
        assert app.screen.table.row_count == 1
        whole = [update for screen, update in frames
                 if screen is app.screen and isinstance(update, LayoutUpdate)]
        assert len(whole) == 1, f"the Basket screen was drawn whole {len(whole)} times"
        (row,) = app.screen.table.shown.values()
        assert " ".join(row[:3]) in " ".join(frame_text(whole[0]).split())  # id, offer, qty


async def test_a_validation_redraws_the_basket_screen_when_it_is_back_not_as_it_leaves(
    tmp_path, sandbox, monkeypatch
):
    """v on Basket moves to Validation once the verdict is in: the Basket
    screen is not redrawn for the verdict on its way out (500 rows, for a
    frame nobody sees), and shows it when it is back."""
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Digital Monthly", 2))
        app.switch_mode("basket")
        await until_drawing(app)
        await settle(pilot)
        basket = app.screen
        assert "Not validated since the last change" in " ".join(screen_text(app).split())

        redraws = []
        redraw = basket._redraw_context
        monkeypatch.setattr(basket, "_redraw_context", lambda: (redraws.append(1), redraw()))
        await pilot.press("v")
        await settle(pilot)
        await until_drawing(app)
        assert app.current_mode == "validation" and redraws == []  # not on its way out

        await pilot.press("f4")
        await until_drawing(app)
        await settle(pilot)
        assert app.screen is basket and redraws == [1]  # once, on its way back
        assert "✓ valid at the last validation" in " ".join(screen_text(app).split())


async def test_the_first_screen_is_drawn_whole_as_the_start_up_batch_ends(
    tmp_path, sandbox, monkeypatch
):
    """Textual lays the first screen out while its start-up batch holds the
    frames and drops that frame: the app draws it whole as the batch ends,
    instead of leaving the terminal blank until something else changes."""
    frames: list[tuple[object, object]] = []
    ended_with: list[int] = []  # frames drawn when the last batch ended
    from tui_app.app import BasketBuilderApp

    draw, end_batch = App._display, BasketBuilderApp._end_batch

    def record(self, screen, update) -> None:
        if update is not None and not self._batch_count:
            frames.append((screen, update))
        draw(self, screen, update)

    def end(self) -> None:
        end_batch(self)
        if not self._batch_count and not ended_with:
            ended_with.append(len(frames))

    monkeypatch.setattr(App, "_display", record)
    monkeypatch.setattr(BasketBuilderApp, "_end_batch", end)
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert ended_with and ended_with[0] >= 1  # drawn within the batch's end
        screen, first = frames[0]
        assert screen is app.screen
        assert isinstance(first, LayoutUpdate) and first.region.size == app.size
        assert "f3 Offers" in frame_text(first)
