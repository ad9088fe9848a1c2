"""The command line: `basket-builder [options]` opens the TUI, subcommands do
the rest. Heavy modules (Textual, the sandbox server) are imported only by the
command that needs them, so `--help` and `--version` answer at once."""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tui_app import __version__
from tui_app.lean_imports import import_httpx, keep_pydantic_plugins_out, keep_trio_out

if TYPE_CHECKING:
    from tui_app.services.store.paths import AppPaths

EXIT_OK = 0
EXIT_FAILED = 1  # `run`: an expectation failed or a step could not run
EXIT_USAGE = 2
EXIT_CRASHED = 70  # the TUI ended on an unexpected error (EX_SOFTWARE in sysexits.h)
TOKEN_ENV = "LIMIO_TOKEN"  # noqa: S105 - the name of a variable, not a secret


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
    _add_run_command(commands)
    from tui_app.serve import add_serve_command  # its web server loads only when it runs

    add_serve_command(parser, commands, _port)
    return parser


def _add_run_command(commands) -> None:
    run = commands.add_parser(
        "run",
        help="replay scenario files and check every step (no TUI)",
        description="Replay scenario files (TOML; see examples/) step by step and "
        "check each reply against the file's expectations. One line per step, a "
        "diff for each failed expectation, then a summary. With no --profile and no "
        "--base-url it runs on a fresh in-memory sandbox. Exit status: 0 all passed, "
        "1 an expectation failed or a step could not run, 2 a bad file or bad options, "
        "3 the server could not be reached or refused the credentials, 130 interrupted "
        "(Ctrl-C).",
        epilog="The token is never printed. Keep it off the command line: leave out "
        "--token and set LIMIO_TOKEN instead. LIMIO_* variables are ${NAME} in a "
        "version 2 scenario, masked (***) like --secret values in every output and report.",
    )
    run.add_argument("files", nargs="+", type=Path, metavar="FILE", help="scenario files")
    target = run.add_mutually_exclusive_group()
    target.add_argument(
        "--profile", dest="run_profile", metavar="NAME", help="run against a stored profile"
    )
    target.add_argument(
        "--base-url", metavar="URL", help="run against this API base URL with a bearer token"
    )
    run.add_argument(
        "--token",
        metavar="T",
        help="bearer token for --base-url (default: the LIMIO_TOKEN environment variable)",
    )
    run.add_argument(
        "--json", action="store_true", help="print one JSON object per step and nothing else"
    )
    run.add_argument("--junit", type=Path, metavar="PATH", help="also write JUnit XML to PATH")
    run.add_argument("--tap", type=Path, metavar="PATH", help="also write TAP 14 to PATH")
    run.add_argument("--json-report", type=Path, metavar="PATH",
                     help="also write one JSON document (every step, request and reply) to PATH")
    run.add_argument("--html", type=Path, metavar="PATH",
                     help="also write a self-contained HTML report to PATH")
    values = run.add_argument_group("variables (scenario version 2)")
    values.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                        help="a ${NAME} value (repeatable)")
    values.add_argument("--secret", action="append", default=[], metavar="NAME=VALUE",
                        help="like --var, but masked (***) in every output and report")
    values.add_argument("--vars", dest="vars_files", action="append", default=[], type=Path,
                        metavar="FILE", help="a TOML or JSON table of NAME = value")
    values.add_argument("--data", dest="data_file", type=Path, metavar="FILE",
                        help="run each scenario once per row of FILE (CSV or JSON list of "
                        "objects) instead of its [[data]] rows")
    run.add_argument("--jobs", default="1", metavar="N",
                     help="run N files/data rows at once (default 1; auto = CPU count); "
                     "the output stays in input order")
    run.add_argument("--fail-fast", action="store_true",
                     help="start no further scenario after the first that fails")
    run.add_argument("-v", "--verbose", action="store_true",
                     help="show every reply body (shown on error anyway)")
    run.add_argument(
        "--config-dir",
        dest="run_config_dir",
        type=_existing_dir_or_new,
        metavar="DIR",
        help="where the profiles are (same as the global --config-dir)",
    )


def _run_sandbox(args: argparse.Namespace) -> int:
    from tui_app.sandbox.server import run_foreground
    from tui_app.services.store.paths import AppPaths

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


class _Refused(Exception):
    """An option or file `run` cannot work with; the message says which and why."""


EXIT_UNREACHABLE = 3  # `run`: the server could not be reached or refused the credentials
EXIT_INTERRUPTED = 130  # `run`: Ctrl-C


def _run_scenarios(args: argparse.Namespace) -> int:
    """`basket-builder run FILE...`: every file is checked before anything is sent."""
    import_httpx()
    from tui_app.services.scenarios.suite import parse_jobs, prepare

    prepared = prepare(args.files, var=args.var, secret=args.secret,
                       vars_files=args.vars_files, data_file=args.data_file)
    problems = prepared.problems
    try:
        jobs = parse_jobs(args.jobs)
    except ValueError as exc:
        problems.append(f"--jobs {exc}")
    reports = {}
    for option in ("junit", "tap", "json_report", "html"):
        given = getattr(args, option)
        if given is None:
            continue
        target = given.expanduser()
        if target.is_dir() or not target.parent.is_dir():
            problems.append(f"--{option.replace('_', '-')} {given}: " + (
                "is a directory" if target.is_dir()
                else f"the folder {target.parent} does not exist"))
        reports[option] = target
    if problems:
        for line in problems:
            print(prepared.redact(line), file=sys.stderr)
        return EXIT_USAGE
    try:
        # Each job makes its client first: a refused option stops the run
        # before anything is sent.
        results: list = []
        # The results are handed back in a list, not as the task's return
        # value: asyncio.run formats its main task, result and all, when it
        # restores the Ctrl+C handler (0.13 s of a 1,000-step replay, profiled).
        asyncio.run(_replay_all(args, prepared, jobs, results))
    except KeyboardInterrupt:
        print("basket-builder run: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except _Refused as exc:
        print(f"basket-builder run: {prepared.redact(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    ran = [(case, result) for case, result in zip(prepared.cases, results, strict=True)
           if result is not None]
    if reports:
        from tui_app.services.scenarios import reports as formats
        from tui_app.services.store.files import StoreError, atomic_write

        writers = {"junit": formats.junit_xml, "tap": formats.tap_report,
                   "json_report": formats.json_report, "html": formats.html_report}
        runs = [(case.label, result) for case, result in ran]
        for option, target in reports.items():
            try:
                atomic_write(target, prepared.redact(writers[option](runs)).encode("utf-8"))
            except StoreError as exc:
                print(f"basket-builder run: {exc}", file=sys.stderr)
                return EXIT_USAGE
    if any(step.unreachable for _, result in ran for step in result.steps):
        return EXIT_UNREACHABLE
    return EXIT_OK if all(result.passed for _, result in ran) else EXIT_FAILED


async def _replay_all(args: argparse.Namespace, prepared, jobs: int, out: list) -> None:
    from tui_app.services.scenarios.reports import (
        ASCII,
        json_line,
        marks_for,
        step_lines,
        summary_line,
    )
    from tui_app.services.scenarios.suite import run_cases

    marks = marks_for(getattr(sys.stdout, "encoding", None))
    if marks is ASCII and hasattr(sys.stdout, "reconfigure"):
        # Offer names and server messages may still hold characters the
        # terminal cannot show: a "?" beats a crash halfway through a run.
        sys.stdout.reconfigure(errors="replace")
    redact = prepared.redact

    def render(case, step):
        count = len(case.scenario.steps)
        if args.json:
            return [json_line(case.label, case.name or case.scenario.name, count, step,
                              ascii_only=marks is ASCII)]
        return step_lines(case.label, step, count, marks, path=case.path, verbose=args.verbose)

    def emit(lines):
        print(redact("\n".join(lines)), flush=True)

    import time

    own_process = jobs > 1 and len(prepared.cases) > 1
    started = time.perf_counter()
    results = await run_cases(prepared.cases, lambda: _scenario_client(args, own_process),
                              jobs=jobs,
                              fail_fast=args.fail_fast, render=render, emit=emit)
    out.extend(results)
    if not args.json:
        done = [result for result in results if result is not None]
        wall = (time.perf_counter() - started) * 1000 if own_process else None
        line = summary_line(done, marks, wall_ms=wall)
        left = len(results) - len(done)
        print(redact(line + (f"; {left} not run (--fail-fast)" if left else "")))


def _scenario_client(args: argparse.Namespace, own_process: bool = False):
    """The client `run` talks through, and what to call when done. With
    ``own_process`` (--jobs above 1) the embedded sandbox runs in a process of
    its own, so that jobs run in parallel and not under one interpreter lock."""
    profile = args.run_profile or args.profile
    if args.base_url is not None and profile is not None:
        raise _Refused("give --profile or --base-url, not both")
    if args.token is not None and args.base_url is None:
        raise _Refused("--token goes with --base-url (a stored profile has its own secrets)")
    if args.base_url is not None:
        return _bearer_client(args.base_url, args.token), (lambda: None)
    # Profiles and their store are imported only when a profile may be used.
    from tui_app.services.connection import SANDBOX_PROFILE_NAME

    if profile is not None and profile != SANDBOX_PROFILE_NAME:
        return _profile_client(profile, args.run_config_dir or args.config_dir), (lambda: None)
    return _sandbox_process_client() if own_process else _sandbox_client()


def _sandbox_process_client():
    """A fresh in-memory sandbox in a child process of its own, as its demo org."""
    from tui_app.sandbox.child import SandboxProcess, SandboxStartError
    from tui_app.services.api.auth import ClientCredentialsAuth
    from tui_app.services.api.client import CheckoutClient
    from tui_app.services.api.endpoints import Endpoint

    try:
        child = SandboxProcess.start()
    except SandboxStartError as exc:
        raise _Refused(str(exc)) from None
    client = CheckoutClient(
        Endpoint.from_base_url(child.base_url),
        ClientCredentialsAuth(child.client_id, child.client_secret),
    )
    return client, child.stop


def _bearer_client(base_url: str, token: str | None):
    import os

    from tui_app.services.api.auth import BearerAuth
    from tui_app.services.api.client import CheckoutClient
    from tui_app.services.api.endpoints import Endpoint, EndpointError

    token = token if token is not None else os.environ.get(TOKEN_ENV)
    if not token:
        raise _Refused(f"--base-url needs a bearer token: set {TOKEN_ENV} (or give --token)")
    try:
        endpoint = Endpoint.from_base_url(base_url)
        auth = BearerAuth(token)
    except (EndpointError, ValueError) as exc:
        raise _Refused(str(exc)) from None
    return CheckoutClient(endpoint, auth)


def _profile_client(name: str, config_dir: Path | None):
    from tui_app.services.connection import ProfileNotUsable, build_client
    from tui_app.services.store.files import StoreError
    from tui_app.services.store.paths import AppPaths
    from tui_app.services.store.profiles import ProfileStore

    store = ProfileStore(AppPaths.resolve(config_dir))
    try:
        store.load()
    except StoreError as exc:
        raise _Refused(str(exc)) from None
    profile = store.get(name)
    if profile is None:
        known = ", ".join(p.name for p in store.profiles()) or "none yet"
        raise _Refused(f"no profile named {name!r} (profiles: {known})")
    try:
        return build_client(profile, store.secrets_for(name))
    except ProfileNotUsable as exc:
        raise _Refused(str(exc)) from None


def _sandbox_client():
    """A fresh in-memory sandbox of the run's own, as the first demo org."""
    from tui_app.sandbox.server import SandboxError, SandboxServer
    from tui_app.services.api.auth import ClientCredentialsAuth
    from tui_app.services.api.client import CheckoutClient
    from tui_app.services.api.endpoints import Endpoint

    try:
        server = SandboxServer().start()
    except SandboxError as exc:
        raise _Refused(str(exc)) from None
    org = server.orgs[0]
    client = CheckoutClient(
        Endpoint.from_base_url(server.base_url),
        ClientCredentialsAuth(org.client_id, org.client_secret),
    )
    return client, server.stop


def _start_embedded_sandbox(paths: AppPaths):
    """Started by the app after its first paint (in a thread, as it waits for
    the child's handshake): the sandbox runs in a process of its own."""

    def start():
        from tui_app.sandbox.child import SandboxProcess
        from tui_app.services.connection import EmbeddedSandbox

        child = SandboxProcess.start(paths.sandbox_db, log_path=paths.sandbox_log)
        return EmbeddedSandbox(
            base_url=child.base_url,
            client_id=child.client_id,
            client_secret=child.client_secret,
            stop=child.stop,
            poll=child.process.poll,  # the app notices when the process has ended
            pid=child.process.pid,
        )

    return start


def _run_tui(args: argparse.Namespace) -> int:
    from tui_app.idle_collector import resume_after_start_up, young_collections_only_for_start_up

    young_collections_only_for_start_up()  # the app gives Python its own back once started
    try:
        return _open_tui(args)
    finally:
        resume_after_start_up()  # if it never started: a bad profile, a quit at once


def _open_tui(args: argparse.Namespace) -> int:
    from tui_app.services.store.files import StoreError
    from tui_app.services.store.paths import AppPaths

    paths = AppPaths.resolve(args.config_dir)
    try:
        paths.ensure()
    except StoreError as exc:
        print(f"basket-builder: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from tui_app.services.connection import SANDBOX_PROFILE_NAME
    from tui_app.services.store.profiles import ProfileStore

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
        start_sandbox=_start_embedded_sandbox(paths),
        profile_name=args.profile,
    )
    if args.served:  # a browser visitor's app, started by `basket-builder serve`
        from tui_app.serve.visitor import prepare_visitor_app

        prepare_visitor_app(app, args.profile)
    app.run()
    if app.return_code:
        # Textual printed the report (without any values: see the app's
        # crash_report); say plainly that this was a crash, not a quit.
        print(
            f"basket-builder: stopped by an unexpected error (exit status {EXIT_CRASHED}); "
            "the report above shows where, without any values.",
            file=sys.stderr,
        )
        return EXIT_CRASHED
    return EXIT_OK


def entry() -> int:
    """The command line as a process of its own (`basket-builder`,
    `python -m tui_app`): ``main``, then out of Python's way as it ends."""
    code = main()
    # The process ends now and its memory with it, but Python would first
    # walk every object it tracks in garbage collections at shutdown: about
    # 0.2 s of every `basket-builder run` (and of quitting the app) on this
    # project's machine. Frozen objects are not walked; exit handlers and
    # everything freed by reference counting still run as before.
    gc.freeze()
    return code


def main(argv: Sequence[str] | None = None) -> int:
    keep_trio_out()
    keep_pydantic_plugins_out()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "sandbox":
            return _run_sandbox(args)
        if args.command == "run":
            return _run_scenarios(args)
        if args.command == "serve":
            from tui_app.serve import run_serve

            return run_serve(args)
        return _run_tui(args)
    except KeyboardInterrupt:
        return 130
