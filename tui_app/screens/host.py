"""What the screens need of the app that hosts them, as a protocol: the
screens depend on this, not on the app class, so neither imports the other."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from tui_app.services.store.paths import AppPaths
    from tui_app.services.workspace import Workspace


class ScreenHost(Protocol):
    workspace: Workspace
    paths: AppPaths
    busy: str  # what the app is waiting for, in words; "" when idle
    sandbox_pending: bool  # the embedded sandbox is still starting

    def context_changed(self) -> None:
        """The workspace changed: every screen that follows it redraws."""

    def flush_warnings(self) -> None:
        """Show the warnings the store collected (files set aside, saves refused)."""

    async def connect(self, name: str) -> bool:
        """Make ``name`` the active profile and load its catalogue."""

    def notify_busy(self, then: str = "") -> None:
        """Say that a key did nothing because a call is still on its way."""

    def action_copy(self, text: str, what: str) -> None:
        """Put ``text`` on the clipboard and say what was copied."""

    def switch_mode(self, mode: str) -> Any:
        """Show the main screen ``mode`` (profiles, offers, basket …)."""

    def after_first_frame(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` once the app's first frame is on the terminal."""
