"""Run a program in a pseudo-terminal and read its screen like a user would.

The program's output is fed into ``pyte`` (a terminal emulator in Python), so
"the screen shows X" means what it says: the text is on the emulated screen,
not merely somewhere in the byte stream. Every wait has a timeout; closing
asks the program to quit (ctrl+q), then SIGTERM, then SIGKILL.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Callable, Sequence
from pathlib import Path

COLUMNS, LINES = 100, 30
F1 = b"\x1bOP"
CTRL_Q = b"\x11"
ENTER = b"\r"


class TerminalTimeout(TimeoutError):
    """The screen did not show what was waited for in time."""


class PtyApp:
    """One program in a pseudo-terminal of a fixed size, its screen emulated."""

    def __init__(
        self,
        argv: Sequence[str],
        env: dict[str, str],
        *,
        columns: int = COLUMNS,
        lines: int = LINES,
        cwd: str | Path | None = None,
    ) -> None:
        import pyte  # the `bench` extra; imported here so `--help` works without it

        self.screen = pyte.Screen(columns, lines)
        self.stream = pyte.ByteStream(self.screen)
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        full_env = {**env, "TERM": "xterm-256color", "COLUMNS": str(columns),
                    "LINES": str(lines)}
        self.started = time.perf_counter()
        try:
            self.process = subprocess.Popen(
                list(argv),
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=full_env,
                cwd=cwd,
                start_new_session=True,  # its own process group: killed as one
                close_fds=True,
            )
        finally:
            os.close(slave)
        self.master = master
        self.bytes_read = 0
        self._closed = False

    # ------------------------------------------------------------- screen

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def pump(self, timeout: float) -> float | None:
        """Read everything the program wrote (waiting up to ``timeout`` seconds
        for the first bytes) and feed it to the emulator; return when the last
        of it was read, or None if nothing came. Reading all that is waiting
        before parsing keeps pyte's own slowness out of the timestamps."""
        ready, _, _ = select.select([self.master], [], [], max(timeout, 0.0))
        if not ready:
            return None
        chunks: list[bytes] = []
        arrived = time.perf_counter()
        while True:
            try:
                data = os.read(self.master, 1 << 16)
            except OSError:  # EIO: the program closed the terminal (it exited)
                data = b""
            if not data:
                break
            chunks.append(data)
            arrived = time.perf_counter()
            if not select.select([self.master], [], [], 0)[0]:
                break
        if not chunks:
            if self.process.poll() is None:
                time.sleep(0.01)  # closed but not yet reaped
            return None
        data = b"".join(chunks)
        self.bytes_read += len(data)
        self.stream.feed(data)
        return arrived

    def wait_for(self, predicate: Callable[[str], bool] | str, timeout: float) -> float:
        """Wait until the screen satisfies ``predicate`` (or contains the text);
        return the moment the output that made it so arrived."""
        test = (lambda screen: predicate in screen) if isinstance(predicate, str) else predicate
        deadline = time.perf_counter() + timeout
        if test(self.text()):
            return time.perf_counter()
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TerminalTimeout(self._timeout_reason(predicate, timeout))
            if self.process.poll() is not None:
                # Drain what is left, then give up.
                while self.pump(0.05) is not None:
                    pass
                if test(self.text()):
                    return time.perf_counter()
                raise TerminalTimeout(
                    f"the program exited (status {self.process.returncode}) before the screen "
                    f"showed {self._label(predicate)}; last screen:\n{self._last_lines()}"
                )
            arrived = self.pump(min(remaining, 0.2))
            if arrived is not None and test(self.text()):
                return arrived

    def _label(self, predicate: Callable[[str], bool] | str) -> str:
        return repr(predicate) if isinstance(predicate, str) else "the expected text"

    def _timeout_reason(self, predicate: Callable[[str], bool] | str, timeout: float) -> str:
        return (
            f"the screen did not show {self._label(predicate)} within {timeout:g} s; "
            f"last screen:\n{self._last_lines()}"
        )

    def _last_lines(self) -> str:
        shown = [line.rstrip() for line in self.screen.display if line.strip()]
        return "\n".join(shown[:12]) or "(blank)"

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    # ------------------------------------------------------------- process

    def peak_rss(self) -> int | None:
        """VmHWM (peak resident set size) of the program, in bytes."""
        return vm_hwm(self.process.pid)

    def children_peak_rss(self) -> int | None:
        """The summed VmHWM of the program's child processes (the app's
        embedded sandbox), in bytes; None if it has none."""
        pids: list[int] = []
        # Per thread: the app starts its sandbox from a worker thread.
        for children in Path(f"/proc/{self.process.pid}/task").glob("*/children"):
            try:
                pids += [int(pid) for pid in children.read_text().split()]
            except OSError:
                continue
        peaks = [vm_hwm(pid) for pid in pids]
        known = [peak for peak in peaks if peak]
        return sum(known) if known else None

    def close(self, quit_keys: bytes = CTRL_Q, grace: float = 5.0) -> int | None:
        """Quit the program: its quit key, then SIGTERM, then SIGKILL, reading
        its output meanwhile so it never blocks on a full terminal."""
        if self._closed:
            return self.process.returncode
        self._closed = True
        try:
            if self.process.poll() is None and quit_keys:
                with contextlib.suppress(OSError):
                    self.send(quit_keys)
                self._drain_until_exit(grace)
            for sig in (signal.SIGTERM, signal.SIGKILL):
                if self.process.poll() is not None:
                    break
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.process.pid, sig)
                self._drain_until_exit(grace)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(grace)
        finally:
            with contextlib.suppress(OSError):
                os.close(self.master)
        return self.process.returncode

    def _drain_until_exit(self, grace: float) -> None:
        deadline = time.perf_counter() + grace
        while self.process.poll() is None and time.perf_counter() < deadline:
            self.pump(0.05)

    def __enter__(self) -> PtyApp:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def vm_hwm(pid: int) -> int | None:
    """VmHWM (peak resident set size) of a process, in bytes."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            value, unit = line.split()[1:3]
            assert unit == "kB"
            return int(value) * 1024
    return None
