"""The command line: `basket-builder [options]` opens the TUI, subcommands do
the rest. Heavy modules (Textual, the sandbox server) are imported only by the
command that needs them, so `--help` and `--version` answer at once."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tui_app import __version__

EXIT_OK = 0
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but errors name the program and end with a pointer to --help."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\nTry '{self.prog} --help'.\n")


def _existing_dir_or_new(value: str) -> Path:
    path = Path(value).expanduser()
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{value} exists and is not a directory")
    return path


def _port(value: str) -> int:
    if not value.isdigit() or not 0 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number (0-65535)")
    return int(value)


def _positive_int(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of seconds above 0")
    return int(value)


def _share(value: str) -> float:
    try:
        share = float(value)
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a share between 0 and 1 (e.g. 0.1)")
    return share


def _latency(value: str) -> tuple[int, int]:
    from tui_app.sandbox.faults import parse_latency

    try:
        return parse_latency(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="basket-builder",
        description=(
            "Build, edit and validate Limio partner checkout baskets. With no "
            "profile configured it opens on the embedded sandbox."
        ),
    )
    parser.add_argument("--version", action="version", version=f"basket-builder {__version__}")
    parser.add_argument(
        "--config-dir",
        type=_existing_dir_or_new,
        metavar="DIR",
        help="keep profiles, secrets, session and sandbox data in DIR "
        "(default: the user config dir; also BASKET_BUILDER_CONFIG_DIR)",
    )
    parser.add_argument("--profile", metavar="NAME", help="open with this profile active")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    sandbox = commands.add_parser(
        "sandbox",
        help="run the sandbox server in the foreground",
        description="Run the sandbox: a local server speaking the Partner Checkout API. "
        "It prints its base URL and demo credentials; stop it with Ctrl-C.",
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    sandbox.add_argument("--port", type=_port, default=8765, help="port (default: 8765; 0 = any)")
    store = sandbox.add_mutually_exclusive_group()
    store.add_argument("--memory", action="store_true", help="keep data in memory only")
    store.add_argument("--db", type=Path, metavar="PATH", help="SQLite file to use")
    faults = sandbox.add_argument_group(
        "fault injection",
        "Make the sandbox misbehave on purpose, on /api requests only (repeatable with --seed).",
    )
    faults.add_argument("--latency", type=_latency, metavar="MS[:MAX]",
                        help="wait this many milliseconds (or a random time in MS..MAX) "
                        "before each reply")
    faults.add_argument("--fail-rate", type=_share, default=0.0, metavar="SHARE",
                        help="share of requests answered 502 without being processed (0-1)")
    faults.add_argument("--drop-rate", type=_share, default=0.0, metavar="SHARE",
                        help="share of requests processed, then cut off before the reply (0-1)")
    faults.add_argument("--garbage-rate", type=_share, default=0.0, metavar="SHARE",
                        help="share of requests answered with an HTML page instead of JSON")
    faults.add_argument("--seed", type=int, metavar="N",
                        help="seed for the faults (and basket ids), so a run can be repeated")
    sandbox.add_argument(
        "--token-ttl",
        type=_positive_int,
        default=3600,
        metavar="SECONDS",
        help="lifetime of minted tokens (default: 3600)",
    )
    return parser


def _run_sandbox(args: argparse.Namespace) -> int:
    from tui_app.sandbox.server import run_foreground
    from tui_app.services.paths import AppPaths

    if args.memory:
        db_path = None
    elif args.db is not None:
        db_path = args.db.expanduser()
        if db_path.exists() and db_path.is_dir():
            print(f"basket-builder sandbox: --db {db_path} is a directory", file=sys.stderr)
            return EXIT_USAGE
    else:
        paths = AppPaths.resolve(args.config_dir)
        db_path = paths.sandbox_db
    if db_path is not None:
        try:
            db_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            print(f"basket-builder sandbox: cannot create {db_path.parent}: {exc.strerror}",
                  file=sys.stderr)
            return EXIT_USAGE
    from tui_app.sandbox.faults import FaultPlan

    try:
        faults = FaultPlan(
            latency_ms=args.latency or (0, 0),
            fail_rate=args.fail_rate,
            drop_rate=args.drop_rate,
            garbage_rate=args.garbage_rate,
            seed=args.seed,
        )
    except ValueError as exc:
        print(f"basket-builder sandbox: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return run_foreground(
        host=args.host, port=args.port, db_path=db_path, token_ttl=args.token_ttl,
        faults=faults,
    )


def _start_embedded_sandbox(db_path: Path):
    """Started by the app after its first paint, in a thread."""

    def start():
        from tui_app.sandbox.server import SandboxServer
        from tui_app.services.connection import EmbeddedSandbox

        server = SandboxServer(db_path=db_path).start()
        org = server.orgs[0]
        return EmbeddedSandbox(
            base_url=server.base_url,
            client_id=org.client_id,
            client_secret=org.client_secret,
            stop=server.stop,
        )

    return start


def _run_tui(args: argparse.Namespace) -> int:
    from tui_app.services.files import StoreError
    from tui_app.services.paths import AppPaths

    paths = AppPaths.resolve(args.config_dir)
    try:
        paths.ensure()
    except StoreError as exc:
        print(f"basket-builder: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from tui_app.services.connection import SANDBOX_PROFILE_NAME
    from tui_app.services.profiles import ProfileStore

    if args.profile not in (None, SANDBOX_PROFILE_NAME):
        profiles = ProfileStore(paths)
        profiles.load()
        if profiles.get(args.profile) is None:
            known = ", ".join(p.name for p in profiles.profiles()) or "none yet"
            print(
                f"basket-builder: no profile named {args.profile!r} (profiles: {known})",
                file=sys.stderr,
            )
            return EXIT_USAGE

    from tui_app.app import make_app

    app = make_app(
        paths,
        start_sandbox=_start_embedded_sandbox(paths.sandbox_db),
        profile_name=args.profile,
    )
    app.run()
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "sandbox":
            return _run_sandbox(args)
        return _run_tui(args)
    except KeyboardInterrupt:
        return 130
