"""The app's full garbage collections wait until nobody is waiting for it."""

from __future__ import annotations

import asyncio
import gc

from tui_app import idle_collector

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
        for _ in range(idle_collector.DUE_AFTER):
            gc.collect(1)
        await pilot.press("down")  # a key: the user is at work
        assert not collector.tick()
        assert collector.sweeps == 0
        await asyncio.sleep(idle_collector.IDLE_FOR + 2 * idle_collector.CHECK_EVERY)
        assert collector.sweeps >= 1  # quiet for a moment: the app's own timer swept
        assert gc.get_count()[2] < idle_collector.DUE_AFTER
    assert gc.get_threshold() == thresholds
