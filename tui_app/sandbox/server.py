"""Run the sandbox: in a background thread (the TUI, tests) or in the foreground (CLI).

The server binds its own socket first, so a port already in use is reported
at once and port 0 gives a free port whose number is known before serving.
uvicorn and Starlette are imported only when a server starts: importing the
package stays cheap for a TUI that starts the sandbox after its first paint.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from tui_app.sandbox.db import Database, Org
    from tui_app.sandbox.faults import FaultPlan
    from tui_app.sandbox.limits import ServerLimits
    from tui_app.sandbox.tokens import Credentials

STARTUP_TIMEOUT = 10.0
SHUTDOWN_TIMEOUT = 10.0


class SandboxError(RuntimeError):
    """The sandbox could not start (port in use, unusable database, ...)."""


class SandboxServer:
    """A real HTTP server for the partner checkout API, on loopback by default."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        db_path: Path | None = None,
        token_ttl: int = 3600,
        access_log: bool = False,
        *,
        clock: Callable[[], float] | None = None,
        seed: int | None = None,
        faults: FaultPlan | None = None,
        limits: ServerLimits | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.db_path = db_path
        self.token_ttl = token_ttl
        self.access_log = access_log
        # Tests move time forward to expire baskets; tokens always use real time.
        self._clock = clock
        self.seed = seed
        self.faults = faults
        self.limits = limits  # None: the defaults in limits.ServerLimits
        self._socket: socket.socket | None = None
        self._db: Database | None = None
        self._credentials: Credentials | None = None
        self._server: Any = None  # uvicorn.Server, imported lazily
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> Self:
        """Serve in a daemon thread; return once connections are accepted."""
        if self._thread is not None:
            raise SandboxError("the sandbox is already running")
        self._prepare(foreground=False)
        self._failure = None
        self._thread = threading.Thread(
            target=self._run_in_thread, name=f"sandbox-{self.bound_port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                reason = self._failure or "it did not start in time"
                self.stop()
                raise SandboxError(f"the sandbox could not start: {reason}")
            time.sleep(0.01)
        return self

    def _run_in_thread(self) -> None:
        try:
            # Not the main thread, so uvicorn installs no signal handlers.
            self._server.run(sockets=[self._socket])
        except BaseException as exc:  # SystemExit from a failed startup too
            self._failure = exc

    def stop(self) -> None:
        """Shut down cleanly, wait for the thread, close the database."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(SHUTDOWN_TIMEOUT)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(SHUTDOWN_TIMEOUT)
        self._release()

    def _release(self) -> None:
        if self._socket is not None:
            self._socket.close()
        if self._db is not None:
            self._db.close()
        self._socket = self._db = self._credentials = self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _prepare(self, foreground: bool) -> None:
        self._socket = _bind(self.host, self.port)
        try:
            from tui_app.sandbox.db import Database, DatabaseError

            try:
                self._db = Database(self.db_path)
            except DatabaseError as exc:
                raise SandboxError(str(exc)) from exc
            import uvicorn

            from tui_app.sandbox import logfilter
            from tui_app.sandbox.app import Sandbox, create_app
            from tui_app.sandbox.catalogue import Catalogue
            from tui_app.sandbox.connections import protocol_class
            from tui_app.sandbox.limits import MAX_HEAD, ServerLimits
            from tui_app.sandbox.tokens import Credentials

            limits = self.limits or ServerLimits()
            self._credentials = Credentials(self._db, self.token_ttl)
            sandbox = Sandbox(
                self._db,
                self._credentials,
                Catalogue.load(),
                self._clock or time.time,
                seed=self.seed,
                limits=limits,
            )
            app = create_app(sandbox)
            if self.faults is not None and self.faults.active:
                from tui_app.sandbox.faults import FaultInjector

                app = FaultInjector(app, self.faults)
            config = uvicorn.Config(
                app,
                lifespan="off",
                access_log=self.access_log,
                # In the background the host app owns logging: configure nothing
                # and let only warnings through.
                log_config=uvicorn.config.LOGGING_CONFIG if foreground else None,
                log_level="info" if foreground else "warning",
                timeout_graceful_shutdown=5,
                # h11, guarded against sockets that never finish a request.
                http=protocol_class(limits),
                timeout_keep_alive=limits.keep_alive,
                h11_max_incomplete_event_size=MAX_HEAD,
            )
            self._server = uvicorn.Server(config)
            logfilter.install()  # a storm of one message must not fill the log
        except BaseException:
            self._release()
            raise

    # ---------------------------------------------------------------- addresses

    @property
    def bound_port(self) -> int:
        if self._socket is None:
            raise SandboxError("the sandbox is not running")
        return int(self._socket.getsockname()[1])

    @property
    def root_url(self) -> str:
        if self._socket is None:
            raise SandboxError("the sandbox is not running")
        address = str(self._socket.getsockname()[0])
        if address in ("0.0.0.0", ""):  # noqa: S104 (reading the bound address, not binding)
            address = "127.0.0.1"  # a wildcard bind is reachable on loopback
        elif address == "::":
            address = "::1"
        if ":" in address:
            address = f"[{address}]"
        return f"http://{address}:{self.bound_port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/api"

    @property
    def token_url(self) -> str:
        return f"{self.root_url}/oauth2/token"

    # ---------------------------------------------------------------- credentials

    @property
    def orgs(self) -> list[Org]:
        """The demo organisations: id, name, client_id, client_secret, demo_token."""
        if self._credentials is None:
            raise SandboxError("the sandbox is not running")
        return self._credentials.orgs

    def mint_token(self, org_id: str, ttl: int | None = None) -> str:
        """A fresh bearer token for an organisation (``ttl <= 0``: already expired)."""
        for org in self.orgs:
            if org.id == org_id:
                assert self._credentials is not None
                return self._credentials.mint(org, ttl)
        raise KeyError(org_id)


def _bind(host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise SandboxError(f"cannot listen on {host}: {exc.strerror or exc}") from exc
    sock = socket.socket(family, kind, proto)
    try:
        if os.name != "nt":
            # Lets a restart reuse the port at once; on Windows it would allow two listeners.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise SandboxError(f"port {port} on {host} is already in use") from exc
        raise SandboxError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    return sock


def run_foreground(
    host: str = "127.0.0.1",
    port: int = 8765,
    db_path: Path | None = None,
    token_ttl: int = 3600,
    faults: FaultPlan | None = None,
) -> int:
    """``basket-builder sandbox``: print the demo credentials, serve until Ctrl-C."""
    from tui_app.sandbox.connections import raise_fd_limit

    raise_fd_limit()  # the foreground server is this process's only job
    server = SandboxServer(
        host, port, db_path, token_ttl, access_log=True,
        seed=faults.seed if faults else None, faults=faults,
    )
    try:
        server._prepare(foreground=True)
    except SandboxError as exc:
        print(f"basket-builder sandbox: {exc}", file=sys.stderr)
        return 2
    print(_banner(server), flush=True)
    try:
        server._server.run(sockets=[server._socket])
    except KeyboardInterrupt:
        pass  # uvicorn already shut down gracefully; it re-raises the signal after
    finally:
        server._release()
    print("Sandbox stopped.", flush=True)
    return 0


def _banner(server: SandboxServer) -> str:
    data = str(server.db_path) if server.db_path else "in memory (gone when it stops)"
    lines = [
        "basket-builder sandbox",
        f"  API base URL  {server.base_url}",
        f"  Token URL     {server.token_url}",
        f"  Data          {data}",
        f"  Faults        {server.faults.describe() if server.faults else 'none'}",
        f"  Token TTL     {server.token_ttl} s",
        "",
        "Demo partner organisations (sandbox-only credentials):",
    ]
    for org in server.orgs:
        lines += [
            f"  {org.name} ({org.id})",
            f"    client_id      {org.client_id}",
            f"    client_secret  {org.client_secret}",
            f"    demo token     {org.demo_token}",
            "",
        ]
    lines.append("Serving; press Ctrl-C to stop.")
    return "\n".join(lines)
