"""Full garbage collections while nobody is waiting.

Python's collector sweeps everything it tracks ("generation 2") whenever
enough new objects have survived; with 500-item baskets that came every two
or three replies and took 75-110 ms (benchmark, gc callbacks), landing in
the middle of a key press: a visible stutter. The young generations are
still collected as usual, by Python, in a millisecond or two. The full sweep
waits until the app has been idle for a moment (no key, no click, no call
under way), or until it has waited long enough that memory must come first.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

IDLE_FOR = 0.5  # seconds without input or a call before a sweep may run
MAX_WAIT = 30.0  # seconds after which a due sweep runs even if the app is busy
CHECK_EVERY = 0.25  # seconds between two looks


class IdleCollector:
    """Owns the collector's full sweeps while started; gives them back on stop."""

    def __init__(self, busy: Callable[[], bool], clock: Callable[[], float] = time.monotonic,
                 collect: Callable[[int], object] = gc.collect) -> None:
        self._busy = busy
        self._clock = clock
        self._collect = collect
        self._thresholds: tuple[int, int, int] | None = None  # Python's, while started
        self.last_input = self._last_sweep = clock()  # when input was last seen
        self.sweeps = 0

    @property
    def started(self) -> bool:
        return self._thresholds is not None

    def start(self) -> None:
        if self._thresholds is not None:
            return
        self._thresholds = gc.get_threshold()
        young, middle, _ = self._thresholds
        # Python never starts a full sweep on its own now; tick() does.
        gc.set_threshold(young, middle, 2**31 - 1)
        self._last_sweep = self._clock()

    def stop(self) -> None:
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            self._thresholds = None

    def input_seen(self) -> None:
        self.last_input = self._clock()

    def due(self) -> bool:
        """A full sweep is due once the middle generation has been collected
        as many times as Python's own third threshold (saved at start) says.
        Python also waits for its long-lived objects to grow by a quarter;
        that is not checked: an early sweep only ever runs when nobody waits."""
        return self._thresholds is not None and gc.get_count()[2] >= self._thresholds[2]

    def tick(self) -> bool:
        """Sweep if one is due and the app is idle (or has waited too long);
        says whether it swept."""
        if not self.due():
            return False
        now = self._clock()
        idle = not self._busy() and now - self.last_input >= IDLE_FOR
        if not idle and now - self._last_sweep < MAX_WAIT:
            return False
        self._collect(2)
        self._last_sweep = self._clock()
        self.sweeps += 1
        return True
