"""The Textual app: four screens over one workspace.

The first screen paints at once; the embedded sandbox starts afterwards in a
thread, then the active profile connects and the catalogue loads in a worker.
Nothing slow runs before the first paint, and nothing blocks on the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from collections.abc import Callable, Iterable

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen

from tui_app.screens.base import AppScreen
from tui_app.screens.modals import HelpScreen, ResumeScreen
from tui_app.services.api.errors import ApiError
from tui_app.services.connection import SANDBOX_PROFILE_NAME, EmbeddedSandbox, ProfileNotUsable
from tui_app.services.store.files import StoreError
from tui_app.services.store.paths import AppPaths
from tui_app.services.store.profiles import ProfileStore
from tui_app.services.store.session import BasketRecord, SessionStore
from tui_app.services.store.settings import DEFAULT_THEME, Settings, load_settings, save_theme
from tui_app.services.workspace import Workspace
from tui_app.themes import load_themes

SandboxStarter = Callable[[], EmbeddedSandbox]

SCREEN_MODULES = {
    "profiles": ("tui_app.screens.profiles", "ProfilesScreen"),
    "offers": ("tui_app.screens.offers", "OffersScreen"),
    "basket": ("tui_app.screens.basket", "BasketScreen"),
    "validation": ("tui_app.screens.validation", "ValidationScreen"),
    "inspector": ("tui_app.screens.inspector", "InspectorScreen"),
    "scenarios": ("tui_app.screens.scenarios", "ScenariosScreen"),
}


def screen_class(mode: str) -> type[Screen]:
    module, name = SCREEN_MODULES[mode]
    return getattr(importlib.import_module(module), name)


def lazy_screen(mode: str) -> Callable[[], Screen]:
    return lambda: screen_class(mode)()


SCREEN_TITLES = {
    "profiles": "Profiles",
    "offers": "Offers",
    "basket": "Basket",
    "validation": "Validation",
    "inspector": "Inspector",
    "scenarios": "Scenarios",
}


class BasketBuilderApp(App[None]):
    TITLE = "basket-builder"
    # Each screen's module is imported when the screen is first shown (and
    # in the background after start-up), so the first paint waits only for
    # the first screen's code.
    MODES = {mode: lazy_screen(mode) for mode in SCREEN_MODULES}
    BINDINGS = [
        # Screen keys live in the nav bar; the footer is left to each screen's actions.
        Binding("f1", "help", "Help", id="app.help", show=False),
        Binding("f2", "go('profiles')", "Profiles", id="app.profiles", show=False),
        Binding("f3", "go('offers')", "Offers", id="app.offers", show=False),
        Binding("f4", "go('basket')", "Basket", id="app.basket", show=False),
        Binding("f5", "go('validation')", "Validation", id="app.validation", show=False),
        Binding("f7", "go('inspector')", "Inspector", id="app.inspector", show=False),
        Binding("f9", "go('scenarios')", "Scenarios", id="app.scenarios", show=False),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True, show=False),
    ]

    busy: reactive[str] = reactive("")
    """What the running API call is doing ("Validating"), or "" when idle."""
    context_version: reactive[int] = reactive(0)
    """Bumped whenever the workspace changes, so every view can redraw."""

    def __init__(
        self,
        *,
        paths: AppPaths,
        workspace: Workspace,
        settings: Settings | None = None,
        profile_name: str | None = None,
        start_sandbox: SandboxStarter | None = None,
        notices: list[str] | None = None,
        first_screen: str = "offers",
    ) -> None:
        super().__init__()
        self.paths = paths
        self.workspace = workspace
        self.settings = settings or Settings()
        self.profile_name = profile_name
        self.start_sandbox = start_sandbox
        self.notices = list(notices or [])
        self.first_screen = first_screen
        self.sandbox_pending = start_sandbox is not None
        self._theme_ready = False

    # ------------------------------------------------------------- start-up

    def on_mount(self) -> None:
        # Saving after each change happens off the event loop; its warnings
        # (a full disk, another window's edits) come back as notifications.
        self._event_loop = asyncio.get_running_loop()
        self.workspace.save_in_background(self._saved_with_notes)
        self._install_themes()
        if self.settings.keys:
            self.set_keymap(self.settings.keys)
        self.switch_mode(self.first_screen)
        self.flush_warnings()
        self.start_up()

    def _install_themes(self) -> None:
        loaded = load_themes(self.paths.themes_dir)
        self.notices.extend(loaded.warnings)
        for theme in loaded.themes.values():
            self.register_theme(theme)
        wanted = self.settings.theme
        if wanted not in self.available_themes:
            self.notices.append(f"theme {wanted!r} is not available; using {DEFAULT_THEME}")
            wanted = DEFAULT_THEME
        self.theme = wanted
        self._theme_ready = True

    def watch_theme(self, theme: str) -> None:
        if not self._theme_ready or theme == self.settings.theme:
            return
        self.settings.theme = theme
        try:
            save_theme(self.paths, theme)
        except StoreError as exc:
            self.notify(f"The theme could not be remembered: {exc}", severity="warning")

    @work(group="startup", exit_on_error=False)
    async def start_up(self) -> None:
        if self.start_sandbox is not None:
            try:
                # In a thread: uvicorn's start-up must not hold up the UI.
                self.workspace.attach_sandbox(await asyncio.to_thread(self.start_sandbox))
            except Exception as exc:  # any failure to start is reported, never fatal
                self.notify(
                    f"The embedded sandbox could not start: {exc}",
                    severity="error",
                    timeout=15,
                )
            finally:
                self.sandbox_pending = False
        name = self.profile_name or self.workspace.session.state.active_profile
        if not name or (name == SANDBOX_PROFILE_NAME and self.workspace.sandbox is None):
            name = SANDBOX_PROFILE_NAME
        await self.connect(name)
        # Import the other screens now, off the event loop, so the first visit
        # to each is as quick as the next.
        for mode in SCREEN_MODULES:
            await asyncio.to_thread(screen_class, mode)

    async def connect(self, name: str) -> bool:
        """Make ``name`` the active profile, load its catalogue, offer to resume."""
        try:
            await self.workspace.activate(name)
        except ProfileNotUsable as exc:
            self.notify(str(exc), title="Profile not usable", severity="error", timeout=10)
            if name != SANDBOX_PROFILE_NAME and self.workspace.sandbox is not None:
                return await self.connect(SANDBOX_PROFILE_NAME)
            self.context_changed()
            return False
        self.context_changed()
        self.busy = "Loading the catalogue"
        try:
            await self.workspace.load_catalogue()
        except ApiError as exc:
            self.notify(exc.summary, title="Catalogue not loaded", severity="error", timeout=10)
            panel = getattr(self.screen, "error_panel", None)
            if panel is not None:
                panel.show_error(exc)
        finally:
            self.busy = ""
            self.context_changed()
        self.offer_resume()
        return True

    def offer_resume(self) -> None:
        current = self.workspace.resumable()
        recent = self.workspace.recent()
        if current is None:
            return
        self.push_screen(ResumeScreen(current, recent), self._resume_chosen)

    def _resume_chosen(self, record: BasketRecord | None) -> None:
        if record is None:
            self.workspace.forget_basket()
            self.context_changed()
            return
        self.resume(record)

    def resume(self, record: BasketRecord) -> None:
        try:
            basket = self.workspace.resume(record)
        except ApiError as exc:
            self.notify(exc.summary, severity="error")
            return
        self.context_changed()
        self.switch_mode("basket")
        if basket.order_unknown:
            self.call_after_refresh(self._reread_resumed)

    def _reread_resumed(self) -> None:
        screen = self.screen
        if isinstance(screen, AppScreen):
            screen.call_api("Re-reading the basket", self.workspace.reread)

    # ------------------------------------------------------------- shared state

    def context_changed(self) -> None:
        self.context_version += 1

    def _saved_with_notes(self, notes: list[str]) -> None:
        """From the saver thread: a save had something to say. Handed over
        without waiting (call_from_thread would hang once the loop stops)."""
        # A closed loop raises RuntimeError: nothing is left to show them on.
        with contextlib.suppress(RuntimeError):
            self._event_loop.call_soon_threadsafe(self._show_notes, notes)

    def _show_notes(self, notes: list[str]) -> None:
        self.notices.extend(notes)
        self.flush_warnings()

    def flush_warnings(self) -> None:
        for message in self.notices + self.workspace.take_warnings():
            self.notify(message, title="Heads up", severity="warning", timeout=12)
        self.notices = []

    # ------------------------------------------------------------- actions

    def action_go(self, mode: str) -> None:
        self.switch_mode(mode)

    def action_help(self) -> None:
        screen = self.screen
        seen: set[str] = set()
        rows: list[tuple[str, str, str]] = []
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.description or (binding.action in seen and not binding.id):
                continue
            seen.add(binding.action)
            rows.append((self.get_key_display(binding), binding.description, binding.id or ""))
        title = SCREEN_TITLES.get(self.current_mode, type(screen).__name__)
        text = getattr(screen, "HELP", "") or "Keys that work here:"
        self.push_screen(HelpScreen(title, text, rows))

    def action_copy(self, text: str, what: str) -> None:
        self.copy_to_clipboard(text)
        # markup=False: copied text is data (ids, links), never styling.
        self.notify(f"Copied {what}: {text}", timeout=4, markup=False)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for mode, title in SCREEN_TITLES.items():
            yield SystemCommand(f"Go to {title}", f"Show the {title} screen", lambda m=mode:
                                self.switch_mode(m))
        basket = self.workspace.basket
        if basket is not None:
            yield SystemCommand(
                "Copy basket id",
                basket.basket_id,
                lambda: self.action_copy(basket.basket_id, "the basket id"),
            )
            yield SystemCommand(
                "Start a new basket", "Forget the current basket (it stays in Recent)",
                self._new_basket,
            )
        if self.workspace.recent():
            yield SystemCommand(
                "Recent baskets…", "Reopen a basket from an earlier session", self._show_recent
            )
        extra = getattr(screen, "palette_commands", None)
        if callable(extra):
            yield from extra()

    def _new_basket(self) -> None:
        self.workspace.forget_basket()
        self.context_changed()
        self.switch_mode("offers")

    def _show_recent(self) -> None:
        self.push_screen(ResumeScreen(None, self.workspace.recent()), self._recent_chosen)

    def _recent_chosen(self, record: BasketRecord | None) -> None:
        if record is not None:
            self.resume(record)

    async def on_unmount(self) -> None:
        await self.workspace.aclose()
        if self.workspace.sandbox is not None:
            await asyncio.to_thread(self.workspace.sandbox.stop)


def make_app(
    paths: AppPaths,
    *,
    start_sandbox: SandboxStarter | None,
    profile_name: str | None = None,
    first_screen: str = "offers",
    workspace_factory: Callable[[ProfileStore, SessionStore], Workspace] = Workspace,
) -> BasketBuilderApp:
    """Build the app from a config location; tests use this with a sandbox
    of their own. Store problems become notices, never exceptions."""
    profiles, session = ProfileStore(paths), SessionStore(paths)
    notices = profiles.load() + session.load()
    settings, setting_warnings = load_settings(paths)
    return BasketBuilderApp(
        paths=paths,
        workspace=workspace_factory(profiles, session),
        settings=settings,
        profile_name=profile_name,
        start_sandbox=start_sandbox,
        notices=notices + setting_warnings,
        first_screen=first_screen,
    )
