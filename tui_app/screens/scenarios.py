"""Scenarios in the TUI: open a scenario file, step through it (or run it all)
against the active profile and watch the basket change; record the session's
own journey as a scenario file."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker

from tui_app.formatting import (
    CELL_MAX,
    NAME_MAX,
    cell,
    heading,
    item_line_total,
    item_unit_price,
    money,
    outside,
    plural,
    short,
    shown,
)
from tui_app.screens.base import AppScreen
from tui_app.services.api.models import Order
from tui_app.services.store.files import StoreError
from tui_app.widgets.basket_table import COLUMN_KEYS, BasketTable, Row
from tui_app.widgets.delivery import deliver_copy
from tui_app.widgets.plain_input import PlainInput

if TYPE_CHECKING:
    from tui_app.services.scenarios.format import Scenario
    from tui_app.services.scenarios.replay import StepResult

# The scenario services (their parsers, tomli, rtoml, the replay) are loaded
# when a file is opened, run or recorded, not with this screen: the app loads
# every screen's module at start-up, and they cost it about 2 MiB of memory
# it may never use (VmHWM, 500-item basket benchmark).

DETAIL_MAX = 400  # a step's error, in the detail pane of 8 lines
WATCH_EVERY = 1.0  # seconds between two looks at the open file while in view
VERDICTS = {"passed": "✓ passed", "failed": "✗ failed", "error": "✗ error", "skipped": "– skipped"}


def scenario_files(config_dir: Path) -> list[Path]:
    """Scenario files a user is likely to want: ./examples, ./ and the config's own."""
    folders = [Path.cwd() / "examples", Path.cwd(), config_dir / "scenarios"]
    found: list[Path] = []
    for folder in folders:
        if folder.is_dir():
            found += sorted(p for p in folder.glob("*.toml") if p not in found)
    return [p for p in found if p.name not in {"pyproject.toml", "settings.toml",
                                                "profiles.toml", "secrets.toml"}]


def file_signature(path: Path) -> tuple[int, int] | None:
    """What tells that a file changed on disk: its modification time and size
    (None when it cannot be read at all)."""
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


def order_rows(order: Order) -> list[Row]:
    rows = []
    for index, item in enumerate(order.orderItems):
        key = item.id or f"row-{index}"
        cells = {
            "item": short(item.id),
            "offer": (item.offer.name if item.offer else None) or "?",
            "qty": str(item.quantity if item.quantity is not None else "?"),
            "unit": item_unit_price(item),
            "total": item_line_total(item),
            "status": "",
            "type": item.type or "",
            "version": short(item.offer.version if item.offer else None),
        }
        rows.append(Row(key, tuple(cells[column] for column in COLUMN_KEYS)))
    return rows


class ScenariosScreen(AppScreen):
    MODE = "scenarios"
    # The list of files first: arrows move in it, Enter opens one.
    AUTO_FOCUS = "#scenario-list"
    # What stays on a narrow key bar, most important first.
    KEY_PRIORITY = ("next_step", "run_all", "stop", "record")
    HELP = """
Replay a scenario file against the active profile and watch the basket change.
Pick a file from the list (↑/↓, Enter) or type its path and press Enter;
focus stays on the list. Problems in the file are listed with their line
numbers and nothing is sent; save the file in your editor and it is checked
again within a second.
n runs the next step (the first n starts), r runs every remaining step, Esc stops.
Each step shows its verdict and time; a failed step lists expected vs actual.
ctrl+r records this session's own initiate/update/validate calls as a new
scenario file in <config>/scenarios/ (no token, secret or cookie is written).
The same files run headless with: basket-builder run FILE...
"""
    DEFAULT_CSS = """
    ScenariosScreen #scenario-panes { height: 1fr; }
    ScenariosScreen #scenario-files { width: 36; border-right: vkey $panel; }
    ScenariosScreen #scenario-list { height: 1fr; }
    ScenariosScreen #scenario-run { width: 1fr; }
    ScenariosScreen #scenario-title { padding: 0 1; text-style: bold; }
    ScenariosScreen #scenario-steps { height: auto; max-height: 12; }
    ScenariosScreen #scenario-detail { height: auto; max-height: 8; padding: 0 1; }
    ScenariosScreen #scenario-basket { height: 1fr; }
    """
    BINDINGS = [
        Binding("n", "next_step", "Next step", id="scenarios.next"),
        Binding("r", "run_all", "Run all", id="scenarios.run_all"),
        Binding("escape", "stop", "Stop", id="scenarios.stop"),
        Binding("ctrl+r", "record", "Record session", id="scenarios.record"),
        Binding("ctrl+l", "refresh_files", "Refresh list", id="scenarios.refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.scenario: Scenario | None = None
        self.results: list[StepResult] = []
        self._go = asyncio.Event()
        self._run_all = False
        self._worker: Worker | None = None
        self._file_error = False  # the error panel is about a file that would not open
        # The file last opened (or tried) and how it looked then: fixed or
        # edited in another window, it is checked again without reopening.
        self._watched: tuple[Path, tuple[int, int] | None] | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="scenario-panes"):
            with Vertical(id="scenario-files"):
                yield PlainInput(placeholder="scenario path + Enter", id="scenario-path",
                                 compact=True)
                yield OptionList(id="scenario-list")
            with Vertical(id="scenario-run"):
                yield Static("No scenario open — pick one on the left", id="scenario-title")
                yield DataTable(id="scenario-steps", cursor_type="row", zebra_stripes=True)
                yield Static("", id="scenario-detail")
                yield BasketTable(id="scenario-basket")

    def on_mount(self) -> None:
        table = self.query_one("#scenario-steps", DataTable)
        for key, label in (("n", "#"), ("step", "Step"), ("action", "Action"),
                           ("verdict", "Verdict"), ("time", "Time")):
            table.add_column(heading(label), key=key)
        self.action_refresh_files()
        self.set_interval(WATCH_EVERY, self.check_open_file)

    # ------------------------------------------------------------- files

    def action_refresh_files(self) -> None:
        files = scenario_files(self.bb.paths.config_dir)
        listing = self.query_one("#scenario-list", OptionList)
        listing.clear_options()
        # Text, not a str: an option list reads a str as markup, and a file name
        # is data. Whole (an entry may wrap): the end of a path is its name.
        listing.add_options([Option(outside(self._display(p)), id=str(p)) for p in files])
        if files and listing.highlighted is None:
            listing.highlighted = 0

    @staticmethod
    def _display(path: Path) -> str:
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.open(Path(event.option.id or ""))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "scenario-path" and event.value.strip():
            self.open(Path(event.value.strip()).expanduser())

    def on_input_changed(self, event: Input.Changed) -> None:
        # A file's problems are about that file: typing another path puts them away.
        if event.input.id == "scenario-path" and self._file_error:
            self._file_error = False
            self.error_panel.clear()

    def on_screen_suspend(self) -> None:
        self._left = self.app.current_mode != self.MODE

    def on_screen_resume(self) -> None:
        self.check_open_file()
        if getattr(self, "_left", False):
            self._left = False
            self.action_refresh_files()
            steps = self.query_one("#scenario-steps", DataTable)
            if self.focused is not steps:
                self.query_one("#scenario-list", OptionList).focus()

    @property
    def running(self) -> bool:
        return self._worker is not None and self._worker.is_running

    def check_open_file(self) -> None:
        """Open the file again if it changed on disk since it was opened: its
        problems go as soon as they are fixed, and the steps shown are the
        file's. Not while a replay runs (it keeps the steps it started with)."""
        if self._watched is None or not self.is_current or self.running:
            return
        path, signature = self._watched
        if file_signature(path) != signature:
            self.open(path, changed_on_disk=True)

    def open(self, path: Path, *, changed_on_disk: bool = False) -> None:
        if self.running:
            self.notify("A scenario is running — Esc stops it first.", severity="warning")
            return
        self._watched = (path, file_signature(path))
        from tui_app.services.scenarios.loading import ScenarioError, load_scenario

        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            self.error_panel.show_message("\n".join(str(p) for p in exc.problems[:6]))
            self._file_error = True
            if changed_on_disk and self.scenario is not None:
                self.scenario, self.results = None, []
                self._show_steps()
                self.query_one("#scenario-title", Static).update(Text(
                    f"{shown(self._display(path), CELL_MAX)} changed on disk and has problems"
                    " — fix them and it is checked again"))
            return
        self._file_error = False
        self.error_panel.clear()
        self.scenario, self.results = scenario, []
        self.query_one("#scenario-title", Static).update(
            Text(f"{shown(scenario.name, NAME_MAX)} — {plural(len(scenario.steps), 'step')} · "
                 f"{shown(self._display(path), CELL_MAX)} · n: next step, r: run all")
        )
        self._show_steps()
        self.query_one("#scenario-detail", Static).update("")
        self.query_one(BasketTable).sync([])
        if changed_on_disk:
            self.notify(f"{shown(path.name, NAME_MAX)} changed on disk — checked again: "
                        f"{plural(len(scenario.steps), 'step')}, ready to run.", timeout=4)
            return  # the user is elsewhere on the screen: focus stays where it is
        # Focus stays on (or comes back to) the list, on the file opened: n and
        # r act from there, and another file is one arrow away.
        listing = self.query_one("#scenario-list", OptionList)
        index = next((i for i, option in enumerate(listing.options)
                      if option.id == str(path)), None)
        if index is not None:
            listing.highlighted = index
        listing.focus()

    # ------------------------------------------------------------- running

    def action_next_step(self) -> None:
        self._start_or_continue(run_all=False)

    def action_run_all(self) -> None:
        self._start_or_continue(run_all=True)

    def _start_or_continue(self, *, run_all: bool) -> None:
        if self.scenario is None:
            self.notify("Open a scenario first.", severity="warning")
            return
        self._run_all = run_all
        if self.running:
            self._go.set()
            return
        if self.workspace.client is None:
            self.error_panel.show_message("no profile is connected yet")
            return
        if self.bb.busy:
            self.bb.notify_busy()
            return
        self.results = []
        self._show_steps()
        self._worker = self._replay()

    def action_stop(self) -> None:
        if self.running:
            self._worker.cancel()
            self.bb.busy = ""
            self.notify("Replay stopped.")

    @work(exclusive=True, group="scenario", exit_on_error=False)
    async def _replay(self) -> None:
        scenario = self.scenario
        assert scenario is not None and self.workspace.client is not None
        total = len(scenario.steps)
        self.bb.busy = f"Replaying {scenario.name}"

        async def after_step(result: StepResult) -> None:
            self.results.append(result)
            self._show_steps()
            self._show_result(result)
            if len(self.results) < total and not self._run_all:
                self.bb.busy = f"Paused after step {len(self.results)}/{total} — n for next"
                self._go.clear()
                await self._go.wait()
                self.bb.busy = f"Replaying {scenario.name}"

        from tui_app.services.scenarios.replay import run_scenario

        try:
            outcome = await run_scenario(scenario, self.workspace.client, on_step=after_step)
        finally:
            self.bb.busy = ""
        passed = outcome.count("passed")
        verdict = "✓ all steps passed" if outcome.passed else "✗ scenario failed"
        self.query_one("#scenario-title", Static).update(
            Text(f"{shown(scenario.name, NAME_MAX)} — {verdict} ({passed}/{total} passed, "
                 f"{outcome.duration_ms:.0f} ms)")
        )

    def _show_steps(self) -> None:
        table = self.query_one("#scenario-steps", DataTable)
        table.clear()
        if self.scenario is None:
            return
        for index, step in enumerate(self.scenario.steps):
            result = self.results[index] if index < len(self.results) else None
            verdict = VERDICTS.get(result.verdict, result.verdict) if result else "· pending"
            time = f"{result.duration_ms:.0f} ms" if result and not result.skipped else ""
            # Text cells: a str cell is read as markup, and the file's names are data.
            table.add_row(str(index + 1), cell(step.name), cell(step.action), cell(verdict), time)

    def _show_result(self, result: StepResult) -> None:
        lines = Text()
        # The error, the expected values (the file's) and the actual ones (the
        # server's): shown as text.
        if result.error:
            lines.append(f"✗ step {result.index}: {shown(result.error, DETAIL_MAX)}\n")
        for failure in result.failures:
            lines.append(f"✗ {shown(failure.field, NAME_MAX)}: "
                         f"expected {shown(failure.expected, NAME_MAX)}, "
                         f"got {shown(failure.actual, NAME_MAX)}\n")
        self.query_one("#scenario-detail", Static).update(lines)
        order = self._order_after(result)
        if order is not None:
            self.query_one(BasketTable).sync(order_rows(order))
            name = shown(self.scenario.name, NAME_MAX) if self.scenario else ""
            self.query_one("#scenario-title", Static).update(
                Text(f"{name} — after step "
                     f"{result.index}: {plural(len(order.orderItems), 'item')} · "
                     f"{money(order.total_amount, order.total_currency)}")
            )

    def _order_after(self, result: StepResult) -> Order | None:
        exchange = next((e for e in self.workspace.log if e.id == result.exchange_id), None)
        if exchange is None or not exchange.status or exchange.status >= 300:
            return None
        try:
            body = json.loads(exchange.response_body)
            return Order.model_validate(body.get("order") or body.get("checkout") or {})
        except (ValueError, AttributeError):
            return None

    # ------------------------------------------------------------- recording

    def action_record(self) -> None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        folder = self.bb.paths.config_dir / "scenarios"
        path = folder / f"recording-{stamp}.toml"
        from tui_app.services.scenarios.record import (
            NothingToRecord,
            record_scenario,
            save_recording,
        )

        try:
            text = record_scenario(self.workspace.log, f"Recorded {stamp}")
            folder.mkdir(parents=True, exist_ok=True)
            save_recording(path, text)
        except NothingToRecord as exc:
            self.error_panel.show_message(str(exc))
            return
        except (StoreError, OSError) as exc:
            self.error_panel.show_error(exc)
            return
        self.error_panel.clear()
        self.action_refresh_files()
        if not deliver_copy(self.app, path, mime_type="application/toml"):  # served: download
            self.notify(f"Recorded this session as {shown(path)}", timeout=8, markup=False)

    def palette_commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand("Scenarios: record this session", "Save the journey as a "
                            "scenario file", self.action_record)
        if self.scenario is not None:
            yield SystemCommand("Scenarios: next step", "Run the next step", self.action_next_step)
            yield SystemCommand("Scenarios: run all", "Run every remaining step",
                                self.action_run_all)
