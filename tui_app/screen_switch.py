"""A main screen that is already built is drawn as soon as it has caught up.

Textual's ``switch_mode`` holds every frame for 50 ms (``App.delay_update``)
to mask a screen being built. For a screen that is built already, that was
50 ms more of the old screen after every F-key and after every reply that
moves to another screen (initiate, validate): frames the app hands to its
driver, replayed into a terminal emulator, showed the Basket screen of a
repeated 50-item initiate at 73 ms, where it is now drawn at 30 ms. The
benchmark's key rows had not seen the wait: their clock stopped once the
app's state showed the result, and a frame held back is not drawn later.

Now, for a built screen, frames are held only until it has caught up, so
the lines that changed while it was hidden are never drawn alone over the
old screen. What the workspace changed while it was hidden is redrawn
before Textual lays it out for the switch. If its styles are current, the
refresh its layout queued during the switch draws it whole and ends the
hold (its resume then has nothing to draw again); otherwise its resume
(styles, focus) is waited for and the next frame draws it whole. A screen
shown for the first time keeps Textual's delay.
"""

from __future__ import annotations

from collections.abc import Callable

from textual._compositor import LayoutUpdate
from textual.app import App
from textual.screen import Screen
from textual.widget import AwaitMount

from tui_app.screens.base import AppScreen

RELEASE_AT_THE_LATEST = 0.05  # seconds: Textual's own delay, should the screen never answer


def draw_whole_next(screen: Screen) -> None:
    """The screen's next frame draws all of it, not only what changed in it:
    the terminal may show another screen."""
    compositor = screen._compositor
    compositor._dirty_regions.add(compositor.size.region)
    screen.refresh()


def draw_whole_now(screen: Screen) -> None:
    """Draw all of the screen at once, laid out first if it must be: one
    whole frame, which settles the repaints asked before it (else drawn
    again after it: a second whole frame of the first screen, 1.5-3 ms)."""
    compositor = screen._compositor
    compositor._dirty_regions.add(compositor.size.region)
    drawn_whole(screen)
    screen._repaint_required = True  # a frame even with nothing to lay out
    screen._on_timer_update()


def drawn_whole(screen: Screen) -> None:
    """The frame being drawn is all of the screen, each widget drawn as it is
    now: the repaints asked for before it are done. A frame drawn by a layout
    refresh leaves them pending, and the next frame drew them again: the
    whole screen (draw_whole_next's), then the widgets the switch changed
    (2.5 and 1.4 ms of a switch to the Basket screen with 500 items)."""
    screen._repaint_required = False
    screen._dirty_widgets.clear()
    screen._repaint_regions.clear()
    for widget in screen._compositor.visible_widgets:  # what the frame drew, scroll bars too
        widget._repaint_regions.clear()


class SwitchHold:
    """Frames held while the app switches to a built screen."""

    def __init__(self, app: App[object]) -> None:
        self._app = app
        self._held = 0
        # The hold its screen's next frame may end: its release, the screen,
        # and how many resumes the screen had handled at the switch.
        self._next_frame: tuple[Callable[..., None], AppScreen, int] | None = None

    @property
    def holding(self) -> bool:
        return self._held > 0

    def switch(self, screen: Screen, switch_mode: Callable[[], AwaitMount]) -> AwaitMount:
        """Run Textual's ``switch_mode`` to ``screen`` (built) with frames held
        until the screen has caught up."""
        if isinstance(screen, AppScreen):
            # Before Textual lays it out as it switches: a screen brought up
            # to date after that is first drawn as it was laid out before.
            screen.catch_up()
        release = self._hold()
        shown = switch_mode()
        if isinstance(screen, AppScreen):
            # The refresh its layout has queued draws it whole, if by then
            # its resume has nothing left to catch up on.
            draw_whole_next(screen)
            self._next_frame = (release, screen, screen.stack_updates)
        screen.call_later(release)  # queued behind its ScreenResume
        return shown

    def frame_ready(self, frame: object) -> None:
        """``frame`` of the screen in view is about to be drawn."""
        if self._next_frame is None:
            return
        release, screen, resumes = self._next_frame
        self._next_frame = None
        # Only if no other batch would keep this frame from being drawn.
        if screen.caught_up() and self._app._batch_count == 1:
            release(whole_frame=True)
            # draw_whole_next made it the whole screen; checked all the same.
            if isinstance(frame, LayoutUpdate) and frame.region == screen._compositor.size.region:
                drawn_whole(screen)
                if screen.stack_updates == resumes:  # its resume is still to come
                    screen.drawn_before_resume()

    def _hold(self) -> Callable[..., None]:
        """Hold frames now; the function returned lets them go (once) and
        has the screen drawn whole. ``RELEASE_AT_THE_LATEST`` after this it
        is called anyway."""
        app = self._app
        app._begin_batch()
        self._held += 1
        held = True

        def release(whole_frame: bool = False) -> None:
            nonlocal held
            if not held:
                return
            held = False
            self._held -= 1
            if self._next_frame is not None and self._next_frame[0] is release:
                self._next_frame = None
            if not whole_frame and app.screen_stack:
                draw_whole_next(app.screen)  # its frames while held were not drawn
            app._end_batch()

        app.set_timer(RELEASE_AT_THE_LATEST, release, name="screen switch hold")
        return release
