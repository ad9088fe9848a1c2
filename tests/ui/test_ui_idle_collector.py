"""The app's full garbage collections wait until nobody is waiting for it."""

from __future__ import annotations

import asyncio
import gc
import time

from pilot import build_app, ready


async def test_full_sweeps_wait_for_a_quiet_app_and_python_gets_them_back_on_exit(
    tmp_path, sandbox
):
    thresholds = gc.get_threshold()
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        collector = app.idle_collector
        assert collector.started
        assert gc.get_threshold()[2] > 10**9
        pressed_at = time.monotonic()
        await pilot.press("down")  # a key: the user is at work
        assert collector.last_input >= pressed_at  # the app noted it

        before = collector.sweeps
        collector.input_seen()  # (as the key did, just now: no timer can slip in between)
        for _ in range(thresholds[2]):
            gc.collect(1)  # a full sweep is due by Python's own rule
        assert not collector.tick()
        assert collector.sweeps == before

        deadline = time.monotonic() + 15  # quiet from now on: the app's own timer sweeps
        while collector.sweeps == before:
            assert time.monotonic() < deadline, "a quiet app never swept"
            await asyncio.sleep(0.05)
        assert gc.get_count()[2] < thresholds[2]
    assert gc.get_threshold() == thresholds
