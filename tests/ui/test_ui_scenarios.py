"""Scenarios in the TUI: open a file, step through it, watch the basket, record."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Input, Static

from tui_app.widgets.basket_table import BasketTable

from pilot import build_app, ready, settle
from sandboxed import named, order

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def verdicts(app) -> list[str]:
    table = app.screen.query_one("#scenario-steps", DataTable)
    return [str(table.get_row_at(i)[3]) for i in range(table.row_count)]


async def wait_for(pilot, condition, limit: float = 15.0) -> None:
    """Poll instead of waiting for workers: a replay paused between steps is a
    worker that (rightly) does not finish until the user presses n again."""
    import time

    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "the screen did not get there in time"
        await pilot.pause(0.05)


async def open_file(pilot, path: Path) -> None:
    field = pilot.app.screen.query_one("#scenario-path", Input)
    field.focus()
    field.value = str(path)
    await pilot.press("enter")
    await settle(pilot)


async def test_step_through_a_scenario_and_watch_the_basket(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await pilot.press("f9")
        await settle(pilot)
        await open_file(pilot, EXAMPLES / "valid-basket.toml")
        steps = len(verdicts(app))
        assert steps >= 2 and set(verdicts(app)) == {"· pending"}
        await pilot.press("n")
        await wait_for(pilot, lambda: "Paused after step 1" in app.busy)
        assert verdicts(app)[0] == "✓ passed" and verdicts(app)[1] == "· pending"
        assert app.screen.query_one(BasketTable).row_count == 3  # the basket after step 1
        await pilot.press("r")
        await wait_for(pilot, lambda: app.busy == "")
        await settle(pilot)
        assert verdicts(app) == ["✓ passed"] * steps
        assert "all steps passed" in str(app.screen.query_one("#scenario-title", Static).render())
        assert app.busy == ""


async def test_a_broken_file_is_reported_with_its_line_and_nothing_runs(tmp_path, sandbox):
    broken = tmp_path / "broken.toml"
    broken.write_text('version = 1\nname = "x"\n\n[[steps]]\naction = "explode"\n')
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await pilot.press("f9")
        await settle(pilot)
        before = len(app.workspace.log)
        await open_file(pilot, broken)
        shown = str(app.screen.error_panel.render())
        assert "broken.toml:4" in shown or "broken.toml:5" in shown
        await pilot.press("n")
        await settle(pilot)
        assert len(app.workspace.log) == before


async def test_recording_the_session_writes_a_scenario_without_secrets(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        workspace = app.workspace
        await workspace.initiate(order(named(workspace, "Digital Monthly", "Digital Annual")))
        await workspace.validate()
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        recordings = list((tmp_path / "scenarios").glob("recording-*.toml"))
        assert len(recordings) == 1
        text = recordings[0].read_text()
        assert 'action = "initiate"' in text and 'action = "validate"' in text
        org = sandbox.orgs[0]
        assert org.client_secret not in text
        assert workspace.client.auth.current.value not in text
        # ...and it is in the list, ready to replay.
        listing = [str(o.prompt) for o in app.screen.query_one("#scenario-list").options]
        assert any("recording-" in entry for entry in listing)
