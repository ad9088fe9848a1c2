"""The sandbox in a process of its own (`python -m tui_app sandbox --memory --port 0`),
so a load generator or a client under test does not share its GIL."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

START_TIMEOUT = 30.0


class SandboxNotStarted(RuntimeError):
    """The sandbox process did not print its banner in time, or exited."""


@dataclass
class Org:
    name: str
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    demo_token: str = field(default="", repr=False)


@dataclass
class Banner:
    base_url: str = ""
    token_url: str = ""
    orgs: list[Org] = field(default_factory=list)


def parse_banner(lines: list[str]) -> Banner:
    """Read the base URL and the demo credentials from the sandbox's banner."""
    banner = Banner()
    for line in lines:
        text = line.strip()
        if match := re.match(r"API base URL\s+(\S+)", text):
            banner.base_url = match.group(1)
        elif match := re.match(r"Token URL\s+(\S+)", text):
            banner.token_url = match.group(1)
        elif match := re.match(r"(client_id|client_secret|demo token)\s+(\S+)", text):
            if not banner.orgs:
                raise SandboxNotStarted(f"credentials before any organisation: {text!r}")
            attribute = match.group(1).replace(" ", "_")
            setattr(banner.orgs[-1], attribute, match.group(2))
        elif (match := re.match(r"(.+) \((org-[^)]+)\)$", text)) and line.startswith("  "):
            banner.orgs.append(Org(name=match.group(1)))
    if not banner.base_url or not banner.orgs or not banner.orgs[0].demo_token:
        raise SandboxNotStarted("the banner did not give a base URL and a demo token")
    return banner


class SandboxProcess:
    """``with SandboxProcess() as sandbox: sandbox.banner.base_url ...``"""

    def __init__(self, extra_args: list[str] | None = None) -> None:
        self.argv = [sys.executable, "-m", "tui_app", "sandbox", "--memory", "--port", "0",
                     *(extra_args or [])]
        self.process: subprocess.Popen[str] | None = None
        self.banner = Banner()

    def start(self) -> SandboxProcess:
        self.process = subprocess.Popen(
            self.argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        lines: queue.Queue[str | None] = queue.Queue()

        def read() -> None:
            # Forward the banner, then keep draining (the access log) so the
            # server never blocks on a full pipe.
            assert self.process is not None and self.process.stdout is not None
            for line in self.process.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=read, name="sandbox-output", daemon=True).start()
        seen: list[str] = []
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                self.stop()
                raise SandboxNotStarted(f"no banner within {START_TIMEOUT:g} s") from None
            if line is None:
                self.stop()
                raise SandboxNotStarted("the sandbox exited: " + "".join(seen[-5:]).strip())
            seen.append(line)
            if line.startswith("Serving"):
                break
        self._drain = lines  # the reader thread keeps emptying the pipe into it
        threading.Thread(target=self._discard, name="sandbox-discard", daemon=True).start()
        self.banner = parse_banner(seen)
        return self

    def _discard(self) -> None:
        while self._drain.get() is not None:
            pass

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, sig)
            try:
                process.wait(10)
                return
            except subprocess.TimeoutExpired:
                continue

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
