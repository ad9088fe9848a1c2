"""A key that calls the API: a quick reply is drawn in the same frame as the
key's own changes, a slow one never leaves the screen behind for long."""

from __future__ import annotations

import asyncio
import time

from textual import events

from tui_app import repaint_hold
from tui_app.sandbox import SandboxServer
from tui_app.sandbox.faults import FaultPlan

from pilot import build_app, initiate, ready, text_of


def frames_drawn(app) -> list[str]:
    """Each frame the app sends to the terminal from now on, as the verdict
    it showed then (a headless app draws nothing: its drawing is counted)."""
    frames: list[str] = []
    draw = app._display

    def counted(screen, renderable) -> None:
        if renderable is not None and not app._batch_count:
            verdict = screen.query("#verdict")
            frames.append(str(verdict.first().render()) if verdict else "")
        draw(screen, renderable)

    app._display = counted
    return frames


async def validate_a_basket(pilot) -> tuple[list[str], float]:
    """With a one-line basket on the Basket screen, v, sent as a terminal
    sends it: every frame drawn until one showed the verdict (see
    frames_drawn), and how long that took."""
    app = pilot.app
    await ready(pilot)
    await initiate(pilot, ("Digital Monthly", 1))
    app.switch_mode("basket")
    await pilot.pause()
    frames = frames_drawn(app)
    started = time.monotonic()
    app._driver.send_message(events.Key("v", "v"))  # no wait, as a terminal
    deadline = started + 15
    while not (frames and frames[-1].startswith("✓")):
        assert time.monotonic() < deadline, f"no verdict drawn: {frames}"
        await asyncio.sleep(0.001)
    return frames, time.monotonic() - started


async def test_a_quick_reply_is_drawn_in_the_frame_that_shows_the_key_was_taken(
    tmp_path, sandbox, monkeypatch
):
    # However slow this machine, the hold outlasts the reply here.
    monkeypatch.setattr(repaint_hold, "HOLD_MAX", 30.0)
    app = build_app(tmp_path, sandbox, first_screen="validation")
    async with app.run_test(size=(100, 30)) as pilot:
        frames, _took = await validate_a_basket(pilot)
        # No frame in between, saying "Validating…": the first one drawn has the verdict.
        assert all(frame.startswith("✓") for frame in frames), frames
        assert app._batch_count == 0  # and nothing is held once it is drawn
        assert text_of(app, "#verdict").startswith("✓")


async def test_a_slow_reply_leaves_the_screen_drawn_meanwhile(tmp_path):
    with SandboxServer(faults=FaultPlan(latency_ms=(400, 400))) as slow:
        app = build_app(tmp_path, slow, first_screen="validation")
        async with app.run_test(size=(100, 30)) as pilot:
            frames, took = await validate_a_basket(pilot)
            assert took >= 0.4
            # The frame showing the app at work came while the server waited.
            assert len(frames) >= 2 and not frames[0].startswith("✓"), frames
            assert app._batch_count == 0


async def test_a_hold_lets_go_once_and_by_itself(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        release = repaint_hold.hold_repaint(app)
        assert app._batch_count == 1
        release()
        release()  # a second call changes nothing (the count never goes below)
        assert app._batch_count == 0

        repaint_hold.hold_repaint(app)  # never released by its caller
        assert app._batch_count == 1
        deadline = time.monotonic() + 5
        while app._batch_count:
            assert time.monotonic() < deadline, "a hold was never let go"
            await asyncio.sleep(0.01)
