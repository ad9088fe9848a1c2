"""Garbage collections while nobody is waiting.

Python's collector sweeps everything it tracks ("generation 2") whenever
enough new objects have survived; with 500-item baskets that came every two
or three replies and took 75-110 ms (benchmark, gc callbacks), landing in
the middle of a key press: a visible stutter. The full sweep waits until the
app has been idle for a moment (no key, no click, no call starting or
ending), or until it has waited long enough that memory must come first.

The young generations wait too, but only while the app answers: from a key,
a click or a call until its answer is on screen and nothing new happened
for a moment (``ANSWERED_QUIET``), and never longer than ``HOLD_MAX``. A
500-item reply makes tens of thousands of objects that live on, and Python
walked them in young collections 30-40 times on the way to the screen:
10-20 ms of every such key (gc callbacks, benchmark). Now they are walked
once, after the frame. Only reference cycles wait; everything else is freed
as usual.

While the TUI starts, only young collections run, and seldom
(``young_collections_only_for_start_up``): what start-up builds lives as long
as the app, so it is not walked again and again; it is collected once, then
frozen, when the app has started.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

IDLE_FOR = 0.5  # seconds without input or a call before a sweep may run
MAX_WAIT = 30.0  # seconds after which a due sweep runs even if the app is busy
ANSWERED_QUIET = 0.05  # seconds of quiet after an answer is shown: young collections run
HOLD_FOR = 0.2  # seconds of quiet after which they run in any case
HOLD_MAX = 2.0  # seconds young collections may wait, however busy the app
CHECK_EVERY = 0.25  # seconds between two looks
START_UP_YOUNG_ONLY_MAX = 10.0  # seconds start-up may keep to young collections
START_UP_YOUNG_THRESHOLD = 20_000  # new objects between two young collections at start-up
NEVER = 2**31 - 1  # a threshold Python never reaches

# Python's thresholds while start-up has only young collections (None: it has not).
_start_up_thresholds: tuple[int, int, int] | None = None


def young_collections_only_for_start_up() -> None:
    """Only young collections, and seldom, while the TUI starts (the command
    line calls this before Textual and the app are imported). What start-up
    builds (modules, classes, models, the first screen) lives as long as the
    app: Python's middle and full collections walked it again and again for
    nothing, 80-100 ms between launch and the help dialog of the first F1
    (gc callbacks, benchmark figure 1). A young collection walks only what
    is new since the last one, and start-up's frames, caches and imports
    leave cycles behind (10,000 objects, ~1.3 MiB): freed as it goes, their
    memory serves what comes next instead of raising the peak. The app
    resumes Python's own thresholds once started (or after
    ``START_UP_YOUNG_ONLY_MAX`` at most)."""
    global _start_up_thresholds
    if gc.isenabled() and _start_up_thresholds is None:
        _start_up_thresholds = gc.get_threshold()
        gc.set_threshold(START_UP_YOUNG_THRESHOLD, NEVER, NEVER)


def resume_after_start_up() -> None:
    """Python's own thresholds again, if start-up changed them (once; never
    undoes someone else's change made since). What start-up made and kept is
    in the middle generation: one collection of it (~50 ms) frees the cycles
    in it, before the app freezes the rest."""
    global _start_up_thresholds
    if _start_up_thresholds is not None:
        thresholds, _start_up_thresholds = _start_up_thresholds, None
        if gc.get_threshold() == (START_UP_YOUNG_THRESHOLD, NEVER, NEVER):
            gc.set_threshold(*thresholds)
        gc.collect(1)


class IdleCollector:
    """Owns the collector's timing while started; gives it back on stop."""

    def __init__(self, busy: Callable[[], bool], clock: Callable[[], float] = time.monotonic,
                 collect: Callable[[int], object] = gc.collect) -> None:
        self._busy = busy
        self._clock = clock
        self._collect = collect
        self._thresholds: tuple[int, int, int] | None = None  # Python's, while started
        self._enabled = True  # whether Python collected on its own before start
        self._held_since: float | None = None  # young collections wait since then
        self.last_activity = self._last_sweep = clock()  # a key, a click, a call
        self.sweeps = 0

    @property
    def started(self) -> bool:
        return self._thresholds is not None

    def start(self) -> None:
        if self._thresholds is not None:
            return
        self._thresholds = gc.get_threshold()
        self._enabled = gc.isenabled()
        young, middle, _ = self._thresholds
        # Python never starts a full sweep on its own now; tick() does.
        gc.set_threshold(young, middle, NEVER)
        self._last_sweep = self._clock()

    def stop(self) -> None:
        if self._thresholds is not None:
            self._release()
            gc.set_threshold(*self._thresholds)
            self._thresholds = None

    @property
    def holding(self) -> bool:
        """Whether young collections are waiting for a quiet moment now."""
        return self._held_since is not None

    def activity(self) -> None:
        """A key, a click, or a call starting or ending: the user is waiting
        for something, so no collection until it is quiet again."""
        self.last_activity = now = self._clock()
        if self._thresholds is not None and self._enabled and self._held_since is None:
            self._held_since = now
            gc.disable()

    def answered(self) -> None:
        """The screen has shown the answer to a key or call ``ANSWERED_QUIET``
        seconds ago: what waited is collected now, unless something new
        (a key, a call) came since."""
        if self._clock() - self.last_activity >= ANSWERED_QUIET and not self._busy():
            self._release()

    def _release(self) -> None:
        if self._held_since is not None:
            self._held_since = None
            gc.enable()  # Python collects at its next allocation what waited

    def due(self) -> bool:
        """A full sweep is due once the middle generation has been collected
        as many times as Python's own third threshold (saved at start) says.
        Python also waits for its long-lived objects to grow by a quarter;
        that is not checked: an early sweep only ever runs when nobody waits."""
        return self._thresholds is not None and gc.get_count()[2] >= self._thresholds[2]

    def tick(self) -> bool:
        """Let young collections run again once it is quiet (or they waited
        ``HOLD_MAX``); sweep if one is due and the app is idle (or has waited
        too long). Says whether it swept."""
        now = self._clock()
        quiet_for = now - self.last_activity if not self._busy() else 0.0
        if self._held_since is not None and (
            quiet_for >= HOLD_FOR or now - self._held_since >= HOLD_MAX
        ):
            self._release()
        if not self.due():
            return False
        idle = quiet_for >= IDLE_FOR
        if not idle and now - self._last_sweep < MAX_WAIT:
            return False
        self._collect(2)
        self._last_sweep = self._clock()
        self.sweeps += 1
        return True
