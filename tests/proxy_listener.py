"""A listener that stands in for a proxy: every proxy variable of the
environment points at it, and it keeps what it was sent (a test that expects
nothing asserts it got nothing). Used by the API and the Pilot proxy tests."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


class Listener(threading.Thread):
    """Accepts connections, keeps the first line of each, answers 502."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.received: list[bytes] = []

    def run(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    self.received.append(conn.recv(65536))
                    conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    pass

    def close(self) -> None:
        self.server.close()


def pointing_every_proxy_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[Listener]:
    """Start a listener and point HTTP(S)_PROXY and ALL_PROXY (both cases) at it."""
    proxy = Listener()
    proxy.start()
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in PROXY_VARIABLES:
        monkeypatch.setenv(name, proxy.url)
        monkeypatch.setenv(name.lower(), proxy.url)
    yield proxy
    proxy.close()
