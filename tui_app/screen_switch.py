"""A main screen that is already built is drawn as soon as it has caught up.

Textual's ``switch_mode`` holds every frame for 50 ms (``App.delay_update``)
to mask a screen being built. For a screen that is built already, that was
50 ms more of the old screen after every F-key and after every reply that
moves to another screen (initiate, validate): frames the app hands to its
driver, replayed into a terminal emulator, showed the Basket screen of a
repeated 50-item initiate at 73 ms, where it is now drawn at 30 ms. The
benchmark's key rows had not seen the wait: their clock stopped once the
app's state showed the result, and a frame held back is not drawn later.

Now, for a built screen, frames are held only until it has handled its
resume (the catch-up redraw of a hidden screen, focus, styles), so what its
deferred layout would draw before then (the lines changed while it was
hidden) is never drawn over the old screen; then it is drawn whole in the
next frame. A screen shown for the first time keeps Textual's delay.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App

RELEASE_AT_THE_LATEST = 0.05  # seconds: Textual's own delay, should the screen never answer


class SwitchHold:
    """Frames held while the app switches to a built screen."""

    def __init__(self, app: App[object]) -> None:
        self._app = app
        self._held = 0

    @property
    def holding(self) -> bool:
        return self._held > 0

    def hold(self) -> Callable[[], None]:
        """Hold frames now; the function returned lets them go (once) and
        has the screen drawn whole. ``RELEASE_AT_THE_LATEST`` after this it
        is called anyway."""
        app = self._app
        app._begin_batch()
        self._held += 1
        held = True

        def release() -> None:
            nonlocal held
            if not held:
                return
            held = False
            self._held -= 1
            if app.screen_stack:
                app.screen.refresh()  # whole: its frames while held were not drawn
            app._end_batch()

        app.set_timer(RELEASE_AT_THE_LATEST, release, name="screen switch hold")
        return release
