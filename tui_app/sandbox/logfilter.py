"""Keep a repeated log message from flooding the sandbox's log.

Some failures repeat as fast as the event loop spins: when the process runs
out of file descriptors, asyncio logs "socket.accept() out of system resource"
with a traceback for every connection waiting in the backlog, tens of MB in
seconds. The same message (same logger, level, text and exception) is let
through at most once per window; the next one after the window says how many
were held back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

WINDOW = 10.0  # seconds
# The loggers a storm can come from: the event loop, the HTTP server, the app.
NOISY_LOGGERS = ("asyncio", "uvicorn.error", "tui_app.sandbox")
_MAX_KEYS = 1000  # distinct messages remembered; more start a fresh memory


class RepeatFilter(logging.Filter):
    """Let the same message through at most once per ``window`` seconds."""

    def __init__(self, window: float = WINDOW, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()  # the sandbox logs from its thread and the host's
        # key -> (when it last went through, how many were held back since)
        self._seen: dict[tuple[object, ...], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = _key(record)
        now = self._clock()
        with self._lock:
            last, held = self._seen.get(key, (-self.window, 0))
            if now - last < self.window:
                self._seen[key] = (last, held + 1)
                return False
            if len(self._seen) >= _MAX_KEYS:
                self._seen.clear()
            self._seen[key] = (now, 0)
        if held:
            record.msg = (
                f"{record.getMessage()} ({held} more like this in the last "
                f"{now - last:.0f} s were not logged)"
            )
            record.args = None
        return True


def _key(record: logging.LogRecord) -> tuple[object, ...]:
    exc = record.exc_info[1] if record.exc_info else None
    try:
        text = record.getMessage()
    except Exception:  # a bad format string is the handler's problem, not ours
        text = str(record.msg)
    return (record.name, record.levelno, text, type(exc), str(exc) if exc else None)


def install(loggers: tuple[str, ...] = NOISY_LOGGERS) -> None:
    """Put one RepeatFilter on each logger (again is harmless)."""
    for name in loggers:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RepeatFilter) for f in logger.filters):
            logger.addFilter(RepeatFilter())
