"""Running many scenarios: files times data rows ("cases"), in parallel when
asked, with their output kept in the order the files were given.

``prepare`` reads every file, variable and data file and reports every
problem (``file:line: reason``) before anything is sent; ``run_cases`` runs
the cases with ``jobs`` workers, each with a client of its own (made by the
caller's factory: its own cookie jar, and on the embedded sandbox a sandbox of
its own), and hands each case's output lines over in input order.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui_app.services.api.client import CheckoutClient
from tui_app.services.scenarios.format import Scenario
from tui_app.services.scenarios.loading import ScenarioError, load_scenario
from tui_app.services.scenarios.replay import OfferIndex, ScenarioResult, StepResult, run_scenario
from tui_app.services.scenarios.variables import (
    Redactor,
    VariableError,
    as_text,
    case_name,
    env_vars,
    load_data_file,
    load_vars_file,
    parse_assignment,
)


@dataclass
class Case:
    label: str  # the file as given, with the data row: "x.toml [country=DE]"
    path: str
    scenario: Scenario
    variables: dict[str, str]
    name: str | None = None  # the case name of a data row


@dataclass
class Prepared:
    cases: list[Case] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    redact: Redactor = field(default_factory=Redactor)


def parse_jobs(text: str) -> int:
    if text == "auto":
        return max(1, os.cpu_count() or 1)
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number of jobs (a number from 1, or auto)") from None
    if value < 1:
        raise ValueError(f"{text!r}: at least 1 job")
    return value


def prepare(
    files: Sequence[Path],
    *,
    var: Sequence[str] = (),
    secret: Sequence[str] = (),
    vars_files: Sequence[Path] = (),
    data_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Prepared:
    """Every file and option checked; the cases to run, in order."""
    found = Prepared()
    environment = env_vars(environ if environ is not None else os.environ)
    found.redact.add(environment.values())
    given: dict[str, str] = dict(environment)
    try:
        for path in vars_files:
            given.update(load_vars_file(path.expanduser()))
        for text in var:
            name, value = parse_assignment(text, "--var")
            given[name] = value
        for text in secret:
            name, value = parse_assignment(text, "--secret")
            given[name] = value
            found.redact.add([value])
    except VariableError as exc:
        found.problems.append(str(exc))
    rows: list[dict[str, str]] | None = None
    if data_file is not None:
        try:
            rows = load_data_file(data_file.expanduser())
        except VariableError as exc:
            found.problems.append(str(exc))
    columns = set(rows[0]) if rows else set()
    for path in files:
        try:
            scenario = load_scenario(path.expanduser(), variables=set(given) | columns)
        except ScenarioError as exc:
            found.problems.extend(str(problem) for problem in exc.problems)
            continue
        except OSError as exc:
            found.problems.append(f"{path}: cannot read it: {exc.strerror or exc}")
            continue
        except UnicodeDecodeError:
            found.problems.append(f"{path}:1: not UTF-8 text")
            continue
        table: list[dict[str, Any]] | None = rows if rows is not None else scenario.data
        if not table:
            found.cases.append(Case(str(path), str(path), scenario, dict(given)))
            continue
        for row in table:
            values = {key: as_text(value) for key, value in row.items()}
            suffix = case_name("", values).strip()
            found.cases.append(Case(
                f"{path} {suffix}", str(path), scenario, {**given, **values},
                case_name(scenario.name, values),
            ))
    return found


ClientFactory = Callable[[], tuple[CheckoutClient, Callable[[], None]]]
Emit = Callable[[int, list[str]], None]
Render = Callable[[Case, StepResult], list[str]]


async def run_cases(
    cases: Sequence[Case],
    make_client: ClientFactory,
    *,
    jobs: int = 1,
    fail_fast: bool = False,
    render: Render,
    emit: Callable[[list[str]], None],
) -> list[ScenarioResult | None]:
    """Run every case; ``render(case, step)`` makes a step's output lines,
    ``emit(lines)`` prints them: the lines of case N come after all of case N-1,
    and the first case still running is shown live. A case left out by
    ``fail_fast`` has None as its result."""
    results: list[ScenarioResult | None] = [None] * len(cases)
    buffers: list[list[str]] = [[] for _ in cases]
    finished = [False] * len(cases)
    head = 0  # the first case whose output is not all out
    queue = iter(range(len(cases)))
    stop = False

    def out(index: int, lines: list[str]) -> None:
        if index == head:
            emit(lines)
        else:
            buffers[index].extend(lines)

    def done(index: int) -> None:
        nonlocal head
        finished[index] = True
        while head < len(cases) and finished[head]:
            head += 1
            if head < len(cases) and buffers[head]:
                emit(buffers[head])
                buffers[head] = []

    async def worker() -> None:
        nonlocal stop
        # In a thread: a sandbox of its own may take a second to start, and
        # the workers' sandboxes start side by side.
        client, close = await asyncio.to_thread(make_client)
        try:
            async with client:
                offers = OfferIndex(client)  # one catalogue fetch per worker
                for index in queue:
                    if stop:
                        done(index)
                        continue
                    case = cases[index]

                    def show(step: StepResult, index: int = index, case: Case = case) -> None:
                        out(index, render(case, step))

                    result = await run_scenario(
                        case.scenario, client, on_step=show, offers=offers,
                        variables=case.variables, case=case.name,
                    )
                    results[index] = result
                    if fail_fast and not result.passed:
                        stop = True
                    done(index)
        finally:
            close()

    workers = max(1, min(jobs, len(cases)))
    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
    # Cases skipped by --fail-fast leave their slot; flush whatever is left.
    for index in range(head, len(cases)):
        if buffers[index]:
            emit(buffers[index])
    return results
