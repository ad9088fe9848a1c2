"""The sandbox's HTTP/1.1 connections: uvicorn's h11 protocol with two guards.

uvicorn closes an idle connection only after a reply (``timeout_keep_alive``):
a socket that connects and sends nothing, or half a request line, is kept
forever. A few hundred of those exhaust the process's file descriptors, and
then nobody gets an answer. So:

- a connection must finish its request headers within ``header_timeout`` of
  connecting (or of its previous reply), else it is closed (with a 408 if it
  had started a request);
- at most ``max_connections`` are open. One more closes the connection that
  has waited longest without a request in progress (a half-open socket is the
  first to go); if every connection is busy, the newcomer gets a 503.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from tui_app.sandbox.limits import HEAD_TOO_LARGE, MAX_HEAD, ServerLimits

MAX_CONNECTIONS = 256
# Descriptors kept for everything but connections: the database, the log, the
# listening socket, the event loop's own.
_FD_RESERVE = 16
# After a last reply to a client that may still be sending, how long to read
# and drop its input before closing: closing with unread input resets the
# connection, and the client would lose the reply.
LINGER = 2.0

logger = logging.getLogger("tui_app.sandbox")


def connection_cap(limits: ServerLimits) -> int:
    """The most connections to hold open: the setting, else what the fd limit allows."""
    if limits.max_connections is not None:
        return max(1, limits.max_connections)
    if sys.platform == "win32":
        return MAX_CONNECTIONS
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    # Half of what the reserve leaves: the other half takes the connections
    # accepted in one burst, before any of them can be closed to make room.
    return max(8, min(MAX_CONNECTIONS, (soft - _FD_RESERVE) // 2))


def raise_fd_limit() -> None:
    """Let this process open as many files as it may (soft limit up to the hard one).

    Every connection is a descriptor and macOS starts processes at 256. Only
    for a process that is the sandbox's own: a host app's limits are its own.
    """
    if sys.platform == "win32":
        return
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 10240 if hard == resource.RLIM_INFINITY else hard  # 10240: macOS's OPEN_MAX
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def protocol_class(limits: ServerLimits) -> type[H11Protocol]:
    """The protocol uvicorn should use (``Config(http=...)``) for these limits."""
    return type("SandboxH11", (GuardedH11,), {"limits": limits, "cap": connection_cap(limits)})


def _raw_reply(status: int, reason: str, message: str) -> bytes:
    """A whole HTTP reply, for a connection that never got as far as a request."""
    body = json.dumps({"message": message}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


class GuardedH11(H11Protocol):
    limits: ServerLimits
    cap: int

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._idle_since = 0.0
        self._lingering = False

    # ---------------------------------------------------------------- lifecycle

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._wait_for_headers()
        if len(self.connections) > self.cap:
            self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return  # the last reply is sent; this input is only drained
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._stop_waiting()  # the request line and headers are in

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._idle_since = self.loop.time()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._wait_for_headers()  # the next request on this connection

    def send_400_response(self, msg: str) -> None:
        # What h11 cannot parse is refused in JSON too, like every other error.
        self._stop_waiting()
        if len(self.conn.trailing_data[0]) > MAX_HEAD:  # h11 gave up waiting for the end
            reply = _raw_reply(431, "Request Header Fields Too Large", HEAD_TOO_LARGE)
        else:
            reply = _raw_reply(400, "Bad Request", f"malformed HTTP request: {msg}")
        self._last_reply(reply)

    def _last_reply(self, reply: bytes) -> None:
        """Send the reply and close, draining what the client still sends meanwhile
        (until it closes its side, or LINGER seconds)."""
        self.transport.write(reply)
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        self.transport.write_eof()
        self._lingering = True
        self._idle_since = float("-inf")  # answered already: the first to go for room
        self.transport.resume_reading()
        self.loop.call_later(LINGER, self.transport.close)

    # ---------------------------------------------------------------- header timeout

    def _wait_for_headers(self) -> None:
        self._stop_waiting()
        self._idle_since = self.loop.time()
        self._header_timer = self.loop.call_later(self.limits.header_timeout, self._headers_late)

    def _stop_waiting(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        seconds = f"{self.limits.header_timeout:g}"
        self._drop(408, "Request Timeout", f"request headers not received within {seconds} s")

    # ---------------------------------------------------------------- connection cap

    def _idle(self) -> bool:
        """No request in progress: none started yet, or the last one answered."""
        return not self.transport.is_closing() and (
            self.cycle is None or self.cycle.response_complete
        )

    def _make_room(self) -> None:
        others = [c for c in self.connections if c is not self and isinstance(c, GuardedH11)]
        idle = [c for c in others if c._idle()]
        if idle:
            oldest = min(idle, key=lambda c: c._idle_since)
            oldest._drop(503, "Service Unavailable", "closed to make room for a new connection")
            return
        logger.warning("sandbox busy: %d connections open, refusing another", len(others))
        message = (
            f"sandbox busy: {len(others)} connections open, each with a request in "
            "progress; try again shortly"
        )
        self._drop(503, "Service Unavailable", message, answer=True)

    def _drop(self, status: int, reason: str, message: str, *, answer: bool = False) -> None:
        """Close the connection, answering first if asked to or if the client has
        sent part of a request (a client that sent nothing is waiting for nothing)."""
        self._stop_waiting()
        if self.transport.is_closing() or self._lingering:
            self.transport.close()
            return
        if answer:  # a newcomer, likely sending its request right now
            self._last_reply(_raw_reply(status, reason, message))
            return
        if self.conn.their_state is h11.IDLE and self.conn.trailing_data[0]:
            self.transport.write(_raw_reply(status, reason, message))
        self.transport.close()  # at once: freeing the descriptor is the point
