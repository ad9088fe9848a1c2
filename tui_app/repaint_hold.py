"""A quick reply is drawn in the same frame as the key that asked for it.

A key that calls the API changes the screen at once (a dialog closes, the
context bar says what is under way) and again when the reply comes. Drawn
one after the other, the first frame (6-10 ms for a whole screen after a
dialog) ran while the reply waited: anyio yields to the event loop before
it writes to the socket, so the repaint even went before the request. Now
the repaint is held from the key until the reply has been shown, and one
frame shows both; never longer than ``HOLD_MAX``, about one frame (Textual
holds a screen switch the same way with ``App.delay_update``, for 50 ms), so
a slow server gets the busy frame while it works. Keys are read and handled
meanwhile: only drawing waits.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App

HOLD_MAX = 0.02  # seconds


def hold_repaint(app: App[object]) -> Callable[[], None]:
    """Hold the app's repaints now; the function returned lets them go (once,
    however often it is called); ``HOLD_MAX`` after this it is called anyway."""
    app._begin_batch()
    held = True

    def release() -> None:
        nonlocal held
        if not held:
            return
        held = False
        app._end_batch()
        if app.screen_stack:
            # The screen skipped its updates while held: prompt it to look again.
            app.screen.check_idle()

    app.set_timer(HOLD_MAX, release, name="repaint hold")
    return release
