"""A crash of the TUI, in a real process: the report names the error and where
it happened, shows no variable's value (no secret, no landing-state cookie),
and the process exits non-zero."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
import textwrap

from rich.console import Console

from tui_app.cli import EXIT_CRASHED
from tui_app.crash_report import crash_report
from tui_app.sandbox import SandboxServer
from tui_app.services.store.paths import AppPaths

from sandboxed import connected, named, order

MARKER = "local-value-6c1f0e2a"  # built at run time below: never in any source line shown

# The app as `basket-builder --config-dir DIR` runs it, headless, with one
# workspace method broken: resuming fails after the cookies and secrets are in
# local variables, as they were in the crash this test stands for.
RUNNER = textwrap.dedent(
    """
    import asyncio
    import sys

    from tui_app import cli
    from tui_app.app import BasketBuilderApp
    from tui_app.screens.modals import ResumeScreen
    from tui_app.services.workspace import Workspace

    resume = Workspace.resume

    def broken_resume(self, record):
        basket = resume(self, record)
        landing_state = self.cookies.get(record.basket_id)
        client_secret = self.sandbox.client_secret
        marker = "-".join(["local", "value", "6c1f0e2a"])
        # The message itself holds the cookie too: it is masked, the rest kept.
        raise RuntimeError("simulated failure while resuming with " + str(landing_state))

    Workspace.resume = broken_resume

    async def auto_pilot(pilot):
        for _ in range(3600):  # up to three minutes for the sandbox to start on a busy machine
            if isinstance(pilot.app.screen, ResumeScreen):
                break
            await pilot.pause(0.05)
        await pilot.press("enter")
        for _ in range(200):  # the crash ends the app; the run waits for this
            if not pilot.app.is_running:
                return
            await asyncio.sleep(0.05)
        pilot.app.exit()

    run = BasketBuilderApp.run

    def headless(self, **_options):
        return run(self, headless=True, size=(100, 30), auto_pilot=auto_pilot)

    BasketBuilderApp.run = headless
    sys.exit(cli.main(sys.argv[1:]))
    """
)


async def _earlier_session(config) -> tuple[str, dict[str, str]]:
    """A basket from an earlier session, on the embedded sandbox's own database:
    the sandbox's client secret and the basket's landing-state cookies."""
    paths = AppPaths.resolve(config)
    paths.ensure()
    with SandboxServer(db_path=paths.sandbox_db) as server:
        client_secret = server.orgs[0].client_secret
        workspace = await connected(config, server)
        await workspace.initiate(order(named(workspace, "Digital Monthly")))
        await workspace.aclose()
    return client_secret, workspace.session.state.current.cookies


def test_a_crash_shows_no_values_and_exits_non_zero(tmp_path):
    config = tmp_path / "config"
    client_secret, cookies = asyncio.run(_earlier_session(config))
    assert cookies  # the landing-state cookie the crash must not show

    result = subprocess.run(
        [sys.executable, "-c", RUNNER, "--config-dir", str(config)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    output = result.stdout + result.stderr
    assert "simulated failure while resuming" in output, output  # the report is there
    assert "RuntimeError" in output and "broken_resume" in output
    assert "'limio-landing-state': '***'" in " ".join(output.split())
    assert result.returncode == EXIT_CRASHED
    for value in (MARKER, client_secret, *cookies.values()):
        assert value not in output
    # Nothing else written holds a local variable's value either.
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert MARKER.encode() not in path.read_bytes(), path


def test_the_report_masks_secrets_in_every_message_and_shows_no_locals():
    token = "-".join(["tok", "7f3e9a1c"])

    def fail(token):
        local_copy = token  # a local the report must not show
        try:
            raise KeyError(f"no basket for {local_copy}")
        except KeyError as exc:
            raise ExceptionGroup("several", [ValueError(f"bad {token}"), exc]) from exc

    try:
        fail(token)
    except ExceptionGroup as exc:
        error = exc

    def shown(secrets) -> str:
        console = Console(width=120, record=True, file=io.StringIO())
        console.print(crash_report(error, secrets))
        return console.export_text()

    text = shown({token})
    assert token not in text and "no basket for ***" in text and "bad ***" in text
    assert "local_copy = '" not in text  # the source line is shown, its value never
    # When the secrets cannot be listed, no message is shown at all.
    assert token not in shown(None) and "ValueError" in shown(None)
