"""The embedded sandbox's process dies under the app: the app notices, says so
plainly (not "connection refused"), and starts it again on request — with the
basket, which lives in the sandbox's database, still there."""

from __future__ import annotations

import os
import signal

from textual.widgets import Static

from tui_app.app import make_app
from tui_app.cli import _start_embedded_sandbox
from tui_app.services.store.paths import AppPaths
from tui_app.widgets.context_bar import ContextBar
from tui_app.widgets.error_panel import ErrorPanel

from pilot import initiate, ready, settle


def kill(pid: int) -> None:
    # SIGKILL where there is one; elsewhere (Windows) the hardest end there is.
    os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))


async def test_a_dead_sandbox_is_reported_and_restarted_with_the_basket_kept(tmp_path):
    paths = AppPaths.resolve(tmp_path)
    paths.ensure()
    app = make_app(paths, start_sandbox=_start_embedded_sandbox(paths), first_screen="basket")
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        ids = await initiate(pilot, ("Digital Monthly", 2), ("Digital Annual", 1))
        sandbox = app.workspace.sandbox
        kill(sandbox.pid)
        for _ in range(100):
            if app.workspace.sandbox_stopped:
                break
            await pilot.pause(0.05)

        await pilot.press("v")  # a call to the dead sandbox
        await settle(pilot)
        panel = str(app.screen.query_one(ErrorPanel).render())
        assert "The embedded sandbox stopped" in panel, panel
        assert "press ^g" in panel and "to start it again" in panel
        assert "Connection refused" not in panel
        await pilot.pause(1.2)  # the watch has noticed it by now, with or without a call
        assert any("The embedded sandbox stopped" in str(n.message) for n in app._notifications)
        top = str(app.screen.query_one(ContextBar).render())
        assert "SANDBOX STOPPED" in top and "^g starts it again" in top
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Start the embedded sandbox again" in titles

        await pilot.press("ctrl+g")
        await settle(pilot)
        assert app.workspace.sandbox is not sandbox and not app.workspace.sandbox_stopped
        assert [item.id for item in app.workspace.basket.items] == ids  # still there
        assert not app.workspace.basket.cached  # and read back from the new process
        top = str(app.screen.query_one(ContextBar).render())
        assert "SANDBOX" in top and "STOPPED" not in top
        assert not app.screen.query_one(ErrorPanel).has_class("shown")
        assert any("running again; the basket is still there" in str(n.message)
                   for n in app._notifications)

        await pilot.press("v")  # calls work again
        await settle(pilot)
        assert app.current_mode == "validation"
        assert "✓" in str(app.screen.query_one("#verdict", Static).render())
