"""The embedded sandbox in a process of its own.

The app starts its sandbox this way rather than in a thread: in a thread,
every request the sandbox serves competes with the UI for Python's one
interpreter lock (measured: a 500-item update took several times longer than
the same request from outside), and the web stack's memory would count
against the app's. A child process runs on its own core and takes nothing
from the UI.

Parent and child talk through pipes only. The child prints one JSON line on
stdout, the address and the demo organisation's credentials (never on the
command line, where any user's ``ps`` would see them), or an ``error``; then
it serves until its stdin closes. The parent holds that stdin, so the child
goes away with the app however the app ends, even when it is killed.

    python -m tui_app.sandbox.child [--db PATH] [--seed N]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import selectors
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT = 30.0  # seconds: a cold start on a busy machine can take a few
STOP_TIMEOUT = 5.0


class SandboxStartError(RuntimeError):
    """The child could not start; the message says why."""


@dataclass
class SandboxProcess:
    """A running child sandbox, as the parent sees it."""

    base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    process: subprocess.Popen[bytes] = field(repr=False)

    @classmethod
    def start(cls, db_path: Path | None = None, *, log_path: Path | None = None,
              seed: int | None = None, timeout: float = START_TIMEOUT) -> SandboxProcess:
        """Start the child and wait for its handshake. The child's own
        messages (warnings, a crash) go to ``log_path``."""
        command = [sys.executable, "-m", "tui_app.sandbox.child"]
        if db_path is not None:
            command += ["--db", str(db_path)]
        if seed is not None:
            command += ["--seed", str(seed)]
        log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                # Out of the terminal's process group: a ^C meant for the app
                # must not kill the sandbox under it.
                start_new_session=True,
            )
        except OSError as exc:
            raise SandboxStartError(f"cannot start {sys.executable}: {exc}") from exc
        finally:
            if log_path:
                log.close()  # type: ignore[union-attr]
        try:
            hello = _handshake(process, timeout, log_path)
        except BaseException:
            _end(process)
            raise
        return cls(hello["base_url"], hello["client_id"], hello["client_secret"], process)

    def stop(self) -> None:
        _end(self.process)


def _handshake(process: subprocess.Popen[bytes], timeout: float,
               log_path: Path | None) -> dict[str, str]:
    assert process.stdout is not None
    line = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                raise SandboxStartError(f"the sandbox did not start within {timeout:g} s")
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                break  # the child ended before saying anything useful
            line += chunk
    try:
        hello = json.loads(line)
    except ValueError:
        hello = None
    if isinstance(hello, dict) and isinstance(hello.get("error"), str):
        raise SandboxStartError(hello["error"])
    if not isinstance(hello, dict) or not all(
        isinstance(hello.get(key), str) for key in ("base_url", "client_id", "client_secret")
    ):
        where = f" (see {log_path})" if log_path else ""
        raise SandboxStartError(f"the sandbox process ended before it was ready{where}")
    return hello


def _end(process: subprocess.Popen[bytes]) -> None:
    """Close its stdin (it shuts down cleanly), then insist if it must."""
    with contextlib.suppress(OSError):
        if process.stdin is not None:
            process.stdin.close()
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


# --------------------------------------------------------------------------- the child


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tui_app.sandbox.child")
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)

    from tui_app.sandbox.connections import raise_fd_limit
    from tui_app.sandbox.server import SandboxError, SandboxServer

    raise_fd_limit()  # this process is the sandbox's alone
    try:
        server = SandboxServer(db_path=args.db, seed=args.seed).start()
    except (SandboxError, OSError) as exc:
        _say({"error": str(exc)})
        return 2
    org = server.orgs[0]
    _say({"base_url": server.base_url, "client_id": org.client_id,
          "client_secret": org.client_secret})
    try:
        sys.stdin.buffer.read()  # returns when the app closes the pipe, or dies
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def _say(message: dict[str, str]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
