"""The benchmark script cannot silently rot: its pieces still import, its table
still prints, its generated scenario still parses, and a tiny load run still
talks to a real sandbox process. Nothing here checks a timing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _benchmarks_importable(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))


def test_the_command_line_and_every_figure_module_import():
    from benchmarks import keys, load, replay_speed, run, startup, terminal  # noqa: F401

    args = run.parse_args(["--quick", "--repeat", "2", "--only", "load,replay"])
    assert args.quick and args.repeat == 2 and args.only == "load,replay"
    assert set(run.DEFAULT_REPEAT) == set(run.BY_NAME) == set(run.QUICK_REPEAT)
    with pytest.raises(SystemExit):
        run.parse_args(["--only", "nonsense"])


def test_the_table_shows_medians_ratios_verdicts_and_reasons():
    from benchmarks.stats import NONE, PLUS_MS, RATIO, Row, failed, format_table, to_json

    rows = [
        Row("first interactive screen", unit="s", samples=[0.7, 0.58, 0.72],
            reference=[0.31, 0.3, 0.35], budget=RATIO, limit=2.0),
        Row("key→result validate, 500 items", unit="ms", samples=[0.09, 0.08, 0.1],
            reference=[0.02, 0.02, 0.03], budget=PLUS_MS, limit=50),
        Row("sandbox throughput", unit="rps", samples=[480.0, 500.0], budget=NONE),
        failed("peak RSS", "pyte is not installed"),
    ]
    table = format_table(rows)
    lines = table.splitlines()
    assert lines[0].split()[:4] == ["figure", "median", "min", "max"]
    first = next(line for line in lines if line.startswith("first interactive"))
    assert "0.70 s" in first and "0.58" in first and "0.72" in first
    assert "2.26×" in first and "≤ 2×" in first and "✗ over" in first
    validate = next(line for line in lines if line.startswith("key→result"))
    assert "90.0 ms" in validate and "≤ ref + 50 ms" in validate and "✗ over (+70 ms)" in validate
    assert "info" in next(line for line in lines if line.startswith("sandbox"))
    assert "n/a: pyte is not installed" in table
    data = json.loads(to_json(rows, {"quick": True}))
    assert [row["met"] for row in data["rows"]] == [False, False, None, None]
    assert Row.from_json(data["rows"][0]).median == pytest.approx(0.70)


def test_an_absolute_budget_is_judged_without_a_reference():
    from benchmarks.stats import AT_MOST, Row, format_table

    within = Row("load a 60,000-step scenario file", samples=[1.2, 1.4, 1.3],
                 budget=AT_MOST, limit=2.0)
    over = Row("load another", samples=[2.5], budget=AT_MOST, limit=2.0)
    assert within.met is True and over.met is False
    table = format_table([within, over])
    assert "≤ 2.00 s" in table and "✓ met" in table and "✗ over" in table


def test_scenario_loading_is_measured_for_each_size():
    from benchmarks.replay_speed import measure_scenario_loading

    rows = measure_scenario_loading(1, (20, 40))
    assert [row.error for row in rows] == [None, None]
    assert [len(row.samples) for row in rows] == [1, 1]
    assert rows[-1].met is not None  # the largest carries the verdict


def test_the_generated_replay_scenario_is_a_valid_scenario():
    from benchmarks.replay_speed import scenario_text
    from tui_app.services.scenarios.loading import parse_scenario

    scenario = parse_scenario(scenario_text(6), "bench.toml")
    assert [step.action for step in scenario.steps] == (
        ["initiate"] + ["update"] * 4 + ["validate"]
    )


def test_a_tiny_load_run_against_a_sandbox_process():
    from benchmarks.load import percentile, run_load
    from benchmarks.sandbox_process import SandboxProcess

    with SandboxProcess() as sandbox:
        banner = sandbox.banner
        assert banner.base_url.startswith("http://127.0.0.1:")
        assert [org.client_id for org in banner.orgs] == ["sandbox-northwind", "sandbox-contoso"]
        result = asyncio.run(run_load(banner.base_url, banner.orgs[0].demo_token,
                                      clients=2, rounds=1))
    assert result.failures == []
    assert result.requests == 2 * 1 * 3 == len(result.latencies)
    assert result.rps > 0
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
