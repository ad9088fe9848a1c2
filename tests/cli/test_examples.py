"""The example scenarios in examples/ pass, through the engine and the CLI."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from tui_app.cli import main
from tui_app.services.scenarios.loading import load_scenario
from tui_app.services.scenarios.replay import run_scenario

from sandboxed import client_for

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.toml"))


def test_the_examples_cover_the_journeys_qa_asked_for():
    assert {p.stem for p in EXAMPLES} >= {
        "valid-basket", "blocked-country", "outdated-offer", "quantity-changes"
    }


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
async def test_each_example_passes_through_the_engine(path, sandbox):
    scenario = load_scenario(path)
    async with client_for(sandbox) as client:
        result = await run_scenario(scenario, client)
    assert result.passed, [(s.index, s.failures, s.error) for s in result.steps]


def test_all_examples_pass_through_the_cli_on_a_fresh_sandbox(capsys):
    assert main(["run", *map(str, EXAMPLES)]) == 0
    out = capsys.readouterr().out.splitlines()
    steps = sum(len(load_scenario(p).steps) for p in EXAMPLES)
    assert len(out) == steps + 1
    assert all(line.startswith("✓ ") for line in out)
    assert out[-1].startswith(f"✓ {len(EXAMPLES)} scenarios, {steps} steps: all passed")


def test_the_outdated_example_pins_the_catalogues_previous_version():
    seed = json.loads(
        resources.files("tui_app.sandbox").joinpath("catalogue.json").read_text("utf-8")
    )
    monthly = next(item for item in seed["items"] if item["name"] == "Digital Monthly")
    offer = load_scenario(
        EXAMPLES[0].parent / "outdated-offer.toml"
    ).steps[0].body["order"]["orderItems"][0]["offer"]
    assert offer == {"id": monthly["id"], "version": monthly["previous_versions"][0]["version"]}
    assert offer["version"] != monthly["version"]
