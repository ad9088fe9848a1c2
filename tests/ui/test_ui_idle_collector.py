"""The app's garbage collections wait until nobody is waiting for it."""

from __future__ import annotations

import asyncio
import gc
import time

from textual import events

from tui_app import idle_collector

from pilot import build_app, initiate, ready, text_of


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
        assert collector.last_activity >= pressed_at  # the app noted it

        before = collector.sweeps
        collector.activity()  # (as the key did, just now: no timer can slip in between)
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


async def test_no_collection_runs_between_a_key_and_its_answer_on_screen(tmp_path, sandbox):
    """Young collections wait while the app answers a key (validate: a call,
    then the verdict drawn), and run once it has been shown."""
    app = build_app(tmp_path, sandbox, first_screen="validation")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Digital Monthly", 1))
        collections: list[int] = []

        def noted(phase: str, info: dict) -> None:
            if phase == "start":
                collections.append(info["generation"])

        collector = app.idle_collector
        before = collector.last_activity
        pilot.app._driver.send_message(events.Key("v", "v"))  # no wait, as a terminal
        deadline = time.monotonic() + 15
        while collector.last_activity == before:  # until the app has the key
            assert time.monotonic() < deadline, "the key never reached the app"
            await asyncio.sleep(0)
        gc.callbacks.append(noted)
        try:
            assert collector.holding and not gc.isenabled()
            while not text_of(app, "#verdict").startswith("✓"):
                assert time.monotonic() < deadline, "no verdict"
                await asyncio.sleep(0.001)
            await pilot.pause(0)  # drawn
            assert collections == []  # the whole answer, without one collection
            assert app.idle_collector.holding and not gc.isenabled()

            deadline = time.monotonic() + 15  # then, a quiet moment: what waited runs
            while app.idle_collector.holding:
                assert time.monotonic() < deadline, "young collections never came back"
                await asyncio.sleep(0.01)
            assert gc.isenabled()
        finally:
            gc.callbacks.remove(noted)
    assert gc.isenabled()


async def test_start_up_keeps_to_young_collections_until_the_app_has_started(tmp_path, sandbox):
    # The command line sets this before it imports the app (cli._run_tui).
    young, middle, _ = gc.get_threshold()
    app = build_app(tmp_path, sandbox)
    idle_collector.young_collections_only_for_start_up()
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            assert gc.isenabled()
            assert gc.get_threshold()[1] == idle_collector.NEVER  # while it starts
            await ready(pilot)
            assert app.idle_collector.started
            assert gc.get_threshold()[:2] == (young, middle)
    finally:
        idle_collector.resume_after_start_up()
    assert gc.isenabled() and gc.get_threshold()[:2] == (young, middle)
