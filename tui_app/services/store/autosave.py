"""Saving in a background thread, so the UI never waits for the disk.

The app saves the session after every change. Writing (a lock, a merge with
what another instance wrote, fsync) takes milliseconds to tens of
milliseconds, which a user would feel as lag after each key if it ran on the
UI's event loop. Requests are coalesced: changes that arrive while a save is
waiting or running are written together by the next one. ``flush()`` waits
until everything requested so far is on disk (the app calls it on quit).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

Report = Callable[[list[str]], None]


class BackgroundSaver:
    def __init__(self, save: Callable[[], list[str]], report: Report, *,
                 delay: float = 0.1, name: str = "basket-builder-save") -> None:
        """``save`` returns notes for the user and may raise; ``report`` gets
        the notes, and the message of anything raised, from the saver thread.
        ``delay`` lets a burst of changes (and the screen update after a reply)
        go first and be written as one save."""
        self._save = save
        self._report = report
        self._delay = delay
        self._wake = threading.Condition()
        self._requested = 0  # requests so far
        self._written = 0  # requests covered by a finished save
        self._closing = False
        self._flushers = 0  # callers waiting in flush(): no delay for them
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def request(self) -> None:
        with self._wake:
            self._requested += 1
            self._wake.notify_all()

    @property
    def pending(self) -> bool:
        with self._wake:
            return self._written < self._requested

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Save now whatever is waiting and wait for it; False if it timed out."""
        with self._wake:
            target = self._requested
            self._flushers += 1
            self._wake.notify_all()  # cut the delay short
            try:
                return self._wake.wait_for(lambda: self._written >= target, timeout)
            finally:
                self._flushers -= 1

    def close(self, timeout: float | None = 10.0) -> bool:
        """Flush, then stop the thread."""
        done = self.flush(timeout)
        with self._wake:
            self._closing = True
            self._wake.notify_all()
        self._thread.join(timeout)
        return done

    def _loop(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._closing or self._requested > self._written)
                if self._closing and self._requested <= self._written:
                    return
                # Let a burst finish (and the screen update after a reply go
                # first); only a flush() or close() cuts the wait short.
                deadline = time.monotonic() + self._delay
                while not (self._flushers or self._closing):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._wake.wait(left)
                target = self._requested
            self._run_once()
            with self._wake:
                self._written = max(self._written, target)
                self._wake.notify_all()

    def _run_once(self) -> None:
        try:
            notes = self._save()
        except Exception as exc:  # a save that fails is news for the user, never a crash
            notes = [str(exc) or type(exc).__name__]
        if notes:
            # The app may be shutting down: then there is nobody left to tell.
            with contextlib.suppress(Exception):
                self._report(notes)
