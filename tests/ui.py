"""Helpers for Pilot tests: an app on a real sandbox, waiting until it is ready."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from tui_app.app import BasketBuilderApp, make_app
from tui_app.sandbox import SandboxServer
from tui_app.services.connection import EmbeddedSandbox
from tui_app.services.paths import AppPaths


def embedded(server: SandboxServer, stop_with_app: bool = False) -> EmbeddedSandbox:
    org = server.orgs[0]
    return EmbeddedSandbox(
        base_url=server.base_url,
        client_id=org.client_id,
        client_secret=org.client_secret,
        stop=server.stop if stop_with_app else (lambda: None),
    )


def build_app(
    config_dir: Path,
    server: SandboxServer,
    *,
    first_screen: str = "offers",
    profile_name: str | None = None,
) -> BasketBuilderApp:
    """The app as `basket-builder --config-dir DIR` builds it, on ``server``."""
    paths = AppPaths.resolve(config_dir)
    paths.ensure()
    return make_app(
        paths,
        start_sandbox=lambda: embedded(server),
        profile_name=profile_name,
        first_screen=first_screen,
    )


async def settle(pilot: Pilot) -> None:
    """Wait for every worker (API calls included) and the screen updates after them."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def ready(pilot: Pilot) -> BasketBuilderApp:
    """Wait until the sandbox has started, the profile connected and the catalogue loaded."""
    await settle(pilot)
    app = pilot.app
    assert app.workspace.profile is not None, "the app did not connect"
    assert app.workspace.offers, "the catalogue did not load"
    return app
