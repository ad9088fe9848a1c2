"""The Textual app. For now a single status screen: it paints at once, then
starts the embedded sandbox (or connects the chosen profile) in the
background and reads the catalogue, showing each step as it happens."""

from __future__ import annotations

from collections.abc import Callable

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Header, Static

from tui_app.services.client import CheckoutClient
from tui_app.services.connection import (
    EmbeddedSandbox,
    ProfileNotUsable,
    build_client,
)
from tui_app.services.errors import ApiError
from tui_app.services.exchange import ExchangeLog
from tui_app.services.paths import AppPaths
from tui_app.services.profiles import ProfileStore
from tui_app.services.session import SessionStore

SandboxStarter = Callable[[], EmbeddedSandbox]


class BasketBuilderApp(App[None]):
    TITLE = "basket-builder"
    CSS = """
    #status { padding: 1 2; }
    #badge { dock: top; height: 1; padding: 0 2; background: $warning; color: $text; }
    """
    BINDINGS = [Binding("q", "quit", "Quit", id="app.quit")]

    def __init__(
        self,
        *,
        paths: AppPaths,
        profiles: ProfileStore,
        session: SessionStore,
        profile_name: str | None = None,
        start_sandbox: SandboxStarter | None = None,
        notices: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.paths = paths
        self.profiles = profiles
        self.session = session
        self.profile_name = profile_name
        self.start_sandbox = start_sandbox
        self.notices = notices or []
        self.log_book = ExchangeLog(keep_raw=True)
        self.sandbox: EmbeddedSandbox | None = None
        self.client: CheckoutClient | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        if self.profile_name is None:
            yield Static("SANDBOX — embedded, no credentials needed", id="badge")
        with Vertical():
            yield Static("Starting…", id="status")
        yield Footer()

    def on_mount(self) -> None:
        for notice in self.notices:
            self.notify(notice, severity="warning", timeout=10)
        self.connect()

    def _say(self, text: str) -> None:
        self.query_one("#status", Static).update(text)

    @work(exclusive=True, group="connect")
    async def connect(self) -> None:
        try:
            if self.profile_name is None:
                if self.start_sandbox is None:
                    self._say("No sandbox available and no profile chosen.")
                    return
                self._say("Starting the embedded sandbox…")
                self.sandbox = await self._start_sandbox_in_thread()
                profile, secrets = self.sandbox.profile()
            else:
                profile = self.profiles.get(self.profile_name)
                if profile is None:
                    self._say(f"No profile named {self.profile_name!r}.")
                    return
                secrets = self.profiles.secrets_for(profile.name)
            self.client = build_client(profile, secrets, log=self.log_book)
            self._say(f"Connecting to {profile.name} ({self.client.endpoint.api_base})…")
            offers = await self.client.all_offers()
        except ProfileNotUsable as exc:
            self._say(f"This profile cannot be used yet: {exc}")
            return
        except ApiError as exc:
            self._say(f"{exc.summary}")
            return
        except Exception as exc:  # the sandbox failed to start: say so, don't crash
            self._say(f"Could not start: {exc}")
            return
        names = ", ".join(offer.display_name for offer in offers[:5])
        self._say(
            f"Connected to {profile.name} at {self.client.endpoint.api_base}\n"
            f"{len(offers)} offers in the catalogue: {names}…\n\n"
            "The basket screens arrive in the next release. Press q to quit."
        )

    async def _start_sandbox_in_thread(self) -> EmbeddedSandbox:
        import asyncio

        assert self.start_sandbox is not None
        return await asyncio.to_thread(self.start_sandbox)

    async def on_unmount(self) -> None:
        if self.client is not None:
            await self.client.aclose()
        if self.sandbox is not None:
            self.sandbox.stop()
