"""What every main screen shares: the context bar, the error panel, the
footer, F1 help text, and one way to call the API without blocking the UI."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.screen import Screen

from tui_app.formatting import shown
from tui_app.repaint_hold import hold_repaint
from tui_app.services import workspace as workspace_clock
from tui_app.services.api.errors import ApiError
from tui_app.services.connection import ProfileNotUsable
from tui_app.widgets.context_bar import ContextBar
from tui_app.widgets.error_panel import ErrorPanel
from tui_app.widgets.key_bar import KeyBar, key_display
from tui_app.widgets.nav_bar import NavBar

if TYPE_CHECKING:
    from tui_app.screens.host import ScreenHost
    from tui_app.services.workspace import Workspace

T = TypeVar("T")


class AppScreen(Screen[None]):
    """Subclasses implement ``compose_body`` and set ``HELP``."""

    HELP: ClassVar[str] = ""
    MODE: ClassVar[str] = ""  # which tab of the nav bar this screen is
    # Actions the key bar keeps when not every key fits, most important first.
    KEY_PRIORITY: ClassVar[tuple[str, ...]] = ()

    @property
    def bb(self) -> ScreenHost:
        return self.app  # type: ignore[return-value]

    @property
    def workspace(self) -> Workspace:
        return self.bb.workspace

    def compose(self) -> ComposeResult:
        yield ContextBar()
        yield NavBar(self.MODE)
        yield from self.compose_body()
        yield ErrorPanel()
        yield KeyBar()

    def compose_body(self) -> ComposeResult:
        raise NotImplementedError
        yield  # pragma: no cover

    def follow_context(self, redraw: Callable[[], Any]) -> None:
        """Call ``redraw`` now and after every workspace change, but only while
        this screen is the one in view; a hidden screen catches up once when it
        is shown again. Hidden screens redrawing a 500-item basket on every
        update would cost the visible one its speed."""
        self._redraw_context = redraw
        self.watch(self.app, "context_version", self._context_version_changed)

    _context_stale = False  # the workspace changed since its context was last drawn

    def _context_version_changed(self, _version: int) -> None:
        self._context_stale = True
        if (self.is_current and not self._leaving) or not self.is_mounted:
            self.catch_up()

    def catch_up(self) -> None:
        """Redraw for the workspace changes made while it was hidden, if any."""
        if self._context_stale:
            self._context_stale = False
            self._redraw_context()

    def tick_confirmed(self, redraw: Callable[[], Any]) -> None:
        """Redraw "confirmed 2 min ago" as time goes by, while in view."""
        self.set_interval(20, lambda: redraw() if self.is_current else None)

    # ------------------------------------------------------------- styling
    # Textual restyles the whole app, every screen and widget, in case a new
    # screen brought rules for widgets outside it: twice on a screen's first
    # visit and once more on its second (it was not mounted yet to take
    # note), 30-200 ms each (profile: the first "v", the first initiate).
    # And it restyles every widget of a screen each time the screen is shown
    # (7-25 ms), for what may have changed app-wide while it was hidden. These
    # screens' rules and their widgets' are scoped to them (Textual's
    # default), their widgets are styled with the app's CSS as they mount,
    # and a change to one of their own widgets is applied at once, hidden or
    # not. So a screen starts current with the app's CSS, and is restyled
    # when shown only if something app-wide changed meanwhile (a theme, the
    # terminal's focus or size). That holds for its first showing too: it
    # was restyled as it resumed (15-40 ms before the first frame, profile)
    # and once more as its first resize gave it its width's class (-narrow).
    # So it takes that class before anything in it is styled, and its first
    # resume skips the restyle unless something app-wide changed since.

    def _post_register(self, app: App[object]) -> None:
        super()._post_register(app)
        self._css_update_count = app._css_update_count
        self.update_classes(self._breakpoint_classes(app.size), update=False)
        self._styled_for = self._app_style_state()

    def _breakpoint_classes(self, size: Size) -> dict[str, bool]:
        """The breakpoint classes Textual gives a screen of ``size`` when it is
        resized (Screen._on_resize), so that its first resize changes nothing."""
        app = self.app
        horizontal = (app.HORIZONTAL_BREAKPOINTS if self.HORIZONTAL_BREAKPOINTS is None
                      else self.HORIZONTAL_BREAKPOINTS) or []
        vertical = (app.VERTICAL_BREAKPOINTS if self.VERTICAL_BREAKPOINTS is None
                    else self.VERTICAL_BREAKPOINTS) or []
        classes = {name: False for _, name in horizontal + vertical}
        for name in self._get_breakpoint_classes(size.width, horizontal):
            classes[name] = True
        for name in self._get_breakpoint_classes(size.height, vertical):
            classes[name] = True
        return classes

    def _app_style_state(self) -> object:
        """What the app-wide selectors this screen's styles depend on read:
        the app's CSS (its theme), classes and pseudo-classes (terminal focus,
        dark or light...), and the terminal's size."""
        app = self.app
        return (app._css_update_count, frozenset(app.classes),
                frozenset(app.get_pseudo_classes()), app.size)

    def caught_up(self) -> bool:
        """Whether its resume would change nothing: no workspace change to
        redraw for, and nothing app-wide that its styles read changed since
        it was last in view (see on_screen_resume)."""
        return (not self._context_stale
                and self._app_style_state() == getattr(self, "_styled_for", None))

    def on_screen_suspend(self) -> None:
        self._styled_for = self._app_style_state()

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # Runs before Screen's own handler (Textual calls them down the MRO).
        if event.refresh_styles and self._app_style_state() == getattr(self, "_styled_for", None):
            event.refresh_styles = False
        self.catch_up()
        drawn, self._drawn_before_resume = self._drawn_before_resume, False
        # Textual's handler ends by repainting the whole screen, for the
        # terminal has shown another one. Drawn whole already (SwitchHold),
        # with nothing for the resume to restyle or lay out again: a second
        # whole frame would show the same (2.5 ms of a switch to the Basket
        # screen with 500 items, and the whole screen written out again).
        self._skip_resume_repaint = (drawn and not event.refresh_styles and self.is_attached
                                     and self._size == self.app.size)

    _drawn_before_resume = False
    _skip_resume_repaint = False

    def drawn_before_resume(self) -> None:
        """It was drawn whole after a switch, its ScreenResume still to come."""
        self._drawn_before_resume = True

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False,
                recompose: bool = False) -> Self:
        if self._skip_resume_repaint:  # the next refresh is the resume's (see above)
            self._skip_resume_repaint = False
            if not regions and repaint and not layout and not recompose:
                return self
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def _set_dirty(self, *regions: Region) -> None:
        """As Widget's, but a whole-screen repaint keeps the screen's own
        lines (its background) while they would be drawn the same. A screen
        is repainted whole as it is shown, as each batch of changes ends and
        as focus moves in it; each time it drew its 40 blank lines again
        (1.5-2 ms of each switch of screens, profile)."""
        if regions:  # those lines are drawn again, with what the others were drawn with
            super()._set_dirty(*regions)
            return
        look = self._background_look()
        if look is None or look != self._drawn_background:
            self._drawn_background = look
            super()._set_dirty()
            return
        self._dirty_regions.clear()
        self._repaint_regions.clear()
        outer = self.outer_size.region
        self._dirty_regions.add(outer)
        if outer:
            self._repaint_regions.add(outer)

    _drawn_background: object = None  # what the lines it keeps were drawn from

    def _background_look(self) -> object:
        """What Textual draws the screen's own lines from (StylesCache.render_widget
        for a screen: no border, no content but its background)."""
        if self.styles.background.a < 1:
            return None  # a translucent screen shows the one below: always drawn
        app = self.app
        return (self.region.size, self.content_region.size, self.background_colors,
                self.opacity, self.styles.base.get_rules(), self.styles.inline.get_rules(),
                app._css_update_count, tuple(self.get_line_filters()), app.ansi_theme,
                app.native_ansi_color)

    def refresh_bindings_if_changed(self) -> None:
        """Tell the key bar only when an action became possible or impossible,
        not on every redraw of the screen."""
        state = tuple(
            self.check_action(binding.action.split("(")[0], ())
            for binding in self.BINDINGS
            if isinstance(binding, Binding)
        )
        if state != getattr(self, "_binding_state", None):
            self._binding_state = state
            self.refresh_bindings()

    @property
    def error_panel(self) -> ErrorPanel:
        return self.query_one(ErrorPanel)

    def show_warnings(self) -> None:
        """The workspace's warnings after a call. They quote the server (a
        basket id it made up, why a re-read failed), so they are shown as
        text here, never as markup."""
        for message in self.workspace.take_warnings():
            self.notify(shown(message), title="Heads up", severity="warning", timeout=12,
                        markup=False)

    def go_after_reply(self, mode: str, done: str, key_id: str) -> None:
        """Show ``mode`` because a reply came, but only if the user is still
        where they asked, with no dialog open: a reply never moves them out
        from under a dialog (the key they are about to press would land on
        another screen) or off a screen they moved to meanwhile. Otherwise
        it only says so: ``done`` — F5 to see it.

        Called from a ``call_api`` callback, the switch waits until the app
        has taken in the reply (``context_changed``): the screen shown is
        brought up to date before it is laid out and drawn, never after its
        first frame (which showed the screen as it was, "No basket yet")."""
        if self._after_reply is not None:
            self._after_reply.append((mode, done, key_id))
            return
        if self._may_go():
            self.bb.switch_mode(mode)
            return
        self.notify(f"{done} — {key_display(self.app, key_id)} to see it.", timeout=6)

    def _may_go(self) -> bool:
        app = self.app
        return app.screen is self and len(app.screen_stack) == 1

    # While a reply's callbacks run: the screens to go to once the app has
    # taken the reply in (mode, done, key_id: see go_after_reply).
    _after_reply: list[tuple[str, str, str]] | None = None
    # Taking a reply in before going to another screen: this one is redrawn
    # when shown again, not for the moment before it is left.
    _leaving = False

    def copy(self, text: str, what: str) -> None:
        """Put ``text`` on the clipboard as it is, and say so with it shown as
        text (an id or a link from the tenant is data, never markup)."""
        self.bb.action_copy(text, what)

    def call_api(
        self,
        label: str,
        call: Callable[[], Awaitable[T]],
        on_done: Callable[[T], Any] | None = None,
        on_error: Callable[[Exception], Any] | None = None,
    ) -> bool:
        """Run ``call`` in a worker with a visible busy state. One call at a
        time: a second press while one is under way sends nothing. A quick
        reply is drawn in the same frame as the key's own changes (repaint_hold)."""
        if self.bb.busy:
            self.bb.notify_busy()
            return False
        self.bb.busy = label
        drawn = hold_repaint(self.app)

        async def run() -> None:
            after: list[tuple[str, str, str]] = []
            try:
                result = await call()
            except (ApiError, ProfileNotUsable) as exc:
                self.error_panel.show_error(exc)
                if on_error is not None:
                    on_error(exc)
            else:
                self.error_panel.clear()
                if on_done is not None:
                    self._after_reply = after  # see go_after_reply
                    on_done(result)
            finally:
                self._after_reply = None
                self._leaving = bool(after) and self._may_go()
                try:
                    self.bb.busy = ""
                    self.bb.context_changed()
                finally:
                    self._leaving = False
                for go in after:
                    self.go_after_reply(*go)
                self.show_warnings()
                self.bb.flush_warnings()
                drawn()

        self.run_worker(run(), group="api", exit_on_error=False)
        return True


def confirmed_words(at: datetime | None) -> str:
    """When the server last confirmed the basket, as a person says it:
    "confirmed just now", "confirmed 2 min ago", "confirmed 3 h ago". No
    clock time: the same scene reads the same on every run (screenshots)."""
    if at is None:
        return ""
    seconds = max(int((workspace_clock.now() - at).total_seconds()), 0)
    if seconds < 60:
        return "confirmed just now"
    if seconds < 3600:
        return f"confirmed {seconds // 60} min ago"
    if seconds < 86400:
        return f"confirmed {seconds // 3600} h ago"
    return f"confirmed {at.strftime('%Y-%m-%d %H:%M')}"


def read_back_basket(screen: AppScreen) -> bool:
    """Read the current basket back from the server (validate returns its
    state), for a change made elsewhere: curl, another window. Says whether
    anything had changed; staged actions stay staged."""
    workspace = screen.workspace
    basket = workspace.basket
    if basket is None:
        return False

    def state() -> object:
        current = workspace.basket
        if current is None or current.order_unknown:
            return None
        return ([(i.id, i.quantity) for i in current.items], current.order.total_amount)

    before = None if basket.cached else state()

    def done(_result: object) -> None:
        if before is not None and state() != before:
            screen.notify("The basket had changed on the server: showing the server's copy.",
                          title="Basket refreshed", severity="warning", timeout=8)
        else:
            screen.notify("The server's basket is as shown.", title="Basket refreshed",
                          timeout=4)

    return screen.call_api("Reading the basket back", workspace.reread, on_done=done)
