"""The Textual app: four screens over one workspace.

The first screen paints at once; the embedded sandbox starts afterwards in a
thread, then the active profile connects and the catalogue loads in a worker.
Nothing slow runs before the first paint, and nothing blocks on the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from rich.segment import Segments
from rich.text import Text
from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette, DiscoveryHit, Hit, Hits
from textual.content import Content
from textual.css.errors import StylesheetError
from textual.css.tokenizer import TokenError
from textual.dom import DOMNode
from textual.markup import escape
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.theme import ThemeProvider
from textual.widget import AwaitMount

from tui_app.formatting import NAME_MAX, shown
from tui_app.idle_collector import ANSWERED_QUIET as IDLE_ANSWERED_QUIET
from tui_app.idle_collector import CHECK_EVERY as IDLE_CHECK_EVERY
from tui_app.idle_collector import START_UP_YOUNG_ONLY_MAX, IdleCollector
from tui_app.idle_collector import resume_after_start_up as resume_collector_after_start_up
from tui_app.keymap import check_keymap, keymap_clashes, known_binding_ids
from tui_app.lean_imports import import_api_client
from tui_app.screen_switch import SwitchHold, draw_whole_now
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
from tui_app.strip_caches import make_strip_caches_lazy
from tui_app.themes import load_themes, theme_problem
from tui_app.widgets.key_bar import key_display

SandboxStarter = Callable[[], EmbeddedSandbox]
CURRENT_MARK = "✓ current"


class MarkedThemes(ThemeProvider):
    """Textual's theme list, the theme in use marked "✓ current". Theme names
    can come from files in the themes folder: shown as text, never markup."""

    def _display(self, name: str, display: Content | None = None) -> Content:
        display = display if display is not None else Content(shown(name, 40))
        if name == self.app.theme:
            return Content.assemble(display, (f"  {CURRENT_MARK}", "bold"))
        return display

    async def discover(self) -> Hits:
        for name, callback in self.commands:
            yield DiscoveryHit(self._display(name), callback, text=name)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback in self.commands:
            if (match := matcher.match(name)) > 0:
                display = self._display(name, matcher.highlight(shown(name, 40)))
                yield Hit(match, display, callback, text=name)

SCREEN_MODULES = {
    "profiles": ("tui_app.screens.profiles", "ProfilesScreen"),
    "offers": ("tui_app.screens.offers", "OffersScreen"),
    "basket": ("tui_app.screens.basket", "BasketScreen"),
    "validation": ("tui_app.screens.validation", "ValidationScreen"),
    "inspector": ("tui_app.screens.inspector", "InspectorScreen"),
    "scenarios": ("tui_app.screens.scenarios", "ScenariosScreen"),
}
# Imported in the background once started: the screens a basket's keys lead
# to, so that a first initiate, update or validate does not wait for its
# screen's code. The others load when first shown (2-12 ms of imports): with
# the widgets only they use, they were ~1.7 MiB of the app's peak memory
# (VmHWM, 500-item basket benchmark).
PREFETCHED_SCREENS = ("offers", "basket", "validation")


def screen_class(mode: str) -> type[Screen]:
    module, name = SCREEN_MODULES[mode]
    return getattr(importlib.import_module(module), name)


def lazy_screen(mode: str) -> Callable[[], Screen]:
    return lambda: screen_class(mode)()


READING_BACK = "Reading the basket back from the server"

SCREEN_TITLES = {
    "profiles": "Profiles",
    "offers": "Offers",
    "basket": "Basket",
    "validation": "Validation",
    "inspector": "Inspector",
    "scenarios": "Scenarios",
}


FIRST_FRAME_AT_THE_LATEST = 3.0  # seconds


class BasketBuilderApp(App[None]):
    TITLE = "basket-builder"
    # Notices take their own rows just above the key bar, for as long as they
    # show, instead of floating over whatever the user is working with (the
    # staged actions, a form's last field, a dialog's buttons). Ids, because
    # Textual's own rules for these widgets win a tie with ours.
    DEFAULT_CSS = """
    #textual-toastrack {
        layer: default; dock: bottom; margin-bottom: 1; align: left bottom;
        max-height: 8;
    }
    #textual-toastrack ToastHolder { align-horizontal: left; }
    #textual-toastrack Toast { width: 1fr; max-width: 100%; margin-top: 0; padding: 0 1; }
    """
    # Each screen's module is imported when the screen is first shown (or in
    # the background after start-up, PREFETCHED_SCREENS), so the first paint
    # waits only for the first screen's code.
    MODES = {mode: lazy_screen(mode) for mode in SCREEN_MODULES}
    BINDINGS = [
        # Screen keys live in the nav bar; the footer is left to each screen's actions.
        Binding("f1", "help", "Help", id="app.help", show=False, priority=True),
        Binding("f2", "go('profiles')", "Profiles", id="app.profiles", show=False),
        Binding("f3", "go('offers')", "Offers", id="app.offers", show=False),
        Binding("f4", "go('basket')", "Basket", id="app.basket", show=False),
        Binding("f5", "go('validation')", "Validation", id="app.validation", show=False),
        Binding("f7", "go('inspector')", "Inspector", id="app.inspector", show=False),
        Binding("f9", "go('scenarios')", "Scenarios", id="app.scenarios", show=False),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True, show=False),
        Binding("ctrl+g", "restart_sandbox", "Start the embedded sandbox again",
                id="app.restart_sandbox", show=False),
    ]

    # Neither repaints by itself: the views that show them watch them and
    # redraw their own lines. A repainting app reactive repaints the whole
    # screen, and did so on every call before its request went out (15-20 ms
    # on the Offers screen, profile).
    busy: reactive[str] = reactive("", repaint=False)
    """What the running API call is doing ("Validating"), or "" when idle."""
    context_version: reactive[int] = reactive(0, repaint=False)
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
        make_strip_caches_lazy()  # before the first line is drawn (see strip_caches)
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
        self._theme_files: dict[str, Path] = {}  # user themes: name -> file
        self._theme_checks: dict[str, tuple[object, str | None]] = {}
        self._good_theme: str | None = None  # the last theme the stylesheet took
        self._key_problems: list[str] = []
        self._crash: BaseException | None = None
        self._sandbox_down = False  # its stop was noticed and reported
        self._first_frame_out = False
        self._after_first_frame: list[Callable[[], object]] = []
        self.idle_collector = IdleCollector(busy=lambda: bool(self.busy))
        self._answer_pending = False  # an idle_collector.answered() is scheduled
        self._switch_hold = SwitchHold(self)

    # ------------------------------------------------------------- start-up

    def on_mount(self) -> None:
        # Saving after each change happens off the event loop; its warnings
        # (a full disk, another window's edits) come back as notifications.
        self._event_loop = asyncio.get_running_loop()
        self.workspace.save_in_background(self._saved_with_notes)
        self._install_themes()
        self._install_keymap()
        self.switch_mode(self.first_screen)
        self.flush_warnings()
        self.start_up()
        # Should a driver never report a frame, what waits for it still comes.
        self.set_timer(FIRST_FRAME_AT_THE_LATEST, self._first_frame_written)
        # However long start-up takes (a slow tenant), collections come back.
        self.set_timer(START_UP_YOUNG_ONLY_MAX, resume_collector_after_start_up)
        if self.start_sandbox is not None:
            self.set_interval(1.0, self._watch_sandbox)

    def switch_mode(self, mode: str) -> AwaitMount:
        if mode == self.current_mode or mode not in self._screen_stacks:
            return super().switch_mode(mode)  # a new screen: Textual's delay masks its building
        # A built screen is drawn once it has caught up (see screen_switch).
        return self._switch_hold.switch(self._screen_stacks[mode][-1],
                                        lambda: super(BasketBuilderApp, self).switch_mode(mode))

    def delay_update(self, delay: float = 0.05) -> None:
        if not self._switch_hold.holding:
            super().delay_update(delay)

    def _display(self, screen: Screen, renderable: Any) -> None:
        if renderable is not None and screen is self.screen:
            self._switch_hold.frame_ready(renderable)
        # Textual holds back every frame until its start-up batch ends, and
        # runs after-refresh callbacks meanwhile: only here is it known that a
        # frame has really gone to the terminal.
        super()._display(screen, renderable)
        if renderable is not None and not self._batch_count:
            self._first_frame_written()

    def _end_batch(self) -> None:
        super()._end_batch()
        # The first screen is laid out while Textual's start-up batch holds
        # the frames, and the frame of that layout is then dropped, not drawn
        # later: nothing showed until the screen's next update tick, behind
        # the rest of start-up's work (20 ms after the batch in a pty, 100 ms
        # in a test). Drawn whole as the batch ends.
        if not self._batch_count and not self._first_frame_out and self.screen_stack:
            draw_whole_now(self.screen)

    def _first_frame_written(self) -> None:
        if self._first_frame_out:
            return
        self._first_frame_out = True
        callbacks, self._after_first_frame = self._after_first_frame, []
        for callback in callbacks:
            callback()

    def _prune(self, *nodes: Any, parent: DOMNode | None = None) -> Any:
        # A closed dialog, once removed, has Textual lay out the whole screen
        # below it again (10-30 ms, profile: it landed on the reply of the
        # quantity change it had asked for). Nothing of that screen moved:
        # its own pending layouts still run when it is shown (Textual keeps
        # them for the screen in view), a new terminal size is handled as it
        # resumes, and the mouse's hover is updated by its next paint.
        if parent is self and nodes and all(isinstance(node, ModalScreen) for node in nodes):
            parent = None
        return super()._prune(*nodes, parent=parent)

    def update_styles(self, node: DOMNode, animate: bool = True) -> None:
        # Textual restyles a widget whenever one of its classes changes, even
        # in its __init__ (Input's compact and validity, Button's flat...),
        # before it is in the DOM, and again when it is mounted: the first
        # pass is wasted, and the order pane's widgets spent most of their
        # creation time in it. A widget not yet attached is styled when it is.
        if node.is_attached:
            super().update_styles(node, animate)

    def after_first_frame(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` (quick, it may only schedule work) once the first
        frame has been drawn, or now if it has been."""
        if self._first_frame_out:
            callback()
        else:
            self._after_first_frame.append(callback)

    # ------------------------------------------------------------- themes

    def _install_themes(self) -> None:
        loaded = load_themes(self.paths.themes_dir)
        self.notices.extend(loaded.warnings)
        self._theme_files = dict(loaded.user_files)
        for theme in loaded.themes.values():
            self.register_theme(theme)
        wanted = self.settings.theme
        if wanted not in self.available_themes:
            self.notices.append(f"theme {wanted!r} is not available; using {DEFAULT_THEME}")
            wanted = DEFAULT_THEME
        elif (problem := self.theme_problem(wanted)) is not None:
            # Chosen in an earlier session, broken since: start on the default
            # instead of dying at every start.
            self.unregister_theme(wanted)
            self.notices.append(
                f"theme {wanted!r} cannot be used ({self._theme_source(wanted)}: {problem}); "
                f"using {DEFAULT_THEME}"
            )
            wanted = DEFAULT_THEME
        self.theme = wanted
        self._theme_ready = True

    def theme_problem(self, name: str) -> str | None:
        """Why the theme called ``name`` cannot be used, or None. Themes from the
        user's folder are tried on a copy of the stylesheet (once each); those
        shipped with the app or with Textual are checked by the test suite."""
        theme = self.get_theme(name)
        if theme is None or name not in getattr(self, "_theme_files", {}):
            return None
        checked = self._theme_checks.get(name)
        if checked is None or checked[0] is not theme:
            checked = (theme, theme_problem(self, theme))
            self._theme_checks[name] = checked
        return checked[1]

    def _theme_source(self, name: str) -> str:
        path = self._theme_files.get(name)
        return f"themes/{path.name}" if path is not None else "theme"

    def validate_theme(self, theme: str) -> str:
        """Every change of theme (the palette, a script) is checked before it
        is applied or saved; a broken one is reported, taken off the list, and
        the theme in use stays."""
        if not getattr(self, "_theme_ready", False):
            return theme  # start-up: _install_themes has checked it
        problem = self.theme_problem(theme)
        if problem is None:
            return theme
        self.notify(
            f"Theme {theme!r} cannot be used — {self._theme_source(theme)}: {problem}. "
            f"Still using {self.theme!r}.",
            title="Theme not applied", severity="error", timeout=15, markup=False,
        )
        self.unregister_theme(theme)
        return self.theme

    def refresh_css(self, animate: bool = True) -> None:
        # The last line of defence: a theme that passed the check but still
        # breaks the stylesheet is rolled back rather than ending the app.
        try:
            super().refresh_css(animate)
        except (StylesheetError, TokenError) as exc:
            broken, good = self.theme, self._good_theme
            if good is None or broken == good:
                raise
            self.notify(
                f"Theme {broken!r} broke the stylesheet ({exc}); back to {good!r}.",
                title="Theme not applied", severity="error", timeout=15, markup=False,
            )
            self.unregister_theme(broken)
            self.theme = good
        else:
            self._good_theme = self.theme

    def watch_theme(self, theme: str) -> None:
        if not self._theme_ready or theme == self.settings.theme:
            return
        self.settings.theme = theme
        try:
            save_theme(self.paths, theme)
        except StoreError as exc:
            self.notify(f"The theme could not be remembered: {exc}", severity="warning")

    # ------------------------------------------------------------- keys

    def _install_keymap(self) -> None:
        """settings.toml's [keys], checked: keys that are no key are dropped
        now; ids that name no binding are found once every screen is loaded
        (that happens in the background), and both are reported then."""
        if self.settings.keys:
            keymap, self._key_problems = check_keymap(self.settings.keys)
            if keymap:
                self.set_keymap(keymap)
                # Also on the app's own bindings, which the nav bar reads, so
                # it shows the keys in use rather than the defaults.
                self._bindings.apply_keymap(self._keymap)
            self._check_binding_ids()
        key = key_display(self, "app.restart_sandbox")
        self.workspace.sandbox_restart_hint = (
            f"press {key} (or ctrl+p → Start the embedded sandbox again) to start it again; "
            "the basket is kept in its database"
        )

    @work(group="keys", exit_on_error=False)
    async def _check_binding_ids(self) -> None:
        for mode in SCREEN_MODULES:
            await asyncio.to_thread(screen_class, mode)
        known = known_binding_ids()
        problems = list(self._key_problems)
        for binding_id in self.settings.keys:
            if binding_id in known:
                continue
            self._keymap.pop(binding_id, None)
            import difflib  # only for a misspelt binding id, never before the first paint

            close = difflib.get_close_matches(binding_id, sorted(known), n=1)
            problems.append(
                f'"{binding_id}": no binding has this id — ignored'
                + (f" (did you mean {close[0]}?)" if close else "")
            )
        problems.extend(keymap_clashes(self._keymap))
        self._key_problems = []
        if problems:
            count = f"{len(problems)} problem{'' if len(problems) == 1 else 's'}"
            self.notify(
                "\n".join([
                    f"{self.paths.settings_file.name} [keys]: {count}",
                    *(f"• {problem}" for problem in problems),
                    "F1 lists the keys and binding ids of each screen.",
                ]),
                title="Key bindings", severity="warning", timeout=20, markup=False,
            )

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
        # The client and httpx load in a thread: imported by the first connect
        # on the event loop, they held up the keys pressed meanwhile.
        await asyncio.to_thread(import_api_client)
        await self.connect(name)
        # Import the basket's screens now, off the event loop, so the first
        # visit to each is as quick as the next.
        for mode in PREFETCHED_SCREENS:
            await asyncio.to_thread(screen_class, mode)
        # What start-up built (modules, the catalogue, screens) lives as long
        # as the app: out of the collector's way, a full sweep walks only
        # what came later (profile: sweeps of ~135k objects, 150-300 ms, landed
        # in one key press in four).
        resume_collector_after_start_up()
        gc.freeze()
        # And the full sweeps of what comes later wait for a quiet moment.
        self.idle_collector.start()
        self.set_interval(IDLE_CHECK_EVERY, self.idle_collector.tick)

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
        """Reopen a basket: shown at once as cached, marked so, and read back
        from the server before anything can be sent to it (the cache may be
        behind: another window, or a reply this app was killed before saving)."""
        if self.busy:
            self.notify_busy(", then reopen the basket")
            return
        try:
            self.workspace.resume(record)
        except ApiError as exc:
            self.notify(exc.summary, severity="error")
            return
        self.read_back()
        self.switch_mode("basket")

    def read_back(self) -> None:
        """Read the current basket back from the server, in the background. The
        app is busy from this moment, so nothing else is sent before it."""
        self.busy = READING_BACK
        self.context_changed()
        self.run_worker(self._read_back(), group="api", exit_on_error=False)

    async def _read_back(self) -> None:
        self.busy = READING_BACK
        basket = self.workspace.basket
        before = None
        if basket is not None and not basket.order_unknown:
            before = ([(i.id, i.quantity) for i in basket.items], basket.order.total_amount)
        try:
            if basket is not None:
                await self.workspace.reread()
        except ApiError as exc:
            self._show_error(exc)
            key = key_display(self, "basket.refresh", "r")
            self.notify(
                f"The basket could not be read back from the server ({exc.summary}). "
                f"It is shown as cached by the last session; press {key} to try again.",
                title="Cached copy", severity="warning", timeout=12, markup=False,
            )
        else:
            self._show_error(None)
            after = self.workspace.basket
            if before is not None and after is basket and before != (
                [(i.id, i.quantity) for i in basket.items], basket.order.total_amount
            ):
                self.notify(
                    "The basket had changed on the server since it was cached: "
                    "showing the server's copy.",
                    title="Basket read back", severity="warning", timeout=10,
                )
        finally:
            self.busy = ""
            self.context_changed()
            self.flush_warnings()

    def _show_error(self, error: Exception | None) -> None:
        """On the error panel of the screen in view, if it has one (None clears it)."""
        screen = self.screen
        if not isinstance(screen, AppScreen) or not screen.is_mounted:
            return
        with contextlib.suppress(Exception):  # a screen still composing has no panel yet
            if error is None:
                screen.error_panel.clear()
            else:
                screen.error_panel.show_error(error)

    # ------------------------------------------------------------- the sandbox

    def _watch_sandbox(self) -> None:
        """Every second: has the embedded sandbox's process ended? (Cheap: a
        non-blocking wait on the child.) Reported once, until it is restarted."""
        if self._sandbox_down or self.sandbox_pending or not self.workspace.sandbox_stopped:
            return
        self._sandbox_down = True
        error = self.workspace.sandbox_stopped_error()
        self.notify(f"{error.message} — {error.hint}", title="Sandbox stopped",
                    severity="error" if self.workspace.is_sandbox else "warning", timeout=30,
                    markup=False)
        if self.workspace.is_sandbox:
            self._show_error(error)
        self.context_changed()

    def action_restart_sandbox(self) -> None:
        if self.start_sandbox is None:
            self.notify("This run has no embedded sandbox.", timeout=4)
        elif self.sandbox_pending:
            self.notify("The embedded sandbox is starting — a moment.", timeout=4)
        elif self.workspace.sandbox is not None and not self.workspace.sandbox_stopped:
            self.notify("The embedded sandbox is running.", timeout=4)
        elif self.busy:
            self.notify_busy()
        else:
            self.sandbox_pending = True
            self.busy = "Starting the embedded sandbox"
            self.context_changed()
            self._restart_sandbox()

    @work(group="sandbox", exit_on_error=False)
    async def _restart_sandbox(self) -> None:
        assert self.start_sandbox is not None
        old = self.workspace.sandbox
        try:
            if old is not None:
                await asyncio.to_thread(old.stop)  # what is left of it: its pipes
            try:
                sandbox = await asyncio.to_thread(self.start_sandbox)
            except Exception as exc:  # reported, never fatal (as at start)
                self.notify(f"The embedded sandbox could not start: {exc}",
                            severity="error", timeout=15, markup=False)
                return
            await self.workspace.replace_sandbox(sandbox)
            self._sandbox_down = False
        finally:
            self.sandbox_pending = False
            self.busy = ""
            self.context_changed()
        self._show_error(None)
        if self.workspace.profile is None:
            await self.connect(SANDBOX_PROFILE_NAME)  # it had never started
            return
        if not self.workspace.is_sandbox:
            self.notify("The embedded sandbox is running again.", timeout=5)
            return
        if not self.workspace.offers:
            self.busy = "Loading the catalogue"
            try:
                await self.workspace.load_catalogue()
            except ApiError as exc:
                self._show_error(exc)
            finally:
                self.busy = ""
                self.context_changed()
        if self.workspace.basket is not None:
            await self._read_back()
        self.notify(
            "The embedded sandbox is running again"
            + ("; the basket is still there." if self.workspace.basket is not None else "."),
            timeout=6,
        )

    # ------------------------------------------------------------- shared state

    def watch_busy(self, _busy: str) -> None:
        # A call starting or ending: the screen is about to change for it.
        self._user_waits()

    def _user_waits(self) -> None:
        """Garbage collection waits until the screen shows what the user
        waits for (see idle_collector)."""
        self.idle_collector.activity()
        if not self._answer_pending:
            self._answer_pending = True
            self.call_after_refresh(self._answered)

    def _answered(self) -> None:
        self._answer_pending = False
        self.set_timer(IDLE_ANSWERED_QUIET, self.idle_collector.answered)

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
        """F1: the screen's own keys and the app's first (with their binding
        ids), then the focused widget's generic ones (moving in a table…).
        F1 is a priority key, answered before the focused widget sees it (it
        waited behind the Offers form's mounting at start-up); on the help
        dialog itself it closes it."""
        screen = self.screen
        if isinstance(screen, HelpScreen):
            screen.dismiss()
            return
        seen: set[str] = set()
        rows: list[tuple[str, str, str]] = []
        extra: list[tuple[str, str, str]] = []
        generic: list[tuple[str, str]] = []
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.description or (binding.action in seen and not binding.id):
                continue
            seen.add(binding.action)
            key = self.get_key_display(binding)
            if binding.id:
                rows.append((key, binding.description, binding.id))
            elif isinstance(active.node, App):  # Textual's own app keys: the palette
                extra.append((key, binding.description, ""))
            else:  # a widget's or Textual's screen keys: moving, focus, copying
                generic.append((key, binding.description))
        title = SCREEN_TITLES.get(self.current_mode, type(screen).__name__)
        text = getattr(screen, "HELP", "") or "Keys that work here:"
        self.push_screen(HelpScreen(title, text, rows + extra, generic))

    def action_copy(self, text: str, what: str) -> None:
        """Put ``text`` on the clipboard as it is, and say so with it shown as
        text (an id or a link from the tenant is data, never markup)."""
        self.copy_to_clipboard(text)
        self.notify(f"Copied {what}: {shown(text)}", timeout=4)

    def notify_busy(self, then: str = "") -> None:
        """Why a key did nothing: a call is still on its way."""
        self.notify(f"Still {shown(self.busy.lower(), NAME_MAX)} — wait for the reply{then}.",
                    timeout=3)

    def notify(self, message: str, *, title: str = "", markup: bool = False,
               **options: Any) -> None:
        """Every toast is plain text: messages carry ids, names, file paths and
        a server's own words, which are data and never markup. Line breaks are
        kept; any other control character is shown as a visible symbol."""
        plain = "\n".join(shown(line) for line in str(message).split("\n"))
        super().notify(plain, title=shown(title), markup=markup, **options)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for mode, title in SCREEN_TITLES.items():
            yield SystemCommand(f"Go to {title}", f"Show the {title} screen", lambda m=mode:
                                self.switch_mode(m))
        basket = self.workspace.basket
        if basket is not None:
            yield SystemCommand(
                "Copy basket id",
                escape(shown(basket.basket_id, 60)),  # the palette reads help as markup
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
        if self.start_sandbox is not None and (
            self.workspace.sandbox is None or self.workspace.sandbox_stopped
        ) and not self.sandbox_pending:
            yield SystemCommand(
                "Start the embedded sandbox again",
                "It stopped (or never started); the basket is kept in its database",
                self.action_restart_sandbox,
            )
        extra = getattr(screen, "palette_commands", None)
        if callable(extra):
            yield from extra()

    def search_themes(self) -> None:
        """ctrl+p → Theme: Textual's list of themes, with the one in use marked."""
        self.push_screen(CommandPalette(providers=[MarkedThemes],
                                        placeholder="Search for themes…"))

    def _new_basket(self) -> None:
        self.workspace.forget_basket()
        self.context_changed()
        self.switch_mode("offers")

    def _show_recent(self) -> None:
        self.push_screen(
            ResumeScreen(None, self.workspace.recent(),
                         has_basket=self.workspace.basket is not None),
            self._recent_chosen,
        )

    def _recent_chosen(self, record: BasketRecord | None) -> None:
        if record is not None:
            self.resume(record)

    # ------------------------------------------------------------- crashes

    def _handle_exception(self, error: Exception) -> None:
        self._crash = error
        super()._handle_exception(error)  # sets return_code 1 and calls _fatal_error

    def _fatal_error(self) -> None:
        """Replaces Textual's report, which lists every frame's local variables."""
        error = self._crash or sys.exc_info()[1]
        try:
            secrets: set[str] | None = self.workspace.secret_values()
        except Exception:  # then messages are left out, never shown unmasked
            secrets = None
        self.bell()
        # Imported only now: rich.traceback costs the first paint ~30 ms.
        from tui_app.crash_report import crash_report

        report = crash_report(error, secrets) if error is not None else Text("unknown error")
        self._exit_renderables.append(Segments(self.console.render(report, self.console.options)))
        self._close_messages_no_wait()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self._user_waits()
        await super().on_event(event)

    async def on_unmount(self) -> None:
        self.idle_collector.stop()
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
