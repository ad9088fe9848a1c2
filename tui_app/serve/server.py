"""The web server behind `basket-builder serve`: textual-serve's ``Server``
with visitors of their own.

textual-serve runs one command per browser connection. Here every visitor
gets ``python -m tui_app --served --config-dir <a fresh folder>``: their own
app process, whose embedded sandbox (a child of that process, with its
database in that folder) ends with it. When the tab closes the app is asked
to quit (then ended, if it does not), and the folder is removed.

On top of textual-serve: the access key (``access.py``), a limit on visitors
at once, checks of Host and Origin, files delivered only to their visitor's
session, and no secret in the visitors' environment.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import webbrowser
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from tui_app.serve import pages
from tui_app.serve.access import (
    ACCESS_KEY_ENV,
    AccessGate,
    AccessRefused,
    choose_access_key,
    host_allowed,
    is_loopback,
    origin_allowed,
)
from tui_app.serve.visitor import VISITOR_DIR_PREFIX

log = logging.getLogger("basket-builder.serve")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
QUIT_TIMEOUT = 8.0  # seconds a visitor's app has to quit (it stops its sandbox first)
KILL_TIMEOUT = 5.0
WRONG_KEY_DELAY = 0.5  # seconds: a guessed key costs time
# Never handed to a visitor's app: the key, and secrets meant for other commands.
PRIVATE_ENV = (ACCESS_KEY_ENV, "LIMIO_TOKEN", "BASKET_BUILDER_CONFIG_DIR")
TEMPLATES = Path(__file__).parent / "templates"


def visitor_command(config_dir: Path, profile: str | None = None,
                    python: str = sys.executable) -> list[str]:
    """What runs for one visitor: the app, in the browser's terminal, on a
    folder of its own (so its own sandbox database and session)."""
    command = [python, "-m", "tui_app", "--config-dir", str(config_dir), "--served"]
    if profile is not None:
        command += ["--profile", profile]
    return command


def visitor_environment(base: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in base.items() if name not in PRIVATE_ENV}


class VisitorAppService(AppService):
    """textual-serve's AppService, starting our command without a shell, in
    a session of its own (a Ctrl-C meant for the server does not reach it;
    the server ends each visitor itself) and without private variables."""

    def __init__(self, command: list[str], **kwargs: Any) -> None:
        super().__init__(" ".join(command), **kwargs)
        self.argv = command

    async def _open_app_process(self, width: int = 80, height: int = 24):
        environment = visitor_environment(self._build_environment(width=width, height=height))
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
            start_new_session=True,
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None


@dataclass(eq=False)
class Visitor:
    number: int
    config_dir: Path | None = None
    service: VisitorAppService | None = None
    ending: asyncio.Task[None] | None = field(default=None, repr=False)


class VisitorServer(Server):
    """One app process and one sandbox per browser connection."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        gate: AccessGate,
        max_visitors: int,
        profile: str | None = None,
        profile_source: Path | None = None,
        python: str = sys.executable,
    ) -> None:
        super().__init__(
            command="basket-builder --served",
            host=host,
            port=port,
            title=pages.TITLE,
            templates_path=TEMPLATES,
        )
        self.gate = gate
        self.max_visitors = max_visitors
        self.profile = profile
        self.profile_source = profile_source  # the config dir the profile is copied from
        self.python = python
        self.loopback = is_loopback(host)
        self.visitors: dict[int, Visitor] = {}
        self._numbers = itertools.count(1)

    # ------------------------------------------------------------- the web app

    async def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard], client_max_size=64 * 1024)
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path),
                             autoescape=True)
        app.add_routes([
            web.get("/", self.handle_index, name="index"),
            web.post("/key", self.handle_key, name="key"),
            web.get("/key", self.handle_key_again),
            web.get("/ws", self.handle_websocket, name="websocket"),
            web.get("/download/{key}", self.handle_download, name="download"),
            web.static("/static", self.statics_path, show_index=False, name="static"),
        ])
        app.on_shutdown.append(self.on_shutdown)
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler) -> web.StreamResponse:
        if not host_allowed(request.headers.get("Host"), self.loopback):
            return _html(pages.forbidden(
                "This demo answers only at its loopback address (127.0.0.1 or localhost)."
            ), status=403)
        response = await handler(request)
        if not isinstance(response, web.WebSocketResponse):
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
            response.headers.setdefault("Referrer-Policy", "same-origin")
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            if not request.path.startswith("/static/"):
                response.headers.setdefault("Cache-Control", "no-store")
        return response

    def _session_ok(self, request: web.Request) -> bool:
        return self.gate.session_ok(request.cookies.get(self.gate.cookie_name))

    def _same_origin(self, request: web.Request) -> bool:
        return origin_allowed(request.headers.get("Origin"), request.headers.get("Host"),
                              request.scheme)

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        if not self._session_ok(request):
            return _html(pages.key_form(), status=401)
        if self.full:
            return _html(pages.full(self.max_visitors), status=503,
                         headers={"Retry-After": "30"})
        return aiohttp_jinja2.render_template("app_index.html", request, {
            "title": pages.TITLE,
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
        })

    async def handle_key(self, request: web.Request) -> web.StreamResponse:
        if not self._same_origin(request):
            return _html(pages.forbidden("The key must be typed into this demo's own page."),
                         status=403)
        if not self.gate.required:
            raise web.HTTPSeeOther("/")
        form = await request.post()
        offered = form.get("key")
        if not isinstance(offered, str) or not self.gate.key_matches(offered):
            await asyncio.sleep(WRONG_KEY_DELAY)
            log.warning("a wrong access key from %s", request.remote)
            return _html(pages.wrong_key(), status=403)
        response = web.Response(status=303, headers={"Location": "/"})
        response.set_cookie(self.gate.cookie_name, self.gate.session_value(), path="/",
                            httponly=True, samesite="Strict")
        return response

    async def handle_key_again(self, request: web.Request) -> web.StreamResponse:
        """A reload of the wrong-key page: back to the form."""
        raise web.HTTPSeeOther("/")

    async def handle_download(self, request: web.Request) -> web.StreamResponse:
        if not self._session_ok(request):
            return _html(pages.forbidden("Open the demo's page first."), status=403)
        return await super().handle_download(request)

    @property
    def full(self) -> bool:
        return len(self.visitors) >= self.max_visitors

    # ------------------------------------------------------------- visitors

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        if not self._session_ok(request) or not self._same_origin(request):
            raise web.HTTPForbidden(text="not allowed")
        websocket = web.WebSocketResponse(heartbeat=15)
        if self.full:
            await websocket.prepare(request)
            await websocket.send_bytes(pages.full_in_terminal(self.max_visitors))
            await websocket.close()
            return websocket
        visitor = Visitor(next(self._numbers))
        self.visitors[visitor.number] = visitor  # the place is taken before any wait
        width = _cells(request.query.get("width", "80"), 80)
        height = _cells(request.query.get("height", "24"), 24)
        try:
            await websocket.prepare(request)
            visitor.config_dir = await asyncio.to_thread(self._visitor_folder)
            visitor.service = VisitorAppService(
                visitor_command(visitor.config_dir, self.profile, self.python),
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=websocket.close,
                download_manager=self.download_manager,
                debug=self.debug,
            )
            await visitor.service.start(width, height)
            # An app that ends without saying so (it could not start) ends the page too.
            visitor.service._task.add_done_callback(  # type: ignore[union-attr]
                lambda _: asyncio.ensure_future(websocket.close())
            )
            self._say(f"visitor {visitor.number} arrived (app pid {visitor.service.pid}; "
                      f"{len(self.visitors)} of {self.max_visitors} places taken)")
            await self._process_messages(websocket, visitor.service)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await websocket.close()
            raise
        except Exception:
            log.exception("visitor %s: the session failed", visitor.number)
        finally:
            await asyncio.shield(self._end(visitor))
        return websocket

    async def _process_messages(self, websocket: web.WebSocketResponse,
                                app_service: AppService) -> None:
        """textual-serve's loop, tolerant of messages that are not what it expects."""
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = message.json()
                kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
                if kind == "stdin" and isinstance(data, str):
                    await app_service.send_bytes(data.encode("utf-8"))
                elif kind == "resize" and isinstance(data, dict):
                    await app_service.set_terminal_size(
                        _cells(data["width"], 80), _cells(data["height"], 24)
                    )
                elif kind == "ping":
                    await websocket.send_json(["pong", data])
                elif kind == "blur":
                    await app_service.blur()
                elif kind == "focus":
                    await app_service.focus()
            except (ValueError, TypeError, KeyError, IndexError):
                continue

    def _visitor_folder(self) -> Path:
        folder = Path(tempfile.mkdtemp(prefix=VISITOR_DIR_PREFIX))  # mode 0700
        if self.profile is not None:
            copy_profile(self.profile, self.profile_source, folder)
        return folder

    async def _end(self, visitor: Visitor) -> None:
        """Quit the visitor's app (it stops its sandbox), insist if it must,
        remove its folder. Safe to call twice: the second waits for the first."""
        if visitor.ending is None:
            visitor.ending = asyncio.ensure_future(self._end_once(visitor))
        await visitor.ending

    async def _end_once(self, visitor: Visitor) -> None:
        try:
            service = visitor.service
            if service is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(service.stop(), QUIT_TIMEOUT)
                process = service._process
                if process is not None and process.returncode is None:
                    for stop, wait in ((process.terminate, KILL_TIMEOUT),
                                       (process.kill, KILL_TIMEOUT)):
                        with contextlib.suppress(ProcessLookupError):
                            stop()
                        with contextlib.suppress(asyncio.TimeoutError):
                            await asyncio.wait_for(process.wait(), wait)
                            break
            if visitor.config_dir is not None:
                await asyncio.to_thread(remove_folder, visitor.config_dir)
        finally:
            self.visitors.pop(visitor.number, None)
            if visitor.service is not None:
                self._say(f"visitor {visitor.number} left; their app and sandbox have ended "
                          f"({len(self.visitors)} of {self.max_visitors} places taken)")

    async def on_shutdown(self, app: web.Application) -> None:
        await asyncio.gather(*(self._end(v) for v in list(self.visitors.values())),
                             return_exceptions=True)

    @staticmethod
    def _say(message: str) -> None:
        print(f"basket-builder serve: {message}", flush=True)

    # ------------------------------------------------------------- running

    async def run(self, *, open_browser: bool = False,
                  started: threading.Event | None = None) -> int:
        """Serve until SIGINT or SIGTERM."""
        runner = web.AppRunner(await self._make_app(), access_log=None,
                               handle_signals=False, shutdown_timeout=QUIT_TIMEOUT + 2)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            print(f"basket-builder serve: cannot listen on {self.host}:{self.port}: "
                  f"{exc.strerror or exc} (--port 0 picks any free port)", file=sys.stderr)
            return EXIT_FAILED
        self.port = _bound_port(site) or self.port
        self.gate.port = self.port  # names the cookie: two demos on one machine keep apart
        url = f"http://{_url_host(self.host)}:{self.port}/"
        here = url if self.loopback or self.host not in WILDCARDS else (
            f"http://localhost:{self.port}/")
        self.public_url = url.rstrip("/")
        self._banner(url)
        if open_browser:
            threading.Thread(target=webbrowser.open, args=(here,), daemon=True).start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, stop.set)
        if started is not None:
            started.set()
        try:
            await stop.wait()
        finally:
            self._say("stopping: ending every visitor's app…")
            await runner.cleanup()
        self._say("stopped.")
        return EXIT_OK

    def _banner(self, url: str) -> None:
        places = "1 visitor" if self.max_visitors == 1 else f"{self.max_visitors} visitors"
        lines = [
            f"basket-builder serve: {url}",
            f"  Each visitor gets an app and a sandbox of their own; up to {places} at once.",
        ]
        if self.profile is not None:
            lines.append(f"  Visitors can also use profile {self.profile!r}.")
        lines.append("  Visitors are asked for the access key." if self.gate.required
                     else "  No access key: only this machine can reach it.")
        lines.append("  Press Ctrl+C to stop.")
        print("\n".join(lines), flush=True)


def _html(text: str, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", headers=headers)


def _cells(value: object, default: int) -> int:
    """A terminal size from the browser, kept to what a screen can be."""
    size = to_int(str(value), default)
    return min(max(size, 10), 1000)


def _bound_port(site: web.TCPSite) -> int | None:
    server = getattr(site, "_server", None)
    for sock in getattr(server, "sockets", None) or ():
        return sock.getsockname()[1]
    return None


WILDCARDS = ("", "0.0.0.0", "::")  # noqa: S104 - only naming what may be bound


def _url_host(host: str) -> str:
    """How other machines name this one in the URL to share."""
    if host in WILDCARDS:
        import socket

        return socket.gethostname() or "localhost"
    return f"[{host}]" if ":" in host else host


def remove_folder(folder: Path) -> None:
    """A visitor's folder, gone. The sandbox may still be closing its files
    for a moment after the app ended: try again briefly before giving up."""
    import time

    for _ in range(10):
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            return
        time.sleep(0.2)
    log.warning("could not remove %s", folder)


def copy_profile(name: str, source: Path | None, folder: Path) -> None:
    """Put the presenter's profile (and its secrets, mode 0600) into a
    visitor's folder. Raises LookupError if it is not there any more."""
    from tui_app.services.store.paths import AppPaths
    from tui_app.services.store.profiles import ProfileStore

    store = ProfileStore(AppPaths.resolve(source))
    store.load()
    profile = store.get(name)
    if profile is None:
        raise LookupError(f"no profile named {name!r}")
    target = ProfileStore(AppPaths.resolve(folder))
    target.put(profile, store.secrets_for(name))
    target.save()


def check_profile(name: str, source: Path | None) -> str | None:
    """Why ``--profile NAME`` cannot be served, or None."""
    from tui_app.services.connection import SANDBOX_PROFILE_NAME
    from tui_app.services.store.paths import AppPaths
    from tui_app.services.store.profiles import ProfileStore

    if name == SANDBOX_PROFILE_NAME:
        return None
    store = ProfileStore(AppPaths.resolve(source))
    store.load()
    if store.get(name) is None:
        known = ", ".join(p.name for p in store.profiles()) or "none yet"
        return f"no profile named {name!r} (profiles: {known})"
    return None


def run_from_args(args: argparse.Namespace) -> int:
    """``basket-builder serve``: every option checked before anything is bound."""
    try:
        key, generated = choose_access_key(args.host, args.access_key, os.environ)
    except AccessRefused as exc:
        print(f"basket-builder serve: refusing to start: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from tui_app.services.connection import SANDBOX_PROFILE_NAME

    profile = args.serve_profile or getattr(args, "profile", None)
    if profile == SANDBOX_PROFILE_NAME:
        profile = None
    if profile is not None:
        problem = check_profile(profile, args.config_dir)
        if problem is not None:
            print(f"basket-builder serve: {problem}", file=sys.stderr)
            return EXIT_USAGE
        print(
            f"basket-builder serve: warning: visitors act with profile {profile!r} and its "
            "credentials (and can reveal them on its Profiles screen). Share this page only "
            "with people you would give them to.",
            file=sys.stderr, flush=True,
        )
    logging.basicConfig(level=logging.WARNING, format="basket-builder serve: %(message)s")
    gate = AccessGate(key)
    server = VisitorServer(
        host=args.host, port=args.port, gate=gate, max_visitors=args.max_visitors,
        profile=profile, profile_source=args.config_dir,
    )
    if generated:
        print(f"basket-builder serve: access key (shown only now): {key}", flush=True)
    try:
        return asyncio.run(server.run(open_browser=args.open))
    except KeyboardInterrupt:
        return 130
