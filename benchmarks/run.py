"""basket-builder benchmark: one command, one table.

    python benchmarks/run.py              # the full run (about 3 minutes)
    python benchmarks/run.py --quick      # a smoke run (under 40 seconds)
    python benchmarks/run.py --repeat 9 --json results.json

Each figure is measured several times in the same run as its reference and
reported as median, min and max, with the ratio to the reference's median and
the budget verdict. Each figure runs in a child process of its own with a
hard timeout, so one that hangs or crashes prints "n/a" with the reason and
the others still run. See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.stats import Row, failed, format_table, to_json


@dataclass(frozen=True)
class Figure:
    name: str
    title: str
    needs_pyte: bool
    timeout: float  # seconds for the whole figure (full run)
    quick_timeout: float


FIGURES = (
    Figure("startup", "first interactive screen", True, 240, 60),
    Figure("keys", "key→result", False, 300, 90),
    Figure("replay", "replay throughput", False, 300, 90),
    Figure("scenario", "scenario file loading", False, 240, 60),
    Figure("load", "sandbox throughput", False, 180, 60),
    Figure("memory", "peak RSS, 500-item basket on screen", True, 180, 60),
)
BY_NAME = {figure.name: figure for figure in FIGURES}

# key→result moves by ±25 ms run to run on 2 cores: seven runs make its median steady.
DEFAULT_REPEAT = {"startup": 5, "keys": 7, "replay": 3, "scenario": 3, "load": 3, "memory": 3}
QUICK_REPEAT = {"startup": 2, "keys": 2, "replay": 1, "scenario": 1, "load": 1, "memory": 1}


def bytecode_cache() -> Path:
    """Byte-code for every launched Python, kept outside the repository and
    reused between runs: a user's installed app has compiled byte-code, and
    PYTHONDONTWRITEBYTECODE (set in some environments) would otherwise make
    every launch compile basket-builder from source."""
    return Path(tempfile.gettempdir()) / "basket-builder-bench-pycache"


# --------------------------------------------------------------------------- one figure


def measure(name: str, repeat: int, quick: bool) -> list[Row]:
    """Run one figure in this process (called in the child)."""
    figure = BY_NAME[name]
    if figure.needs_pyte:
        try:
            import pyte  # noqa: F401
        except ImportError:
            return [failed(figure.title, "pyte is not installed (pip install -e '.[bench]')")]
    if name == "startup":
        from benchmarks.startup import measure_startup

        return measure_startup(repeat)
    if name == "keys":
        from benchmarks.keys import measure_keys

        sizes = [1, 50] if quick else [1, 50, 500]
        return measure_keys(repeat, sizes)
    if name == "replay":
        from benchmarks.replay_speed import STEPS, measure_replay

        return measure_replay(repeat, steps=200 if quick else STEPS)
    if name == "scenario":
        from benchmarks.replay_speed import LOAD_STEPS, measure_scenario_loading

        return measure_scenario_loading(repeat, (2_000,) if quick else LOAD_STEPS)
    if name == "load":
        from benchmarks.load import CLIENTS, measure_load

        return measure_load(repeat, clients=8 if quick else CLIENTS, rounds=5 if quick else 20)
    if name == "memory":
        from benchmarks.startup import measure_memory

        return measure_memory(repeat, items=500)
    raise KeyError(name)


def run_child(figure: Figure, repeat: int, quick: bool, env: dict[str, str]) -> list[Row]:
    """Run one figure in a child process with a hard timeout."""
    timeout = figure.quick_timeout if quick else figure.timeout
    timeout *= max(1.0, repeat / (QUICK_REPEAT if quick else DEFAULT_REPEAT)[figure.name])
    with tempfile.TemporaryDirectory(prefix="bb-bench-") as tmp:
        out = Path(tmp) / "rows.json"
        argv = [sys.executable, str(Path(__file__).resolve()), "--figure", figure.name,
                "--out", str(out), "--repeat", str(repeat)] + (["--quick"] if quick else [])
        process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            _kill(process)
            return [failed(figure.title, f"timed out after {timeout:.0f} s")]
        except KeyboardInterrupt:
            _kill(process)
            raise
        if not out.exists():
            return [failed(figure.title, f"the measuring process exited {process.returncode} "
                           "without results (see the messages above)")]
        data = json.loads(out.read_text(encoding="utf-8"))
        return [Row.from_json(row) for row in data]


def _kill(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM first: the child then closes what it launched (apps in their
    pseudo-terminals, sandbox processes live in sessions of their own)."""
    for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        try:
            process.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _exit_on_sigterm() -> None:
    """In the child: turn SIGTERM into SystemExit so `with` blocks close the
    apps and sandboxes it started."""

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def child_env(use_cache: bool) -> dict[str, str]:
    env = dict(os.environ)
    if use_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(bytecode_cache())
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


# --------------------------------------------------------------------------- the run


def meta(args: argparse.Namespace, started: float, load_before: tuple[float, ...]) -> dict:
    import textual

    from tui_app import __version__

    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 1),
        "quick": args.quick,
        "repeat": args.repeat,
        "figures": args.only,
        "bytecode_cache": None if args.no_bytecode_cache else str(bytecode_cache()),
        "python": platform.python_version(),
        "textual": textual.__version__,
        "basket_builder": __version__,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/run.py",
        description="Measure basket-builder against its budgets and print a table.",
    )
    parser.add_argument("--quick", action="store_true",
                        help="a fast smoke run: fewer repeats, smaller baskets and replays")
    parser.add_argument("--repeat", type=int, metavar="N",
                        help="measure every figure N times (default: 3-5 each; quick: 1-2)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results here")
    parser.add_argument("--only", default=",".join(BY_NAME), metavar="FIGURES",
                        help=f"comma-separated subset of: {', '.join(BY_NAME)}")
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="launch children with the environment's byte-code settings as "
                        "they are (see README)")
    # Internal: run one figure in this process and write its rows as JSON.
    parser.add_argument("--figure", choices=list(BY_NAME), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be at least 1")
    unknown = [name for name in args.only.split(",") if name not in BY_NAME]
    if unknown:
        parser.error(f"unknown figure {', '.join(unknown)} (choose from {', '.join(BY_NAME)})")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.figure:  # the child: one figure, rows to --out
        _exit_on_sigterm()
        repeat = args.repeat or (QUICK_REPEAT if args.quick else DEFAULT_REPEAT)[args.figure]
        rows = measure(args.figure, repeat, args.quick)
        if args.out:
            args.out.write_text(json.dumps([row.to_json() for row in rows]), encoding="utf-8")
        else:
            print(format_table(rows))
        return 0

    started = time.perf_counter()
    load_before = os.getloadavg()
    env = child_env(not args.no_bytecode_cache)
    rows: list[Row] = []
    names = args.only.split(",")
    for figure in (BY_NAME[name] for name in names):
        repeat = args.repeat or (QUICK_REPEAT if args.quick else DEFAULT_REPEAT)[figure.name]
        print(f"· {figure.name}: {figure.title}, {repeat} run{'s' if repeat != 1 else ''}…",
              file=sys.stderr, flush=True)
        began = time.perf_counter()
        rows.extend(run_child(figure, repeat, args.quick, env))
        print(f"  done in {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
    print()
    print(format_table(rows))
    info = meta(args, started, load_before)
    print(f"\n{'quick run' if args.quick else 'full run'} in {info['seconds']:.0f} s · "
          f"Python {info['python']} · Textual {info['textual']} · {info['cpus']} CPUs · "
          f"load average {load_before[0]:.2f} before, {info['load_average_after'][0]:.2f} after")
    if args.json:
        args.json.write_text(to_json(rows, info) + "\n", encoding="utf-8")
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
