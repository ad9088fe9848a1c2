"""`basket-builder serve`: the app in a web browser, for demos.

Each browser tab that connects gets an app process of its own (drawn in the
page by xterm.js, through textual-serve) with an embedded sandbox of its own,
in a fresh config folder that is removed when the tab closes.

This module only describes the command line: the web server (aiohttp,
textual-serve) is imported when `serve` runs, so `basket-builder` itself
starts as fast as before. The parts:

- ``access``  — the access key, the session cookie, Host and Origin checks
- ``server``  — textual-serve's server with visitors, a limit, and cleanup
- ``pages``   — the HTML the server answers with
- ``visitor`` — what the app does differently in a visitor's process
"""

from __future__ import annotations

import argparse

DEFAULT_PORT = 8000
DEFAULT_MAX_VISITORS = 4


def _visitors(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 64:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of visitors (1-64)")
    return int(value)


def add_serve_command(parser: argparse.ArgumentParser, commands, port_type) -> None:
    """``serve`` and the hidden ``--served`` flag each visitor's app runs with."""
    parser.add_argument("--served", action="store_true", help=argparse.SUPPRESS)
    serve = commands.add_parser(
        "serve",
        help="serve the app to web browsers (a demo: one app and sandbox per visitor)",
        description="Serve basket-builder to web browsers with textual-serve. Every "
        "browser tab gets an app and an embedded sandbox of its own, removed when the "
        "tab closes. Bound to loopback (the default) it needs no key; bound to any "
        "other address it asks visitors for an access key.",
        epilog="Keys the browser keeps for itself (ctrl+n, ctrl+t, ctrl+w) never reach the "
        "app: use the command palette (ctrl+p) or click the key in the bottom bar.",
    )
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=port_type, default=DEFAULT_PORT,
                       help=f"port (default: {DEFAULT_PORT}; 0 = any free port)")
    serve.add_argument("--open", action="store_true", help="open the page in a web browser")
    serve.add_argument(
        "--max-visitors", type=_visitors, default=DEFAULT_MAX_VISITORS, metavar="N",
        help=f"visitors served at once; others get a page asking them to wait "
        f"(default: {DEFAULT_MAX_VISITORS})",
    )
    serve.add_argument(
        "--access-key", metavar="KEY",
        help="the key visitors type into the page (default: the "
        "BASKET_BUILDER_ACCESS_KEY variable; for a non-loopback --host one is generated "
        "and printed once; on loopback a key is asked for only when given)",
    )
    serve.add_argument(
        "--profile", dest="serve_profile", metavar="NAME",
        help="let visitors use this stored profile, and its credentials, as well as "
        "their sandbox (default: the embedded sandbox only)",
    )


def run_serve(args: argparse.Namespace) -> int:
    from tui_app.serve.server import run_from_args

    return run_from_args(args)
